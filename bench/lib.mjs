// The small library behind `npm run bench` that scenario modules may use too: a meter for child
// processes (wall time and peak RSS), the alternating runner (A B A B ...), medians, budgets and
// the one table. See bench/README.md for the scenario module contract.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
/** How users run sgn (the bin's shebang is `env node`; `node <bin>` costs the same minus env). */
export const sgnArgv = [process.execPath, join(root, 'bin', 'sgn.js')];
/** The floor of every Node CLI. */
export const nodeFloorArgv = [process.execPath, '-e', '0'];

/**
 * Starts the meter: one long-lived python3 process (bench/measure.py) that spawns each command,
 * waits for it with wait4() and answers its wall time and peak RSS (the kernel's ru_maxrss).
 */
export function startMeter(python = process.env.SGN_PYTHON || 'python3') {
  const child = spawn(python, [join(root, 'bench', 'measure.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const scratch = mkdtempSync(join(tmpdir(), 'sgn-bench-'));
  let queue = Promise.resolve();
  let spawnError;
  child.on('error', (e) => (spawnError = e));
  /** Runs one command; resolves { ms, cpuMs, rssMiB, code, stdoutFile, stderrFile }. */
  const measure = ({ argv, env = process.env, cwd, tty }) => {
    const result = queue.then(async () => {
      if (spawnError) throw new Error(`${python} could not start (${spawnError.message}): the bench needs python3 (Debian: apt-get install python3).`);
      const stdoutFile = join(scratch, 'stdout');
      const stderrFile = join(scratch, 'stderr');
      child.stdin.write(JSON.stringify({ argv, env, cwd, tty, stdout: stdoutFile, stderr: stderrFile }) + '\n');
      const { value, done } = await lines.next();
      if (done) throw new Error(spawnError ? `${python} could not start: ${spawnError.message}` : 'the meter (bench/measure.py) exited');
      const answer = JSON.parse(value);
      if (answer.error) throw new Error(`could not run ${argv[0]}: ${answer.error}`);
      return { ms: answer.ms, cpuMs: answer.cpuMs, rssMiB: answer.rssKiB / 1024, code: answer.code, stdoutFile, stderrFile };
    });
    queue = result.then(() => undefined, () => undefined);
    return result;
  };
  const close = () => {
    child.stdin.end();
    rmSync(scratch, { recursive: true, force: true });
  };
  return { measure, close };
}

export function median(xs) {
  return quantile(xs, 0.5);
}

export function quantile(xs, q) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Interquartile range relative to the median: how much the runs of one side disagree. */
export function spread(xs) {
  return (quantile(xs, 0.75) - quantile(xs, 0.25)) / median(xs);
}

/** A side of a scenario as the runner uses it: { label, run() -> { ms, rssMiB } }. */
export function toSide(spec, label, meter) {
  if (typeof spec === 'function') return { label, run: async () => spec() };
  const cmd = Array.isArray(spec) ? { argv: spec } : spec;
  return {
    label: cmd.label ?? label,
    run: async () => {
      const r = await meter.measure(cmd);
      const expected = cmd.exitCode ?? 0;
      if (r.code !== expected) {
        const err = readFileSync(r.stderrFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
        throw new Error(`${cmd.argv.slice(0, 4).join(' ')} ... exited ${r.code}: ${err}`);
      }
      if (cmd.check) {
        const problem = cmd.check(readFileSync(r.stdoutFile, 'utf8'));
        if (problem) throw new Error(`${label}: ${problem}`);
      }
      return { ms: r.ms, cpuMs: r.cpuMs, rssMiB: r.rssMiB };
    },
  };
}

/**
 * Runs the sides in turn, A B A B ... (A B C ... with extra sides), so that drift of the machine
 * touches every side alike. `warmup` rounds are thrown away; then rounds until the row has
 * `minRuns` and both sgn and its peer agree with themselves (spread = IQR / median <= `maxSpread`),
 * or `runs` rounds (the cap), or `maxMs` since the row began (its time bound, warm-up included;
 * at least one measured round). Extra sides (reference notes) run only in the first `extraRounds`.
 * Returns, per side, { label, ms: [..], cpuMs: [..], rssMiB: [..] }, and on the array `stop`:
 * 'settled', 'cap' or 'time'.
 */
export async function alternate(sides, { runs = 10, minRuns = Math.min(5, runs), warmup = 1, maxSpread = 0.1, onRound, maxMs = Infinity, extraRounds = 3 } = {}) {
  const started = performance.now();
  const samples = sides.map((s) => ({ label: s.label, ms: [], cpuMs: [], rssMiB: [] }));
  const elapsed = () => performance.now() - started;
  for (let i = 0; i < warmup && elapsed() < maxMs; i++) for (const s of sides.slice(0, 2)) await s.run();
  let stop = 'cap';
  for (let round = 0; round < runs; round++) {
    for (const [i, s] of sides.entries()) {
      if (i >= 2 && round >= extraRounds) continue;
      const r = await s.run();
      samples[i].ms.push(r.ms);
      samples[i].rssMiB.push(r.rssMiB);
      if (r.cpuMs !== undefined) samples[i].cpuMs.push(r.cpuMs);
    }
    onRound?.(round + 1);
    if (round + 1 >= minRuns && samples.slice(0, 2).every((x) => !(spread(x.ms) > maxSpread))) {
      stop = 'settled';
      break;
    }
    if (elapsed() >= maxMs && round + 1 < runs) {
      stop = 'time';
      break;
    }
  }
  samples.stop = stop;
  return samples;
}

/** Budget text: { ratio: 1.1 } -> "<= 1.1x", { ratio: 0.5, rssMiB: 120 } -> "<= 0.5x, <= 120 MiB". */
export function budgetText(budget) {
  if (!budget) return '-';
  if (typeof budget === 'string') return budget;
  const parts = [];
  if (budget.ratio !== undefined) parts.push(`<= ${budget.ratio}x`);
  if (budget.ms !== undefined) parts.push(`<= ${budget.ms} ms`);
  if (budget.rssMiB !== undefined) parts.push(`<= ${budget.rssMiB} MiB`);
  if (budget.path !== undefined) parts.push(`<= ${budget.path} sequential requests`);
  if (budget.text) parts.push(budget.text);
  return parts.join(', ') || '-';
}

/** Whether a measured row meets its budget: 'yes', 'NO (why)', or '-' without a budget. */
export function budgetMet(budget, row) {
  if (!budget || typeof budget === 'string' || (budget.ratio === undefined && budget.ms === undefined && budget.rssMiB === undefined && budget.path === undefined)) return '-';
  const misses = [];
  // The critical path is known only under latency (row.path); elsewhere it is not judged.
  if (budget.path !== undefined && row.path !== undefined && !(row.path <= budget.path)) misses.push('path');
  if (budget.ratio !== undefined && !(row.ratio <= budget.ratio)) misses.push('ratio');
  if (budget.ms !== undefined && !(row.sgnMs <= budget.ms)) misses.push('time');
  if (budget.rssMiB !== undefined && !(row.sgnRssMiB <= budget.rssMiB)) misses.push('RSS');
  return misses.length ? `NO (${misses.join(', ')})` : 'yes';
}

/**
 * A result row from the samples of sgn (first side) and its peer (second side): medians,
 * ratio, sgn's peak RSS (the highest of its runs) and whether the budget is met.
 */
export function resultRow(name, budget, [sgn, peer], extra = {}) {
  const row = {
    ...extra,
    scenario: name,
    peer: peer?.label ?? '-',
    sgnMs: median(sgn.ms),
    peerMs: peer ? median(peer.ms) : NaN,
    sgnRssMiB: Math.max(...sgn.rssMiB),
    runs: sgn.ms.length,
  };
  row.ratio = row.sgnMs / row.peerMs;
  row.budget = budgetText(budget);
  row.met = budgetMet(budget, row);
  return row;
}

const fmtMs = (ms) => (Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : '-');
const fmtMiB = (m) => (Number.isFinite(m) ? `${m.toFixed(0)} MiB` : '-');
const fmtRatio = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '-');

/** The one table, as Markdown (it reads well in a terminal and pastes into the README as is). */
export function formatTable(rows) {
  const header = ['scenario', 'peer', 'sgn median', 'peer median', 'ratio', 'sgn peak RSS', 'budget', 'met', 'runs'];
  const body = rows.map((r) =>
    r.error
      ? [r.scenario, r.peer ?? '-', '-', '-', '-', '-', r.budget ?? '-', `error: ${r.error}`, '-']
      : [r.scenario, r.peer, fmtMs(r.sgnMs), fmtMs(r.peerMs), fmtRatio(r.ratio), fmtMiB(r.sgnRssMiB), r.budget, r.met, String(r.runs)],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...body.map(line)].join('\n');
}

/**
 * A loopback proxy in front of moto that answers each read (`reads` matches its X-Amz-Target;
 * DynamoDB's by default) it has seen before with moto's earlier reply, byte for byte. moto spends ~0.4 ms of Python per
 * item on a Scan, so against moto alone both sides mostly wait for moto; behind this proxy,
 * what remains is what the clients themselves cost, as against a fast real table.
 * Only for read-only scenarios: a write does not invalidate what was memoized.
 */
export async function startMemoProxy(upstream, reads = /^DynamoDB_\d+\.(Scan|Query|GetItem|DescribeTable)$/) {
  const { createServer } = await import('node:http');
  const memo = new Map();
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const target = req.headers['x-amz-target'] ?? '';
    const key = reads.test(target) ? `${target}\n${body}` : undefined;
    let reply = key && memo.get(key);
    if (!reply) {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)));
      const r = await fetch(upstream + req.url, { method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body });
      const keep = ['content-type', 'x-amz-crc32', 'x-amzn-requestid'];
      reply = { status: r.status, headers: Object.fromEntries([...r.headers].filter(([k]) => keep.includes(k))), body: Buffer.from(await r.arrayBuffer()) };
      if (key && r.status === 200) memo.set(key, reply);
    }
    res.writeHead(reply.status, { ...reply.headers, 'content-length': reply.body.length });
    res.end(reply.body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, stop: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

/**
 * Lets a scenario module also run on its own (`node bench/<name>.mjs`): registers tsx so that
 * sgn's TypeScript fixtures import, builds the CLI unless BENCH_NO_BUILD, runs `bench()` and
 * prints its result as JSON. Does nothing when the module is imported by the runner.
 */
export async function runIfMain(moduleUrl, bench) {
  const { pathToFileURL } = await import('node:url');
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  const { register } = await import('tsx/esm/api');
  register();
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (!process.env.BENCH_NO_BUILD) {
    const { execFileSync } = await import('node:child_process');
    execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build.mjs', import.meta.url))], { stdio: 'inherit' });
  }
  const result = await bench();
  process.stdout.write(JSON.stringify(result, null, 2) + '\n', () => process.exit(0));
}

/**
 * A reverse proxy that puts a network's distance between a client and a loopback server: every
 * request waits `rttMs` (half on the way in, half on the way back), and the first request on a
 * new connection one more round trip (the TCP handshake). Bodies stream through untouched.
 * `timeline` records each request ({ start, end, what }, ms) for criticalPath().
 */
export async function startLatencyProxy(upstream, rttMs) {
  const { createServer, request } = await import('node:http');
  const target = new URL(upstream);
  const timeline = [];
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const fresh = new WeakSet();
  const server = createServer(async (req, res) => {
    const start = performance.now();
    const socket = req.socket;
    const handshake = fresh.has(socket) ? 0 : rttMs;
    fresh.add(socket);
    req.pause();
    await wait(handshake + rttMs / 2);
    const headers = { ...req.headers, host: target.host };
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, async (upRes) => {
      await wait(rttMs / 2);
      const out = { ...upRes.headers };
      if (typeof out.location === 'string') out.location = out.location.replace(target.host, `127.0.0.1:${server.address().port}`);
      res.writeHead(upRes.statusCode ?? 502, out);
      upRes.pipe(res);
      res.on('finish', () => timeline.push({ start, end: performance.now(), what: `${req.headers['x-amz-target'] ?? req.method} ${req.url.split('?')[0]}` }));
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
    req.resume();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, host: new URL(url).host, upstream: target, timeline, stop: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

/**
 * The requests on a command's critical path: the longest chain of requests each of which was
 * sent only after the one before it had been answered. Requests that overlap count once.
 */
export function criticalPath(timeline) {
  const rs = [...timeline].sort((a, b) => a.start - b.start);
  const depth = [];
  let best = 0;
  for (let i = 0; i < rs.length; i++) {
    let d = 1;
    for (let j = 0; j < i; j++) if (rs[j].end <= rs[i].start && depth[j] + 1 > d) d = depth[j] + 1;
    depth[i] = d;
    best = Math.max(best, d);
  }
  return best;
}
