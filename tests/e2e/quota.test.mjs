// The quota Durable Object (crates/edgegate-worker/js/quota.js) in Node,
// over a real SQLite database (node:sqlite) standing in for its storage:
// what `wrangler dev` does not let a test see — which alarm it sets, and
// that its storage is deleted once no window is current.
import assert from "node:assert/strict";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { ROOT, bundleForNode } from "../../tools/local.mjs";

const bundle = await bundleForNode(
  `export { QuotaCounter } from "./crates/edgegate-worker/js/quota.js";`,
  path.join(ROOT, "build", "quota-test-bundle.mjs"),
);
const { QuotaCounter } = await import(bundle);

/** A Durable Object's storage: SQL on an in-memory SQLite database, and its alarm. */
function objectStorage() {
  const db = new DatabaseSync(":memory:");
  const storage = {
    alarm: null,
    alarmsSet: 0,
    sql: {
      exec(query, ...params) {
        const statement = db.prepare(query);
        const rows = /^\s*select/i.test(query) ? statement.all(...params) : (statement.run(...params), []);
        return { toArray: () => rows };
      },
    },
    async setAlarm(time) {
      storage.alarm = time;
      storage.alarmsSet++;
    },
    async deleteAll() {
      for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()) db.exec(`DROP TABLE "${name}"`);
      storage.alarm = null;
    },
    tables: () => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((row) => row.name),
  };
  return storage;
}

/** Runs `work` with `Date.now()` answering `clock.ms`. */
async function at(clock, work) {
  const real = Date.now;
  Date.now = () => clock.ms;
  try {
    return await work();
  } finally {
    Date.now = real;
  }
}

const MINUTE = 60;
const HOUR = 3600;

test("a quota counts up to its limit in every window, then refuses without counting", async () => {
  const storage = objectStorage();
  const clock = { ms: 1_800_000_000_000 + 5_000 };
  await at(clock, () => {
    const counter = new QuotaCounter({ storage }, {});
    const windows = [MINUTE, 2, HOUR, 10];
    assert.deepEqual(counter.count(windows).slice(0, 2), [1, 1]);
    assert.deepEqual(counter.count(windows).slice(0, 2), [1, 2]);
    const refused = counter.count(windows);
    assert.equal(refused[0], 0);
    assert.equal(refused[1], 2, "a refusal is not counted");
    assert.equal(refused[3], 2, "nor in the other window");
  });
});

test("a clock that steps back across a window's edge counts on in the later window, never anew", async () => {
  const storage = objectStorage();
  const boundary = 1_800_000_000_000;
  const clock = { ms: boundary + 10 };
  const counter = new QuotaCounter({ storage }, {});
  await at(clock, () => {
    assert.deepEqual(counter.count([MINUTE, 2]).slice(0, 2), [1, 1]);
    assert.deepEqual(counter.count([MINUTE, 2]).slice(0, 2), [1, 2]);
  });
  clock.ms = boundary - 10;
  const back = await at(clock, () => counter.count([MINUTE, 2]));
  assert.deepEqual(back.slice(0, 2), [0, 2], "the earlier window is no second limit");
  clock.ms = boundary + 20;
  assert.deepEqual((await at(clock, () => counter.count([MINUTE, 2]))).slice(0, 2), [0, 2], "nor is the later one reset");
});

test("one alarm at the end of the longest window, not one per request", async () => {
  const storage = objectStorage();
  const clock = { ms: 1_800_000_000_000 + 5_000 };
  await at(clock, () => {
    const counter = new QuotaCounter({ storage }, {});
    for (let i = 0; i < 5; i++) counter.count([MINUTE, 100, HOUR, 100]);
  });
  const hourEnd = (Math.floor(clock.ms / 1000 / HOUR) + 1) * HOUR * 1000;
  assert.equal(storage.alarm, hourEnd);
  assert.equal(storage.alarmsSet, 1);
});

test("the alarm deletes the storage once no window is current, and counting starts afresh after", async () => {
  const storage = objectStorage();
  const clock = { ms: 1_800_000_000_000 + 5_000 };
  const counter = new QuotaCounter({ storage }, {});
  await at(clock, () => counter.count([MINUTE, 1]));
  const end = storage.alarm;
  assert.ok(end > clock.ms);

  // Rung early (or a shorter window still current): the rows stay, the alarm moves to their end.
  await at(clock, () => counter.alarm());
  assert.deepEqual(storage.tables(), ["windows"]);
  assert.equal(storage.alarm, end);

  // After the window: nothing is left stored.
  clock.ms = end + 1;
  await at(clock, () => counter.alarm());
  assert.deepEqual(storage.tables(), []);
  assert.equal(storage.alarm, null);

  // The same instance counts again (its table made anew) and sets a new alarm.
  const answer = await at(clock, () => counter.count([MINUTE, 1]));
  assert.deepEqual(answer.slice(0, 2), [1, 1]);
  assert.ok(storage.alarm > clock.ms);
  const refused = await at(clock, () => counter.count([MINUTE, 1]));
  assert.equal(refused[0], 0, "the new window's limit holds");
});

test("a new instance on stored rows keeps counting them (the table is not made twice)", async () => {
  const storage = objectStorage();
  const clock = { ms: 1_800_000_000_000 + 5_000 };
  await at(clock, () => new QuotaCounter({ storage }, {}).count([MINUTE, 2]));
  const again = await at(clock, () => new QuotaCounter({ storage }, {}).count([MINUTE, 2]));
  assert.deepEqual(again.slice(0, 2), [1, 2]);
});
