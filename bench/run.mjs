// `make bench`: our worker, a Hono app and a bare worker side by side in one
// workerd, loaded with wrk on loopback in interleaved rounds (A B C A B C ...),
// so every ratio compares numbers from the same run. Also reports the
// deployable size against bench/budget.json and the start-up time. s6 goes
// through the gateways to an origin worker in the same workerd, which is also
// loaded directly ('direct'): the gateways' added latency is the difference.
//
// BENCH_ROUNDS (default 3) and BENCH_SECONDS (default 4) set the load;
// BENCH_OBS_ROUNDS (default 11: odd, so the median is a round's) and BENCH_OBS_SECONDS (default 2) the
// observability phase's (observability on against off, paired, after the rounds; 0 skips it);
// BENCH_ONLY=s1,s3 runs some scenarios only (for quick iterations);
// BENCH_BASELINE=<git revision> also serves that revision's release bundle,
// for a same-run A/B of a change (ours/baseline); `bundle:<dir>` serves a
// bundle already made (`wrangler deploy --dry-run --outdir <dir>`); a scenario the baseline
// answers with an error (s5 before JWT support) is not measured there (n/a).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { WORKERD } from "../tools/local.mjs";
import { OUT, ROOT, SCENARIOS, buildBaseline, buildOthers, buildOurs, directOf, freePort, luaFor, median, parity, request, startWorkerd, writeConfig } from "./lib.mjs";

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const SECONDS = Number(process.env.BENCH_SECONDS || 4);
const BASELINE = process.env.BENCH_BASELINE || null;
const OBS_ROUNDS = Number(process.env.BENCH_OBS_ROUNDS || 11);
const OBS_SECONDS = Number(process.env.BENCH_OBS_SECONDS || 2);
// `ours_quiet` (Server-Timing off) and `ours_observed` (Server-Timing for
// everyone, a data point per request to a stub Analytics Engine dataset):
// observability's cost, same build, same run. Trace context is always on.
// `bare_observed`: the bare worker making the same runtime calls (the data
// point, the header): what observability costs whoever does it.
const TARGETS = ["ours", "ours_nolog", "hono", "hono_log", "bare", ...(BASELINE ? ["baseline"] : []), "ours_quiet", "ours_observed", "bare_observed"];
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(",") : null;
const budget = JSON.parse(readFileSync(path.join(ROOT, "bench", "budget.json"), "utf8"));
/** A difference with its sign: +7.0, -3.5. */
const signed = (value) => `${value >= 0 ? "+" : ""}${value.toFixed(1)}`;
/** CPU µs per request a scenario's limiter call costs `who` (ours, bare): limited less unlimited, same run. */
const limitCost = (row, who) => row[who].cpu_us - row[`${who}_unlimited`].cpu_us;

const ours = buildOurs();
const baseline = BASELINE ? buildBaseline(BASELINE) : null;
buildOthers();
// `origin` is s6's upstream; wrk loads it as the target `direct` on s6 only.
// `ours_unlimited` (rate limits "off") is loaded on rate-limited scenarios
// only, `bare_unlimited` (the floor without its limiter call) where the floor
// calls the limiter: what the limit costs.
// `ours_list1`/`ours_list2` (the upstream as one target and as two) are loaded on s6 only.
const ports = Object.fromEntries(
  await Promise.all([...TARGETS, "ours_unlimited", "bare_unlimited", "bare_same", "ours_list1", "ours_list2", "origin", "origin2"].map(async (t) => [t, await freePort()])),
);
const targetsOf = (scenario) => [
  ...TARGETS,
  ...(scenario.direct ? ["direct", "ours_list1", "ours_list2"] : []),
  ...(scenario.limited ? ["ours_unlimited"] : []),
  ...(scenario.floorLimited ? ["bare_unlimited"] : []),
  ...(budget.own_share_scenarios.includes(scenario.id) ? ["bare_same"] : []),
];
const config = path.join(OUT, "bench.capnp");
writeConfig(config, ours, ports, baseline);
const workerd = await startWorkerd(config, ports);

let failed = false;
try {
  const differences = await parity(ports);
  if (differences.length) {
    console.error(`our worker and the Hono app disagree:\n  ${differences.join("\n  ")}`);
    process.exit(1);
  }

  // The baseline may predate a scenario's feature (s5: JWT): what it answers with an error is not measured.
  const unserved = new Set();
  if (BASELINE) {
    for (const scenario of SCENARIOS) {
      const { status } = await request(ports.baseline, scenario);
      if (status >= 400) {
        unserved.add(`${scenario.id}/baseline`);
        process.stderr.write(`baseline answers ${scenario.id} with ${status}: not measured there (n/a)\n`);
      }
    }
  }
  const serves = (target, scenario) => !unserved.has(`${scenario.id}/${target}`);

  for (const scenario of SCENARIOS) {
    writeFileSync(path.join(OUT, `${scenario.id}.lua`), luaFor(scenario));
    if (scenario.direct) writeFileSync(path.join(OUT, `${scenario.id}-direct.lua`), luaFor(directOf(scenario)));
  }
  for (const scenario of SCENARIOS) for (const target of targetsOf(scenario)) if (serves(target, scenario)) wrk(target, scenario, 1); // warm-up

  const runs = {};
  const scenarios = SCENARIOS.filter((s) => !ONLY || ONLY.includes(s.id));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const scenario of scenarios) {
      for (const target of targetsOf(scenario)) {
        if (!serves(target, scenario)) continue;
        const result = wrk(target, scenario, SECONDS);
        (runs[`${scenario.id}/${target}`] ??= []).push(result);
        process.stderr.write(`round ${round} ${scenario.id} ${target}: ${result.rps.toFixed(0)} req/s, ${result.cpu_us.toFixed(1)} µs CPU/request\n`);
      }
    }
  }
  const observability = observabilityPhase(scenarios.filter((s) => budget.observability_scenarios.includes(s.id)));
  workerd.stop();

  const rows = scenarios.map((scenario) => {
    const of = (target) => summarize(runs[`${scenario.id}/${target}`]);
    const [o, n, h, hl, b] = TARGETS.map(of);
    // Each ratio pairs the two targets' runs of the same round (measured
    // seconds apart), then takes the median over rounds: steadier than a
    // ratio of medians when the machine's speed drifts between rounds.
    const paired = (a, c) => {
      if (!runs[`${scenario.id}/${a}`] || !runs[`${scenario.id}/${c}`]) return null; // a target not measured (n/a)
      const ratios = runs[`${scenario.id}/${a}`].map((run, i) => run.rps / runs[`${scenario.id}/${c}`][i].rps);
      return spread(ratios);
    };
    // s6: what each gateway adds to calling the origin directly, p50 and p99
    // (ms), paired by round like the ratios.
    // Another scenario's run of the same target, round by round (s7's hit over s6's forward).
    const across = (other, target) => {
      const mine = runs[`${scenario.id}/${target}`];
      const theirs = runs[`${other}/${target}`];
      if (!mine || !theirs) return null;
      const ratios = mine.map((run, i) => run.rps / theirs[i].rps);
      return spread(ratios);
    };
    const added = (a) => {
      const direct = runs[`${scenario.id}/direct`];
      if (!direct || !runs[`${scenario.id}/${a}`]) return null;
      const of = (key) => median(runs[`${scenario.id}/${a}`].map((run, i) => run[key] - direct[i][key]));
      return { p50_ms: of("p50_ms"), p99_ms: of("p99_ms") };
    };
    const ratios = {
      ours_over_hono: paired("ours", "hono"),
      ours_over_bare: paired("ours", "bare"),
      ours_nolog_over_hono: paired("ours_nolog", "hono"),
      ours_nolog_over_bare: paired("ours_nolog", "bare"),
      ours_over_hono_log: paired("ours", "hono_log"),
      // The floor (bench/bare: the least work the scenario's answer needs)
      // over Hono: the most any gateway could be ahead of Hono here.
      bare_over_hono: paired("bare", "hono"),
      bare_over_hono_log: paired("bare", "hono_log"),
      // Ours's exact answer in plain JS (bare_same, s1, s2 and s4) over
      // Hono: the most an answer like ours's could be ahead of plain Hono.
      bare_same_over_hono: paired("bare_same", "hono"),
      // The rate limit's cost: the same route, the same run, limited over not.
      ours_over_unlimited: paired("ours", "ours_unlimited"),
      bare_over_unlimited: paired("bare", "bare_unlimited"),
      ...(BASELINE ? { ours_over_baseline: paired("ours", "baseline") } : {}),
      observed_over_quiet: paired("ours_observed", "ours_quiet"),
      bare_observed_over_bare: paired("bare_observed", "bare"),
      ...(scenario.direct ? { list1_over_url: paired("ours_list1", "ours"), list2_over_url: paired("ours_list2", "ours") } : {}),
      ...(scenario.forward ? { hit_over_forward: across(scenario.forward, "ours"), hono_hit_over_forward: across(scenario.forward, "hono") } : {}),
    };
    return {
      scenario: scenario.id,
      name: scenario.name,
      ours: o,
      ours_nolog: n,
      hono: h,
      hono_log: hl,
      bare: b,
      ...(BASELINE ? { baseline: of("baseline") } : {}),
      ours_quiet: of("ours_quiet"),
      ours_observed: of("ours_observed"),
      bare_observed: of("bare_observed"),
      ...(scenario.limited ? { ours_unlimited: of("ours_unlimited") } : {}),
      ...(scenario.floorLimited ? { bare_unlimited: of("bare_unlimited") } : {}),
      ...(budget.own_share_scenarios.includes(scenario.id) ? { bare_same: of("bare_same") } : {}),
      ...(scenario.direct ? { ours_list1: of("ours_list1"), ours_list2: of("ours_list2") } : {}),
      ...(scenario.direct
        ? { direct: of("direct"), added_latency: Object.fromEntries(["ours", "ours_nolog", "hono", "hono_log"].map((t) => [t, added(t)])) }
        : {}),
      ...Object.fromEntries(Object.entries(ratios).map(([key, r]) => [key, r?.median ?? null])),
      ratio_ranges: ratios,
      ...(observability[scenario.id] ? { observability: observability[scenario.id] } : {}),
    };
  });
  const startup = await startupMs();

  const checks = [
    // Like for like: our default (request id + access log) against Hono doing
    // the same, and ours without the log against plain Hono. ours/bare is reported.
    ...rows.map((r) => ({ what: `${r.scenario} ours/(hono+log) ≥ ${budget.ours_over_hono_log_min}`, ok: r.ours_over_hono_log >= budget.ours_over_hono_log_min })),
    ...rows.map((r) => ({ what: `${r.scenario} ours without log/hono ≥ ${budget.ours_nolog_over_hono_min}`, ok: r.ours_nolog_over_hono >= budget.ours_nolog_over_hono_min })),
    // A scenario's own target from its issue (budget.json `<id>_ours_over_hono_min`,
    // s3: traffic control, s5: JWT, s6: upstream), like for like as the others.
    ...rows
      .filter((r) => budget[`${r.scenario}_ours_over_hono_min`] !== undefined)
      .flatMap((r) => {
        const min = budget[`${r.scenario}_ours_over_hono_min`];
        return [
          { what: `${r.scenario} ours/(hono+log) ≥ ${min}`, ok: r.ours_over_hono_log >= min },
          { what: `${r.scenario} ours without log/hono ≥ ${min}`, ok: r.ours_nolog_over_hono >= min },
        ];
      }),
    // The hot-path issue: what the limiter's call costs ours on s3 is at most
    // what it costs the floor (the same call, nothing around it) plus a margin.
    ...rows
      .filter((r) => r.scenario === "s3" && r.bare_unlimited)
      .map((r) => ({
        what: `s3 the limit's cost to ours ≤ the floor's + ${budget.s3_limit_cost_over_floor_max_us} µs CPU`,
        ok: limitCost(r, "ours") <= limitCost(r, "bare") + budget.s3_limit_cost_over_floor_max_us,
      })),
    // The hot-path issue: ahead of Hono by a quarter like for like where the
    // gateway's own work is most of the request, our own CPU within 15% of
    // the floor's, start-up within 10 ms of the floor's (s3's and s5's are
    // above; s5's 2.0 is its `s5_ours_over_hono_min`).
    ...rows
      .filter((r) => budget.hot_path_scenarios.includes(r.scenario))
      .flatMap((r) => [
        { what: `${r.scenario} ours/(hono+log) ≥ ${budget.hot_path_ours_over_hono_min}`, ok: r.ours_over_hono_log >= budget.hot_path_ours_over_hono_min },
        { what: `${r.scenario} ours without log/hono ≥ ${budget.hot_path_ours_over_hono_min}`, ok: r.ours_nolog_over_hono >= budget.hot_path_ours_over_hono_min },
      ]),
    ...rows
      .filter((r) => budget.own_share_scenarios.includes(r.scenario))
      .map((r) => ({
        what: `${r.scenario} CPU ours without log/bare ${(r.ours_nolog.cpu_us / r.bare.cpu_us).toFixed(2)} ≤ ${budget.own_share_over_bare_max}`,
        ok: r.ours_nolog.cpu_us / r.bare.cpu_us <= budget.own_share_over_bare_max,
      })),
    {
      what: `start-up ours − bare ${startup.ours_extra_ms.toFixed(1)} ms ≤ ${budget.startup_extra_max_ms} ms`,
      ok: startup.ours_extra_ms <= budget.startup_extra_max_ms,
    },
    // Upstream resilience: one URL given as a one-target list costs nothing measurable.
    ...rows
      .filter((r) => r.list1_over_url !== undefined && r.list1_over_url !== null)
      .map((r) => ({ what: `${r.scenario} one-target list/one URL ≥ ${budget.list1_over_url_min}`, ok: r.list1_over_url >= budget.list1_over_url_min })),
    ...rows
      .filter((r) => r.hit_over_forward !== undefined)
      .map((r) => ({
        what: `${r.scenario} a hit/the uncached forward ≥ ${budget.hit_over_forward_min}`,
        ok: r.hit_over_forward !== null && r.hit_over_forward >= budget.hit_over_forward_min,
      })),
    // The observability issue: on within 5% of off, from the paired phase.
    ...rows
      .filter((r) => r.observability)
      .map((r) => ({
        what: `${r.scenario} observability on/off ${r.observability.ours.rps.median.toFixed(3)} ≥ ${budget.observed_over_quiet_min} (paired rounds)`,
        ok: r.observability.ours.rps.median >= budget.observed_over_quiet_min,
      })),
    { what: `gzip ${ours.gzipKiB} KiB ≤ ${budget.gzip_kib} KiB`, ok: ours.gzipKiB <= budget.gzip_kib, gate: true },
  ];

  print(rows, ours, startup, checks);
  const results = {
    date: new Date().toISOString(),
    rounds: ROUNDS,
    seconds: SECONDS,
    load: "wrk -t1 -c8 on loopback (wrk on core 0, workerd on core 1), one workerd serving every target and s6's origin",
    baseline: BASELINE,
    browser_headers: process.env.BENCH_BROWSER_HEADERS === "1",
    scenarios: rows,
    size: { total_kib: ours.totalKiB, gzip_kib: ours.gzipKiB, budget_gzip_kib: budget.gzip_kib },
    startup,
    checks,
  };
  mkdirSync(path.join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(path.join(ROOT, "bench", "results", "latest.json"), JSON.stringify(results, null, 2) + "\n");
  console.log(`\nwritten to bench/results/latest.json`);
  // Size is deterministic and gates; speed ratios are reported (machines are noisy).
  failed = checks.some((check) => check.gate && !check.ok);
} finally {
  workerd.stop();
}
process.exit(failed ? 1 : 0);

function wrk(target, scenario, seconds) {
  const direct = target === "direct"; // s6's origin, without the gateway
  const cpuBefore = workerd.cpuSeconds();
  const output = execFileSync(
    "taskset",
    ["-c", "0", "wrk", "-t1", "-c8", `-d${seconds}s`, "--latency", "-s", path.join(OUT, `${scenario.id}${direct ? "-direct" : ""}.lua`), `http://127.0.0.1:${ports[direct ? "origin" : target]}`],
    { encoding: "utf8" },
  );
  if (/Non-2xx or 3xx responses/.test(output)) throw new Error(`${target} ${scenario.id}: error responses under load\n${output}`);
  const cpu = workerd.cpuSeconds() - cpuBefore;
  const rps = Number(output.match(/Requests\/sec:\s+([\d.]+)/)[1]);
  const requests = Number(output.match(/(\d+) requests in/)[1]);
  const latency = (pct) => toMs(output.match(new RegExp(`\\s${pct}%\\s+([\\d.]+)(us|ms|s)`)));
  return { rps, p50_ms: latency(50), p99_ms: latency(99), cpu_us: (cpu * 1e6) / requests };
}

/** Rounds' values as the runner reports them: the median round, the lowest and the highest. */
function spread(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/**
 * Observability on against off, same build, in more and shorter rounds than
 * the main ones: each round loads both, the order alternating (off, on,
 * then on, off), and is one paired ratio; the bare worker making the same
 * runtime calls is paired the same way (its cost is what no gateway code
 * can remove). Three 4 s rounds resolve about 15% on this machine, not 5%.
 */
function observabilityPhase(scenarios) {
  const phase = {};
  // BENCH_OBS_ROUNDS=0 skips the phase: no ratio, no target line.
  if (OBS_ROUNDS < 1) return phase;
  for (const scenario of scenarios) {
    phase[scenario.id] = {};
    for (const [who, on, off] of [["ours", "ours_observed", "ours_quiet"], ["bare", "bare_observed", "bare"]]) {
      const rounds = [];
      for (let round = 0; round < OBS_ROUNDS; round++) {
        const result = {};
        for (const target of round % 2 ? [on, off] : [off, on]) result[target] = wrk(target, scenario, OBS_SECONDS);
        rounds.push({ rps: result[on].rps / result[off].rps, added_us: result[on].cpu_us - result[off].cpu_us, off_us: result[off].cpu_us });
      }
      phase[scenario.id][who] = { rps: spread(rounds.map((r) => r.rps)), added_us: median(rounds.map((r) => r.added_us)), off_us: median(rounds.map((r) => r.off_us)) };
      process.stderr.write(`observability ${scenario.id} ${who}: on/off ${phase[scenario.id][who].rps.median.toFixed(3)}\n`);
    }
  }
  return phase;
}

function toMs(match) {
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

function summarize(results) {
  if (!results) return null; // not measured (a baseline without the scenario's feature)
  const of = (key) => median(results.map((r) => r[key]));
  return { rps: of("rps"), p50_ms: of("p50_ms"), p99_ms: of("p99_ms"), cpu_us: of("cpu_us") };
}

/**
 * Start-up to a first answer, as the hot-path issue measures it: 9 spawns of
 * `workerd serve` with one worker each, ours and the bare worker
 * interleaved (ours, bare, ours, ...), each timed to its first 200 on
 * `/hello`; the median of each, and ours less bare. `ours_loaded` (ours's
 * modules loaded, the answer JS's: the wasm compiled and instantiated, the
 * glue run) is interleaved too, and splits ours's extra into loading (it
 * grows with the module's size) and the first answer (building the
 * gateway, and compiling on first call the code that build and request run).
 */
async function startupMs() {
  const times = { ours: [], ours_loaded: [], bare: [] };
  for (let i = 0; i < 9; i++) {
    for (const target of Object.keys(times)) times[target].push(await startOnce(target));
  }
  const ms = (target) => Number(median(times[target]).toFixed(1));
  const [ours_ms, loaded_ms, bare_ms] = [ms("ours"), ms("ours_loaded"), ms("bare")];
  return {
    spawns: 9,
    ours_ms,
    bare_ms,
    ours_extra_ms: Number((ours_ms - bare_ms).toFixed(1)),
    loaded_ms,
    loading_extra_ms: Number((loaded_ms - bare_ms).toFixed(1)),
    first_answer_ms: Number((ours_ms - loaded_ms).toFixed(1)),
  };
}

/** Spawns workerd with `target` alone and times it to its first 200 on `/hello`. */
async function startOnce(target) {
  const port = await freePort();
  const file = path.join(OUT, `startup-${target}.capnp`);
  writeConfig(file, ours, { [target]: port });
  const started = performance.now();
  const child = spawn(WORKERD, ["serve", file], { cwd: OUT, stdio: "ignore" });
  try {
    while (true) {
      if (performance.now() - started > 30_000) throw new Error(`${target} did not answer /hello within 30 s of its spawn`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/hello`);
        if (response.status === 200) break;
      } catch {}
      await new Promise((r) => setTimeout(r, 2));
    }
    return performance.now() - started;
  } finally {
    child.kill("SIGKILL");
  }
}

function print(rows, ours, startup, checks) {
  const pad = (text, width) => String(text).padEnd(width);
  const num = (n, digits = 0) => n.toFixed(digits).padStart(8);
  console.log(`\nwrk -t1 -c8, ${ROUNDS} rounds × ${SECONDS}s, medians; one workerd serving all five and s6's origin`);
  console.log("ratios: the median over rounds of each round's ratio, with its lowest and highest\n");
  console.log(
    `${pad("req/s", 42)}${"ours".padStart(8)}${"no log".padStart(8)}${"hono".padStart(8)}${"hono+log".padStart(9)}${"bare".padStart(8)}` +
      `   ours p50/p99 ms   hono p50/p99 ms  ours/hono ours/bare  (no log: /hono /bare)  ours/hono+log`,
  );
  for (const r of rows) {
    console.log(
      `${pad(`${r.scenario} ${r.name}`, 42)}${num(r.ours.rps)}${num(r.ours_nolog.rps)}${num(r.hono.rps)}${num(r.hono_log.rps).padStart(9)}${num(r.bare.rps)}   ` +
        `${pad(`${r.ours.p50_ms.toFixed(2)}/${r.ours.p99_ms.toFixed(2)}`, 18)}${pad(`${r.hono.p50_ms.toFixed(2)}/${r.hono.p99_ms.toFixed(2)}`, 17)}` +
        `${r.ours_over_hono.toFixed(2).padStart(9)}${r.ours_over_bare.toFixed(2).padStart(10)}` +
        `   (${r.ours_nolog_over_hono.toFixed(2)} ${r.ours_nolog_over_bare.toFixed(2)})` +
        `${r.ours_over_hono_log.toFixed(2).padStart(15)}`,
    );
  }
  console.log("\nratio ranges over rounds (lowest–highest):");
  for (const r of rows) {
    const range = (key) => `${r.ratio_ranges[key].min.toFixed(2)}–${r.ratio_ranges[key].max.toFixed(2)}`;
    console.log(
      `  ${r.scenario}  ours/hono ${range("ours_over_hono")}  ours/bare ${range("ours_over_bare")}` +
        `  (no log: /hono ${range("ours_nolog_over_hono")}  /bare ${range("ours_nolog_over_bare")})` +
        `  ours/hono+log ${range("ours_over_hono_log")}`,
    );
  }
  console.log("\nthe floor (bench/bare: the least work each answer needs, plain JS) over Hono: the most any gateway could be ahead of Hono");
  for (const r of rows) {
    const range = (key) => `${r.ratio_ranges[key].min.toFixed(2)}–${r.ratio_ranges[key].max.toFixed(2)}`;
    const same = r.bare_same_over_hono === null ? "" : `  ours's answer in plain JS (bare_same)/hono ${r.bare_same_over_hono.toFixed(2)} (${range("bare_same_over_hono")})`;
    console.log(`  ${r.scenario}  bare/hono ${r.bare_over_hono.toFixed(2)} (${range("bare_over_hono")})  bare/(hono+log) ${r.bare_over_hono_log.toFixed(2)} (${range("bare_over_hono_log")})${same}`);
  }
  const same = rows.filter((r) => r.bare_same);
  if (same.length) {
    console.log("\nours's own share (CPU µs/request without the log, over the floor's), and ours's exact answer written in plain JS (bare_same: the least that answer costs):");
    for (const r of same) {
      console.log(
        `  ${r.scenario}  ours no log ${r.ours_nolog.cpu_us.toFixed(1)}, bare ${r.bare.cpu_us.toFixed(1)}, bare_same ${r.bare_same.cpu_us.toFixed(1)}` +
          `   ours/bare ${(r.ours_nolog.cpu_us / r.bare.cpu_us).toFixed(2)}, bare_same/bare ${(r.bare_same.cpu_us / r.bare.cpu_us).toFixed(2)}, ours/bare_same ${(r.ours_nolog.cpu_us / r.bare_same.cpu_us).toFixed(2)}`,
      );
    }
  }
  const limited = rows.filter((r) => r.ours_unlimited);
  if (limited.length) console.log("\nthe rate limit's cost (the same route with its limits \"off\", same run; Hono limits with hono-rate-limiter on the same binding):");
  for (const r of limited) {
    const range = r.ratio_ranges.ours_over_unlimited;
    const bareRange = r.ratio_ranges.bare_over_unlimited;
    console.log(
      `  ${r.scenario}  limited ${r.ours.rps.toFixed(0)} req/s, ${r.ours.cpu_us.toFixed(1)} µs CPU/request; unlimited ${r.ours_unlimited.rps.toFixed(0)} req/s, ${r.ours_unlimited.cpu_us.toFixed(1)} µs` +
        `   limited/unlimited ${r.ours_over_unlimited.toFixed(2)} (${range.min.toFixed(2)}–${range.max.toFixed(2)})`,
    );
    if (!r.bare_unlimited) continue;
    console.log(
      `      the call costs ours ${limitCost(r, "ours").toFixed(1)} µs CPU/request, the floor ${limitCost(r, "bare").toFixed(1)} µs` +
        ` (bare limited/unlimited ${r.bare_over_unlimited.toFixed(2)}, ${bareRange.min.toFixed(2)}–${bareRange.max.toFixed(2)})`,
    );
  }
  const proxied = rows.filter((r) => r.direct);
  if (proxied.length) console.log("\nadded latency over calling the origin directly, p50/p99 ms (each round's difference, median over rounds):");
  for (const r of proxied) {
    const of = (target) => {
      const added = r.added_latency[target];
      const signed = (ms) => `${ms < 0 ? "" : "+"}${ms.toFixed(2)}`;
      return added ? `${signed(added.p50_ms)}/${signed(added.p99_ms)}` : "n/a";
    };
    console.log(
      `  ${r.scenario}  direct ${r.direct.rps.toFixed(0)} req/s, ${r.direct.p50_ms.toFixed(2)}/${r.direct.p99_ms.toFixed(2)} ms` +
        `   ours ${of("ours")}  hono ${of("hono")}  (no log ${of("ours_nolog")}, hono+log ${of("hono_log")})`,
    );
  }
  for (const r of proxied.filter((r) => r.ours_list1)) {
    const range = (key) => `${r.ratio_ranges[key].min.toFixed(2)}–${r.ratio_ranges[key].max.toFixed(2)}`;
    console.log(
      `\nupstream targets (same run): ${r.scenario} one URL ${r.ours.rps.toFixed(0)} req/s; a one-target list ${r.ours_list1.rps.toFixed(0)} req/s, ` +
        `list/URL ${r.list1_over_url.toFixed(2)} (${range("list1_over_url")}); two targets ${r.ours_list2.rps.toFixed(0)} req/s, ` +
        `${r.ours_list2.cpu_us.toFixed(1)} µs CPU/request, two/one URL ${r.list2_over_url.toFixed(2)} (${range("list2_over_url")})`,
    );
  }
  for (const r of rows.filter((r) => r.hit_over_forward !== undefined)) {
    const range = (key) => (r.ratio_ranges[key] ? `${r.ratio_ranges[key].min.toFixed(2)}–${r.ratio_ranges[key].max.toFixed(2)}` : "n/a");
    const value = (key) => (r[key] === null ? "n/a (run it with its forward scenario)" : r[key].toFixed(2));
    console.log(
      `\nedge cache (same run): ${r.scenario} a hit ${r.ours.rps.toFixed(0)} req/s, ${r.ours.cpu_us.toFixed(1)} µs CPU/request; ` +
        `hit/forward ours ${value("hit_over_forward")} (${range("hit_over_forward")}), hono ${value("hono_hit_over_forward")} (${range("hono_hit_over_forward")})`,
    );
  }
  if (BASELINE) {
    console.log(`\nA/B against ${BASELINE} (its release bundle in the same workerd), ours/baseline:`);
    for (const r of rows) {
      const range = r.ratio_ranges.ours_over_baseline;
      if (!range) {
        console.log(`  ${r.scenario}  n/a (the baseline does not serve it)`);
        continue;
      }
      console.log(`  ${r.scenario}  ${r.ours_over_baseline.toFixed(2)} (${range.min.toFixed(2)}–${range.max.toFixed(2)})  baseline ${r.baseline.rps.toFixed(0)} req/s, ${r.baseline.cpu_us.toFixed(1)} µs CPU/request`);
    }
  }
  console.log("\nobservability's cost, same build (trace context always on): Server-Timing for everyone and a data point per request to a stub Analytics Engine dataset, over Server-Timing off:");
  for (const r of rows) {
    const range = r.ratio_ranges.observed_over_quiet;
    console.log(
      `  ${r.scenario}  on ${r.ours_observed.rps.toFixed(0)} req/s, ${r.ours_observed.cpu_us.toFixed(1)} µs CPU/request; off ${r.ours_quiet.rps.toFixed(0)} req/s, ${r.ours_quiet.cpu_us.toFixed(1)} µs` +
        `   on/off ${r.observed_over_quiet.toFixed(2)} (${range.min.toFixed(2)}–${range.max.toFixed(2)})`,
    );
  }
  // The same runtime calls made by the bare worker: their CPU is the part of
  // ours' difference no gateway code can remove. Over ours' CPU with them
  // off, it is the least on/off can cost; above 5% the issue's target cannot
  // be met with this dataset.
  console.log("the floor of it: the bare worker writing the same data point and header (bare_observed), CPU µs/request over bare, and that over ours' CPU with them off:");
  for (const r of rows) {
    const floor = r.bare_observed.cpu_us - r.bare.cpu_us;
    const ours = r.ours_observed.cpu_us - r.ours_quiet.cpu_us;
    const range = r.ratio_ranges.bare_observed_over_bare;
    console.log(
      `  ${r.scenario}  bare on/off ${r.bare_observed_over_bare.toFixed(2)} (${range.min.toFixed(2)}–${range.max.toFixed(2)}): ${signed(floor)} µs, ${((100 * floor) / r.ours_quiet.cpu_us).toFixed(1)}% of ours off` +
        `; ours ${signed(ours)} µs, ${((100 * ours) / r.ours_quiet.cpu_us).toFixed(1)}%`,
    );
  }
  const paired = rows.filter((r) => r.observability);
  if (paired.length) {
    console.log(`\nobservability on/off in paired rounds (${OBS_ROUNDS} × ${OBS_SECONDS}s each, order alternating): req/s on over off, median (lowest–highest), and the CPU µs/request it adds (median of rounds); the bare worker's the same:`);
    for (const r of paired) {
      const { ours: o, bare: b } = r.observability;
      const of = (x) => `${x.rps.median.toFixed(3)} (${x.rps.min.toFixed(2)}–${x.rps.max.toFixed(2)}), ${signed(x.added_us)} µs of ${x.off_us.toFixed(1)}`;
      console.log(`  ${r.scenario}  ours ${of(o)}   bare ${of(b)}; the bare's added µs are ${((100 * b.added_us) / o.off_us).toFixed(1)}% of ours off`);
    }
  }
  console.log("\n'ours' runs with the default settings (one access log line per request); 'no log' with ACCESS_LOG=false.");
  console.log("'hono' is the app the issue specifies (no request id, no log); 'hono+log' adds hono/request-id and one JSON log line.");
  console.log(`\nsize (wrangler deploy --dry-run): ${ours.totalKiB} KiB, gzip ${ours.gzipKiB} KiB`);
  console.log(`start-up to first response (median of 9, interleaved): ours ${startup.ours_ms} ms, bare ${startup.bare_ms} ms, difference ${startup.ours_extra_ms.toFixed(1)} ms`);
  console.log(
    `  of which loading ours's modules ${startup.loading_extra_ms.toFixed(1)} ms (ours_loaded ${startup.loaded_ms} ms: wasm compiled and instantiated, glue run, answered in JS), the first answer ${startup.first_answer_ms.toFixed(1)} ms (gateway built, its code compiled on first call)`,
  );
  console.log("\ntargets:");
  for (const check of checks) console.log(`  ${check.ok ? "met " : "MISSED"}  ${check.what}`);
}
