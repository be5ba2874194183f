// The quota counter: a Durable Object the worker exports, one per counted
// key (a principal), so every request of a principal is counted by the
// same single-threaded object, wherever in the world it arrives. Its SQLite
// storage is read and written synchronously within one call: no other call
// runs in between, so concurrent requests are counted one at a time and a
// quota is never passed by even one. The gateway (Rust) decides the
// windows and limits; this only counts. An alarm at the end of the longest
// window counted deletes the object's storage once no window is current,
// so a principal that stops calling leaves nothing stored behind.
import { DurableObject } from "cloudflare:workers";

export class QuotaCounter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.storage = ctx.storage;
    this.sql = ctx.storage.sql;
    /** Whether the table exists (it goes with the rest when the storage is deleted). */
    this.created = false;
    /** When the alarm this instance set will ring (ms), 0 before it set one. */
    this.alarmAt = 0;
  }

  table() {
    if (this.created) return;
    this.sql.exec("CREATE TABLE IF NOT EXISTS windows (seconds INTEGER PRIMARY KEY, start INTEGER NOT NULL, count INTEGER NOT NULL)");
    this.created = true;
  }

  /**
   * Counts one request in every window of `windows` ([seconds, limit, ...],
   * windows aligned to the clock) if each has room, in none otherwise.
   * Answers [admitted (1 or 0), count, seconds to reset, ...] per window.
   */
  count(windows) {
    this.table();
    const now = Date.now() / 1000;
    const rows = [];
    let admitted = 1;
    for (let i = 0; i + 1 < windows.length; i += 2) {
      const seconds = windows[i];
      const limit = windows[i + 1];
      let start = Math.floor(now / seconds) * seconds;
      const row = this.sql.exec("SELECT start, count FROM windows WHERE seconds = ?", seconds).toArray()[0];
      // A clock that stepped back across a window's edge (the object moved
      // machines) counts on in the later window stored, never anew in the
      // earlier one: that would hand the caller a second limit.
      if (row !== undefined && row.start > start) start = row.start;
      const count = row !== undefined && row.start === start ? row.count : 0;
      if (count >= limit) admitted = 0;
      rows.push([seconds, start, count]);
    }
    const answer = [admitted];
    let end = 0;
    for (const [seconds, start, count] of rows) {
      const counted = count + admitted;
      if (admitted) this.sql.exec("INSERT OR REPLACE INTO windows (seconds, start, count) VALUES (?, ?, ?)", seconds, start, counted);
      answer.push(counted, Math.max(1, Math.ceil(start + seconds - now)));
      end = Math.max(end, (start + seconds) * 1000);
    }
    // One alarm write per longest window, not per request.
    if (admitted && end > this.alarmAt) {
      this.alarmAt = end;
      this.storage.setAlarm(end).catch((error) => {
        this.alarmAt = 0;
        console.error(JSON.stringify({ level: "error", message: "quota alarm not set", error: String(error) }));
      });
    }
    return answer;
  }

  /** Deletes everything once no window is current; else rings again at the end of the last one. */
  async alarm() {
    this.table();
    const rows = this.sql.exec("SELECT seconds, start FROM windows").toArray();
    const end = rows.reduce((latest, row) => Math.max(latest, (row.start + row.seconds) * 1000), 0);
    if (end > Date.now()) {
      this.alarmAt = end;
      await this.storage.setAlarm(end);
      return;
    }
    await this.storage.deleteAll();
    this.created = false;
    this.alarmAt = 0;
  }
}
