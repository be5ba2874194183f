// The quota counter: a Durable Object the worker exports, one per counted
// key (a principal), so every request of a principal is counted by the
// same single-threaded object, wherever in the world it arrives. Its SQLite
// storage is read and written synchronously within one call: no other call
// runs in between, so concurrent requests are counted one at a time and a
// quota is never passed by even one. The gateway (Rust) decides the
// windows and limits; this only counts.
import { DurableObject } from "cloudflare:workers";

export class QuotaCounter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS windows (seconds INTEGER PRIMARY KEY, start INTEGER NOT NULL, count INTEGER NOT NULL)");
  }

  /**
   * Counts one request in every window of `windows` ([seconds, limit, ...],
   * windows aligned to the clock) if each has room, in none otherwise.
   * Answers [admitted (1 or 0), count, seconds to reset, ...] per window.
   */
  count(windows) {
    const now = Date.now() / 1000;
    const rows = [];
    let admitted = 1;
    for (let i = 0; i + 1 < windows.length; i += 2) {
      const seconds = windows[i];
      const limit = windows[i + 1];
      const start = Math.floor(now / seconds) * seconds;
      const row = this.sql.exec("SELECT start, count FROM windows WHERE seconds = ?", seconds).toArray()[0];
      const count = row !== undefined && row.start === start ? row.count : 0;
      if (count >= limit) admitted = 0;
      rows.push([seconds, start, count]);
    }
    const answer = [admitted];
    for (const [seconds, start, count] of rows) {
      const counted = count + admitted;
      if (admitted) this.sql.exec("INSERT OR REPLACE INTO windows (seconds, start, count) VALUES (?, ?, ?)", seconds, start, counted);
      answer.push(counted, Math.max(1, Math.ceil(start + seconds - now)));
    }
    return answer;
  }
}
