// `npm run bench`: sgn against its peers, side by side, in one run. Builds the CLI, starts moto,
// loads every scenario module in bench/ (contract in bench/README.md), runs sgn and its peer
// alternately and prints one table. Budgets are shown, not asserted; a row that could not
// measure what it claims (a wrong line count, a failed command) is an error row, and any error
// row makes the run exit 1.
//
// Environment (bench/README.md): BENCH_RUNS (round cap per row), BENCH_MIN_RUNS, BENCH_WARMUP,
// BENCH_MAX_SPREAD (stop once both sides' IQR/median is at most this, default 0.1), BENCH_ONLY
// (a regular expression over short ids and names), BENCH_RTT_MS (latency rows' round trip,
// default 50; 0: none), BENCH_SCENARIO_S (time bound per row, default 30), BENCH_TOTAL_S (the
// whole run, default 570: rows share what is left), BENCH_NO_BUILD=1.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';
import * as lib from './lib.mjs';

const { root, startMeter, alternate, resultRow, budgetText, budgetMet, formatTable, median } = lib;
const log = (msg) => process.stderr.write(msg + '\n');
const int = (v, fallback) => (v !== undefined && v !== '' && Number.isInteger(Number(v)) ? Number(v) : fallback);
const options = {
  runs: int(process.env.BENCH_RUNS, undefined),
  minRuns: int(process.env.BENCH_MIN_RUNS, undefined),
  warmup: int(process.env.BENCH_WARMUP, undefined),
  maxSpread: process.env.BENCH_MAX_SPREAD ? Number(process.env.BENCH_MAX_SPREAD) : 0.1,
  only: process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY, 'i') : undefined,
  /** Round-trip time the latency rows add to every request (0: no latency rows). */
  rttMs: process.env.BENCH_RTT_MS !== undefined && process.env.BENCH_RTT_MS !== '' ? Number(process.env.BENCH_RTT_MS) : 50,
  /** Time bound of one row's rounds (its set-up aside). */
  maxScenarioMs: int(process.env.BENCH_SCENARIO_S, 30) * 1000,
  /** The whole run: each row's bound is also its fair share of the time left. */
  totalMs: int(process.env.BENCH_TOTAL_S, 570) * 1000,
};
/** BENCH_ONLY matches a scenario's short id (`cfg-cat`, `mirror-cold`, `cfg-cat@rtt`, ...) or its name. */
const selected = (id, name) => !options.only || (id !== undefined && options.only.test(id)) || options.only.test(name);

/** The AWS CLI v2 from Debian's awscli. Never the first `aws` on PATH: a pyenv v1 shim may be. */
const awsCli = '/usr/bin/aws';
const stoppers = [];
const onStop = (fn) => stoppers.push(fn);
const stopAll = async () => {
  while (stoppers.length) await Promise.resolve(stoppers.pop()()).catch(() => undefined);
};

function missingPrerequisites() {
  const missing = [];
  try {
    accessSync(awsCli, constants.X_OK);
  } catch {
    missing.push(`${awsCli} (the AWS CLI v2 peer): install Debian's awscli, \`sudo apt-get install awscli\``);
  }
  try {
    execFileSync(process.env.SGN_PYTHON || 'python3', ['--version'], { stdio: 'ignore' });
  } catch {
    missing.push('python3 (runs moto and the meter): `sudo apt-get install python3 python3-venv`');
  }
  return missing;
}

/** Every scenario module: bench/*.mjs but this runner, the library and _*.mjs; start-up first. */
function scenarioModules() {
  return readdirSync(join(root, 'bench'))
    .filter((f) => f.endsWith('.mjs') && !['run.mjs', 'lib.mjs'].includes(f) && !f.startsWith('_'))
    .sort((a, b) => Number(b === 'startup.mjs') - Number(a === 'startup.mjs') || a.localeCompare(b))
    .map((f) => join(root, 'bench', f));
}

function benchEnv(moto, meter) {
  const scratch = mkdtempSync(join(tmpdir(), 'sgn-bench-home-'));
  onStop(() => rmSync(scratch, { recursive: true, force: true }));
  const region = 'us-east-1';
  const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('SGN_')));
  return {
    root,
    lib,
    sgn: lib.sgnArgv,
    node: process.execPath,
    aws: awsCli,
    moto: { url: moto.url },
    region,
    credentials,
    scratch,
    options,
    measure: meter.measure,
    onStop,
    log,
    /** SDK client config pointing at moto, for seeding and reading back. */
    clientConfig: { region, endpoint: moto.url, credentials, forcePathStyle: true },
    /**
     * The environment both sgn and the AWS CLI run with against moto: the user's environment
     * minus AWS_* and SGN_* variables, a scratch HOME (no real profile, settings or credentials leak in),
     * moto's endpoint and dummy credentials.
     */
    awsEnv: (extra = {}) => ({
      ...base,
      HOME: scratch,
      XDG_CONFIG_HOME: join(scratch, '.config'),
      XDG_STATE_HOME: join(scratch, '.state'),
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ENDPOINT_URL: moto.url,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
      ...extra,
    }),
    /** argv of the AWS CLI against moto (awscli 2.9 ignores AWS_ENDPOINT_URL: pass the flag). */
    awsArgv: (...args) => [awsCli, '--endpoint-url', moto.url, ...args],
  };
}

/** Measures one scenario of the contract within `maxMs`; returns its table row and notes. */
async function runScenario(s, env, meter, latency, maxMs) {
  const started = Date.now();
  await s.setup?.();
  try {
    const wrap = latency ? await latency.wrapper(s) : (side) => side;
    const sides = [wrap(lib.toSide(s.sgn, 'sgn', meter), s.sgn), wrap(lib.toSide(s.peer, s.peerLabel ?? 'peer', meter), s.peer), ...(latency ? [] : (s.extra ?? []).map((x, i) => lib.toSide(x, `extra ${i + 1}`, meter)))];
    const runs = options.runs ?? s.runs ?? 10;
    const minRuns = Math.min(runs, options.minRuns ?? s.minRuns ?? 5);
    const warmup = options.warmup ?? s.warmup ?? 1;
    const measuring = Date.now();
    const progress = (n) => process.stderr.isTTY && process.stderr.write(`\r  ${n} rounds`);
    const samples = await alternate(sides, { runs, minRuns, warmup, maxSpread: options.maxSpread, onRound: progress, maxMs });
    const why = { settled: 'spread settled', cap: 'round cap', time: 'time bound' }[samples.stop];
    process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}  ${samples[0].ms.length} rounds, ${why} (set-up ${((measuring - started) / 1000).toFixed(0)} s, rounds ${((Date.now() - measuring) / 1000).toFixed(0)} s)\n`);
    const row = resultRow(s.name, s.budget, samples, latency ? { path: sides[0].medianPath() } : {});
    if (samples.stop === 'time') row.runs = `${row.runs} (time)`;
    const notes = samples.slice(2).map((x) => `${s.name}: for reference, ${x.label} took ${median(x.ms).toFixed(0)} ms (${(median(x.ms) / row.peerMs).toFixed(2)}x ${row.peer}), peak ${Math.max(...x.rssMiB).toFixed(0)} MiB.`);
    if (latency) notes.push(`${s.name}: requests on the critical path${s.pathUntil ? ` ${s.pathUntil}` : ''} (each waiting for the one before): ${sides.map((x) => `${x.label} ${x.path()}`).join(', ')}.`);
    return { row, notes };
  } finally {
    await s.teardown?.();
  }
}

/**
 * The latency rows: the same scenario with every request of both sides through a proxy that adds
 * `rttMs` (bench/lib.mjs startLatencyProxy), one proxy per server the scenario talks to (moto,
 * and whatever `latency.upstreams()` names: registries, the deployer emulator). Each side's
 * argv and environment are rewritten to the proxies' addresses; function sides receive a
 * `measure` that does the same. Per side, the most requests found on one critical path.
 */
function latencyRows(env, meter) {
  const proxies = new Map();
  const proxyFor = async (upstream) => {
    const key = new URL(upstream).origin;
    if (!proxies.has(key)) {
      const p = await lib.startLatencyProxy(key, options.rttMs);
      onStop(p.stop);
      proxies.set(key, p);
    }
    return proxies.get(key);
  };
  return {
    async wrapper(s) {
      const ups = await Promise.all([env.moto.url, ...((await s.latency.upstreams?.()) ?? [])].map(proxyFor));
      const swap = (v) => (typeof v === 'string' ? ups.reduce((t, p) => t.replaceAll(p.upstream.origin, p.url).replaceAll(p.upstream.host, p.host), v) : v);
      const rewrite = (cmd) => ({ ...cmd, argv: cmd.argv.map(swap), ...(cmd.env ? { env: Object.fromEntries(Object.entries(cmd.env).map(([k, v]) => [k, swap(v)])) } : {}) });
      const all = () => [...proxies.values()];
      return (side, spec) => {
        const paths = [];
        const runOnce =
          typeof spec === 'function'
            ? () => spec({ measure: (cmd) => meter.measure(rewrite(cmd)), rewrite })
            : () => lib.toSide(rewrite(Array.isArray(spec) ? { argv: spec } : { argv: spec.argv, env: spec.env, cwd: spec.cwd, tty: spec.tty, check: spec.check, exitCode: spec.exitCode }), side.label, meter).run();
        return {
          label: side.label,
          // The median run's count (the first run may still fill a cache), and the most seen.
          path: () => `${median(paths)} (most ${Math.max(...paths)})`,
          medianPath: () => median(paths),
          run: async () => {
            for (const p of all()) p.timeline.length = 0;
            const from = performance.now();
            const r = await runOnce();
            // A side that returns `until` (a performance.now() time, e.g. its first line shown)
            // counts only the requests answered by then.
            const until = r.until ?? Infinity;
            paths.push(lib.criticalPath(all().flatMap((p) => p.timeline).filter((x) => x.start >= from && x.end <= until)));
            return r;
          },
        };
      };
    },
  };
}

/** A row a module measured itself (`results()`): the runner adds ratio, budget text and met. */
function ownRow(r) {
  const row = { runs: '-', ...r, peer: r.peer ?? r.peerLabel ?? '-', ratio: r.ratio ?? r.sgnMs / r.peerMs };
  row.met = r.met ?? budgetMet(r.budget, row);
  row.budget = budgetText(r.budget);
  return row;
}

const benchStarted = performance.now();

async function main() {
  const missing = missingPrerequisites();
  if (missing.length) {
    log('npm run bench needs:\n  ' + missing.join('\n  '));
    process.exitCode = 1;
    return;
  }
  if (process.env.BENCH_NO_BUILD !== '1') {
    log('Building the CLI (npm run build)...');
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Scenario modules may import sgn's TypeScript sources (fixtures, moto) directly.
  register();
  const { ensureMoto, startMoto } = await import('../src/sandbox/moto.ts');
  const server = await ensureMoto(process.env, log);
  // startMoto sets MOTO_ENABLE_RECORDING=false, which moto reads as true (any non-empty string):
  // it would append every request to ./moto_recording. Send that log nowhere, then stop it.
  process.env.MOTO_RECORDER_FILEPATH = devNull;
  const moto = await startMoto({ server });
  await fetch(`${moto.url}/moto-api/recorder/stop-recording`, { method: 'POST' });
  onStop(() => moto.stop());
  const meter = startMeter();
  onStop(() => meter.close());
  const env = benchEnv(moto, meter);

  log(`Node ${process.version}, ${(await import('node:os')).cpus().length} CPUs, load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}, moto at ${moto.url}.`);
  if (process.env.NODE_EXTRA_CA_CERTS) log('NODE_EXTRA_CA_CERTS is set: every Node start (sgn and node -e 0 alike) pays for it; compare ratios, not times.');
  const rows = [];
  const notes = [];
  // Every module first, then the plan: rows in module order, the latency rows last.
  const plan = [];
  const later = [];
  for (const file of scenarioModules()) {
    const name = file.slice(root.length);
    let mod;
    try {
      mod = await import(pathToFileURL(file).href);
    } catch (e) {
      plan.push({ error: { scenario: name, error: `could not load: ${e.message.split('\n')[0]}` } });
      continue;
    }
    const produce = [mod.scenarios, mod.results, mod.default].find((f) => typeof f === 'function');
    if (!produce) {
      plan.push({ error: { scenario: name, error: 'exports neither scenarios(env) nor results(env) (see bench/README.md)' } });
      continue;
    }
    let items;
    try {
      items = await produce(env);
    } catch (e) {
      plan.push({ error: { scenario: name, error: e.message.split('\n')[0] } });
      continue;
    }
    for (const item of items ?? []) {
      const title = item.name ?? item.scenario ?? name;
      if (item.latency && options.rttMs > 0 && selected(item.id && `${item.id}@rtt`, `${title}, ${options.rttMs} ms RTT`)) {
        later.push({ item: { ...item, ...item.latency, name: `${title}, ${options.rttMs} ms RTT`, budget: item.latency.budget ?? { ratio: 0.5 }, runs: item.latency.runs ?? Math.min(item.runs ?? 10, 8) }, latency: true });
      }
      if (selected(item.id, title)) plan.push({ item: { ...item, name: title } });
    }
  }
  plan.push(...later);
  const deadline = benchStarted + options.totalMs;
  const latency = latencyRows(env, meter);
  const measured = plan.filter((p) => p.item && p.item.sgnMs === undefined && !p.item.skip).length;
  let done = 0;
  for (const { item, error, latency: rtt } of plan) {
    if (error) {
      rows.push(error);
      continue;
    }
    if (item.sgnMs !== undefined) {
      // Measured by the module itself.
      rows.push(ownRow({ scenario: item.name, ...item }));
      continue;
    }
    if (item.skip) {
      rows.push({ scenario: item.name, budget: budgetText(item.budget), error: `skipped: ${item.skip}` });
      continue;
    }
    // Each row: its own bound, or its fair share of what is left of the run, if that is less.
    const share = (deadline - performance.now()) / (measured - done);
    const maxMs = Math.max(3000, Math.min(item.maxSeconds ? item.maxSeconds * 1000 : options.maxScenarioMs, share));
    done++;
    log(`- ${item.name} vs ${item.peerLabel ?? 'peer'} (${item.id ?? '-'}${rtt ? '@rtt' : ''}, at most ${(maxMs / 1000).toFixed(0)} s of rounds)`);
    try {
      const r = await runScenario(item, env, meter, rtt ? latency : undefined, maxMs);
      rows.push(r.row);
      notes.push(...r.notes);
    } catch (e) {
      log(`  error: ${e.message.split('\n')[0]}`);
      rows.push({ scenario: item.name, peer: item.peerLabel, budget: budgetText(item.budget), error: e.message.split('\n')[0] });
    }
  }
  process.stdout.write('\n' + formatTable(rows) + '\n');
  const os = await import('node:os');
  process.stdout.write(`\nTotal ${((performance.now() - benchStarted) / 1000).toFixed(0)} s; load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs.\n`);
  if (notes.length) process.stdout.write('\n' + notes.join('\n') + '\n');
  process.stdout.write(`\nMedians of alternating runs (sgn, peer, sgn, peer, ...); ratio = sgn / peer; peak RSS = highest of sgn's runs; runs "(time)": stopped by the row's time bound. Node ${process.version}.\n`);
  const failed = rows.filter((r) => r.error && !r.error.startsWith('skipped:'));
  if (failed.length) {
    process.stdout.write(`\n${failed.length} row(s) FAILED (they measured nothing, or the wrong thing): ${failed.map((r) => r.scenario).join('; ')}.\n`);
    process.exitCode = 1;
  }
}

const interrupted = () => {
  void stopAll().then(() => process.kill(process.pid, 'SIGINT'));
};
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);
try {
  await main();
} finally {
  await stopAll();
}
