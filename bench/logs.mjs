// `sgn logs tail` against `aws logs tail` (AWS CLI v2, /usr/bin/aws) on the same stream in moto:
// - a finished build of LOGS_BENCH_LINES (default 100,000) lines, printed whole: wall time,
//   lines/second and peak RSS of each side, once straight from moto and once through a proxy
//   that replays moto's earlier replies (moto's Python costs both sides seconds per page);
// - follow latency: while each side follows a running build, lines are written at random moments
//   and the time from PutLogEvents returning to the line showing on the follower's stdout is taken.
// The build itself comes from sgn's CodeBuild emulator (moto cannot show a running build), served
// in this process; sgn reaches it through AWS_ENDPOINT_URL_CODEBUILD.
//
// Two ways in:
// - bench/run.mjs calls scenarios(env) (its contract: bench/README.md on the bench branch);
// - `node bench/logs.mjs` runs alone (starts moto, prints JSON), and logsBench(opts) returns
//   { name, sgnMs, peerMs, ratio, sgnLinesPerSec, peerLinesPerSec, sgnRssMiB, follow..., ... }.
// Environment: LOGS_BENCH_LINES, LOGS_BENCH_RUNS (standalone rounds, default 3),
// LOGS_BENCH_MARKS (lines timed per follow session, default 3).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { runIfMain, startMemoProxy } from './lib.mjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const sgnArgv = [process.execPath, join(root, 'bin', 'sgn.js')];
const awsBin = '/usr/bin/aws';
const total = Number(process.env.LOGS_BENCH_LINES ?? 100_000);
const project = 'bench-logs';
const group = `/aws/codebuild/${project}`;
// The follow sessions start builds of their own project: were they builds of `project`, the
// latest build of `project` (what `sgn logs tail bench-logs` prints) would be the last follow
// session's few lines, not the 100k-line build, in every row measured after them.
const followProject = 'bench-logs-follow';
const followGroup = `/aws/codebuild/${followProject}`;
const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const region = 'us-east-1';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** Seeds the finished build (one stream of `total` lines) and serves the CodeBuild emulator. */
export async function prepare({ motoUrl, log = () => undefined, onStop }) {
  const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
  const { createCodebuildEmulator, serveCodebuildEmulator } = await import('../src/sandbox/codebuild-emulator.ts');
  const { ensureLogStream, putLogLines, streamNameOf } = await import('../src/sandbox/fixtures-builds.ts');
  const logs = new CloudWatchLogsClient({ region, endpoint: motoUrl, credentials });
  onStop(async () => logs.destroy());
  const emulator = createCodebuildEmulator({ region });
  const server = await serveCodebuildEmulator(emulator);
  onStop(() => server.close());
  emulator.createProject(project);
  emulator.createProject(followProject);
  const start = Date.now() - 3_600_000;
  const id = emulator.startBuild({ project, at: new Date(start) });
  const stream = streamNameOf(id);
  log(`  writing ${total.toLocaleString('en')} lines to ${group} ${stream}...`);
  await ensureLogStream(logs, group, stream);
  const lines = function* () {
    for (let i = 0; i < total; i++) yield `#${String(i).padStart(6, '0')} Step ${i % 40}/40 : RUN npm run build -- --project ${project} ${'.'.repeat(i % 37)}\n`;
  };
  const end = await putLogLines(logs, group, stream, lines(), { start, stepMs: 10 });
  emulator.finishBuild(id, { status: 'SUCCEEDED', at: new Date(end) });
  const proxy = await startMemoProxy(motoUrl, /^Logs_\d+\.(GetLogEvents|FilterLogEvents|DescribeLogStreams|DescribeLogGroups)$/);
  onStop(proxy.stop);
  return { emulator, logs, codebuildUrl: server.url, stream, since: new Date(start - 60_000).toISOString(), proxyUrl: proxy.url, ensureLogStream, putLogLines, streamNameOf };
}

/** The environment both sides run in: moto (or the proxy) for everything, the emulator for CodeBuild. */
export function sideEnv(base, endpoint, codebuildUrl, home) {
  return {
    ...base,
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.state'),
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_CODEBUILD: codebuildUrl,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** The two commands that print the whole finished build, one line per event with its time. */
function printWhole(p, endpoint, env) {
  const lineCount = (out) => {
    let n = 0;
    for (let i = out.indexOf('\n'); i !== -1; i = out.indexOf('\n', i + 1)) n++;
    return n === total ? undefined : `expected ${total} lines on stdout, got ${n}`;
  };
  return {
    sgn: { argv: [...sgnArgv, 'logs', 'tail', project, '--timestamps'], env, check: lineCount },
    // awscli 2.9 ignores AWS_ENDPOINT_URL; `logs tail` reads only the last 10 minutes unless told
    // (an absolute --since, so that its requests are the same each run and the proxy can replay them).
    peer: { argv: [awsBin, '--endpoint-url', endpoint, 'logs', 'tail', group, '--log-stream-names', p.stream, '--since', p.since, '--format', 'short'], env, check: lineCount },
  };
}

/** Runs one command to completion, stdout to a file; wall ms and peak RSS from wait4 (python's rusage). */
function timed({ argv, env, check }, scratch) {
  const out = join(scratch, 'stdout');
  const wrapper = 'import resource,subprocess,sys,time\nf=open(sys.argv[1],"wb")\nt=time.perf_counter()\np=subprocess.run(sys.argv[2:],stdout=f)\nms=(time.perf_counter()-t)*1000\nprint(f"\\nbench: ms={ms} maxrss={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} code={p.returncode}",file=sys.stderr)';
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', wrapper, out, ...argv], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    child.on('close', () => {
      const m = /bench: ms=([\d.]+) maxrss=(\d+) code=(-?\d+)/.exec(err);
      if (!m) return reject(new Error(`no measurement for ${argv.slice(0, 4).join(' ')}: ${err}`));
      if (m[3] !== '0') return reject(new Error(`${argv.slice(0, 5).join(' ')} ... exited ${m[3]}: ${err.trim().split('\n').slice(-4).join(' ')}`));
      const problem = check?.(readFileSync(out, 'utf8'));
      if (problem) return reject(new Error(`${argv.slice(0, 5).join(' ')}: ${problem}`));
      resolve({ ms: Number(m[1]), rssMiB: Number(m[2]) / 1024 });
    });
  });
}

/**
 * One follow session: starts a running build, starts the follower, writes `marks` lines at
 * random moments 0.3-1.7 s apart, and returns each line's latency from PutLogEvents returning
 * to the line on the follower's stdout. Ends the build; stops the follower if it does not end.
 */
async function followSession(p, { argvFor, env, marks = Number(process.env.LOGS_BENCH_MARKS ?? 3) }) {
  const id = p.emulator.startBuild({ project: followProject });
  const stream = p.streamNameOf(id);
  await p.ensureLogStream(p.logs, followGroup, stream);
  const child = spawn(argvFor(stream)[0], argvFor(stream).slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  const waiters = [];
  child.stdout.on('data', (d) => {
    seen += d.toString();
    for (const w of [...waiters]) {
      if (!seen.includes(w.text)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(performance.now());
    }
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  const exited = new Promise((resolve) => child.on('close', resolve));
  const shown = (text, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      if (seen.includes(text)) return resolve(performance.now());
      const t = setTimeout(() => reject(new Error(`"${text}" not shown within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
      waiters.push({ text, resolve: (at) => (clearTimeout(t), resolve(at)) });
    });
  let last = 0;
  const write = async (text) => {
    last = Math.max(Date.now(), last + 1);
    await p.putLogLines(p.logs, followGroup, stream, [text + '\n'], { start: last });
    return performance.now();
  };
  try {
    // Both sides are following once a first line has come through.
    await write(`warm-up ${id}`);
    await shown(`warm-up ${id}`);
    const latencies = [];
    for (let i = 0; i < marks; i++) {
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 1400));
      const text = `mark ${i} of ${id}`;
      const at = await write(text);
      latencies.push((await shown(text)) - at);
    }
    return latencies;
  } finally {
    p.emulator.finishBuild(id, { status: 'SUCCEEDED' });
    const stop = setTimeout(() => child.kill('SIGTERM'), 5000);
    if (argvFor(stream)[0] === awsBin) child.kill('SIGTERM');
    await exited;
    clearTimeout(stop);
  }
}

/**
 * Time to the first line: starts the command (through `rewrite`, the latency rows' address
 * swap), takes the moment its first line is on stdout, checks it is the build's first line, and
 * stops it. Returns { ms, until } (until: that moment, so that the latency rows count only the
 * requests on the way to it).
 */
async function firstLine({ argv, env }, rewrite = (cmd) => cmd) {
  const cmd = rewrite({ argv, env });
  const started = performance.now();
  const child = spawn(cmd.argv[0], cmd.argv.slice(1), { env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let until;
  const exited = new Promise((resolve) => child.on('close', resolve));
  child.stderr.on('data', (d) => (err = (err + d).slice(-2000)));
  await new Promise((resolve) => {
    child.stdout.on('data', (d) => {
      if (until !== undefined) return;
      out += d.toString();
      if (!out.includes('\n')) return;
      until = performance.now();
      child.kill('SIGTERM');
      resolve();
    });
    void exited.then(resolve);
  });
  await exited;
  const line = out.slice(0, out.indexOf('\n'));
  if (until === undefined) throw new Error(`${argv.slice(0, 5).join(' ')} ... printed no line: ${err.trim().split('\n').slice(-3).join(' | ')}`);
  if (!/#000000 Step 0\/40/.test(line)) throw new Error(`${argv.slice(0, 5).join(' ')}: the first line is not the build's first line: ${line.slice(0, 120)}`);
  return { ms: until - started, rssMiB: NaN, until };
}

function followSides(p, motoUrl, env) {
  return {
    sgn: () => followSession(p, { env, argvFor: () => [...sgnArgv, 'logs', 'tail', followProject, '-f'] }),
    // Piped, the AWS CLI's Python block-buffers stdout and shows no line for minutes; unbuffered
    // it behaves as on a terminal, which is what a person following a build sees.
    peer: () => followSession(p, { env: { ...env, PYTHONUNBUFFERED: '1' }, argvFor: (stream) => [awsBin, '--endpoint-url', motoUrl, 'logs', 'tail', followGroup, '--log-stream-names', stream, '--follow', '--since', '1m', '--format', 'short'] }),
  };
}

/** The scenarios for bench/run.mjs (its contract: bench/README.md). */
export function scenarios(env) {
  let prepared;
  const setup = async () => (prepared ??= await prepare({ motoUrl: env.moto.url, log: env.log, onStop: env.onStop }));
  const home = () => mkdtempSync(join(env.scratch ?? tmpdir(), 'logs-home-'));
  const whole = (label, endpointOf, id) => {
    let sides;
    const side = (which) => ({
      get argv() {
        return sides[which].argv;
      },
      get env() {
        return sides[which].env;
      },
      get check() {
        return sides[which].check;
      },
    });
    return {
      id,
      name: `sgn logs tail, finished ${total.toLocaleString('en')}-line build${label}`,
      setup: async () => {
        await setup();
        const endpoint = endpointOf();
        sides = printWhole(prepared, endpoint, sideEnv({}, endpoint, prepared.codebuildUrl, home()));
      },
      sgn: side('sgn'),
      peer: side('peer'),
      peerLabel: 'aws logs tail --format short',
      budget: { ratio: 0.5, rssMiB: 100 },
      runs: 4,
      // Straight from moto there is nothing to warm (and a round costs seconds of moto's Python).
      warmup: id === 'logs' ? 0 : 1,
      // Under latency: the replayed replies, so that the distance, not moto, is what differs.
      ...(id === 'logs-memo' ? { latency: { upstreams: () => [prepared.codebuildUrl, prepared.proxyUrl], runs: 3 } } : {}),
    };
  };
  const followMs = (which) => async () => {
    const latencies = await followSides(prepared, env.moto.url, sideEnv({}, env.moto.url, prepared.codebuildUrl, home()))[which]();
    return { ms: median(latencies), rssMiB: NaN };
  };
  let firstSides;
  const first = (which) => async ({ rewrite } = {}) => firstLine(firstSides[which], rewrite);
  return [
    whole('', () => env.moto.url, 'logs'),
    whole(' (moto replies replayed)', () => prepared.proxyUrl, 'logs-memo'),
    {
      id: 'logs-follow',
      name: 'sgn logs tail -f, latency write -> printed (median per session)',
      setup,
      sgn: followMs('sgn'),
      peer: followMs('peer'),
      peerLabel: 'aws logs tail --follow',
      budget: { ms: 1500 },
      runs: 3,
      warmup: 0,
    },
    {
      // From start to the first line on stdout, moto's replies replayed; under latency, the
      // requests on the way to it: CodeBuild's latest build, its details, the first page.
      id: 'logs-first',
      name: `sgn logs tail, first line of the ${total.toLocaleString('en')}-line build`,
      setup: async () => {
        await setup();
        const endpoint = prepared.proxyUrl;
        const sides = printWhole(prepared, endpoint, sideEnv({}, endpoint, prepared.codebuildUrl, home()));
        // Unbuffered, the AWS CLI shows its first line when it has it (as on a terminal).
        firstSides = { sgn: sides.sgn, peer: { ...sides.peer, env: { ...sides.peer.env, PYTHONUNBUFFERED: '1' } } };
      },
      sgn: first('sgn'),
      peer: first('peer'),
      peerLabel: 'aws logs tail --format short',
      // performance.md budgets the first line by its round trips (under latency), not by time.
      budget: undefined,
      runs: 6,
      warmup: 1,
      pathUntil: 'to the first line',
      latency: { upstreams: () => [prepared.codebuildUrl, prepared.proxyUrl], runs: 5, budget: { path: 3 } },
    },
  ];
}

/**
 * Standalone: starts moto, seeds the build, alternates sgn and the AWS CLI (A B A B) and returns
 * { name, sgnMs, peerMs, ratio, lines/s, RSS, the replayed variant, follow latencies }.
 */
export async function logsBench({ runs = Number(process.env.LOGS_BENCH_RUNS ?? 3), log = (m) => process.stderr.write(m + '\n') } = {}) {
  const stoppers = [];
  const onStop = (fn) => stoppers.push(fn);
  const scratch = mkdtempSync(join(tmpdir(), 'sgn-logs-bench-'));
  onStop(async () => rmSync(scratch, { recursive: true, force: true }));
  try {
    const { ensureMoto, startMoto } = await import('../src/sandbox/moto.ts');
    const moto = await startMoto({ server: await ensureMoto(process.env, log) });
    onStop(() => moto.stop());
    const p = await prepare({ motoUrl: moto.url, log, onStop });
    const alternate = async (a, b, rounds) => {
      const out = { a: [], b: [] };
      for (let i = 0; i < rounds; i++) for (const [side, spec] of [[out.a, a], [out.b, b]]) side.push(await timed(spec, scratch));
      return { ms: [median(out.a.map((r) => r.ms)), median(out.b.map((r) => r.ms))], rss: [Math.max(...out.a.map((r) => r.rssMiB)), Math.max(...out.b.map((r) => r.rssMiB))] };
    };
    const home = mkdtempSync(join(scratch, 'home-'));
    const direct = printWhole(p, moto.url, sideEnv({}, moto.url, p.codebuildUrl, home));
    log('  printing the whole build, straight from moto...');
    const straight = await alternate(direct.sgn, direct.peer, runs);
    const proxied = printWhole(p, p.proxyUrl, sideEnv({}, p.proxyUrl, p.codebuildUrl, home));
    log('  printing the whole build, moto replies replayed...');
    await alternate(proxied.sgn, proxied.peer, 1); // fills the proxy's memo
    const replayed = await alternate(proxied.sgn, proxied.peer, runs);
    log('  follow latency...');
    const follow = followSides(p, moto.url, sideEnv({}, moto.url, p.codebuildUrl, home));
    const lat = { sgn: [], peer: [] };
    for (let i = 0; i < Math.max(2, runs - 1); i++) {
      lat.sgn.push(...(await follow.sgn()));
      lat.peer.push(...(await follow.peer()));
    }
    const perSec = (ms) => Math.round(total / (ms / 1000));
    return {
      name: `sgn logs tail, finished ${total.toLocaleString('en')}-line build`,
      peer: 'aws logs tail --format short (AWS CLI v2)',
      sgnMs: Math.round(straight.ms[0]),
      peerMs: Math.round(straight.ms[1]),
      ratio: +(straight.ms[0] / straight.ms[1]).toFixed(3),
      sgnLinesPerSec: perSec(straight.ms[0]),
      peerLinesPerSec: perSec(straight.ms[1]),
      sgnRssMiB: +straight.rss[0].toFixed(1),
      peerRssMiB: +straight.rss[1].toFixed(1),
      replayedSgnMs: Math.round(replayed.ms[0]),
      replayedPeerMs: Math.round(replayed.ms[1]),
      replayedRatio: +(replayed.ms[0] / replayed.ms[1]).toFixed(3),
      replayedSgnLinesPerSec: perSec(replayed.ms[0]),
      replayedPeerLinesPerSec: perSec(replayed.ms[1]),
      replayedSgnRssMiB: +replayed.rss[0].toFixed(1),
      followSgnMedianMs: Math.round(median(lat.sgn)),
      followSgnMaxMs: Math.round(Math.max(...lat.sgn)),
      followPeerMedianMs: Math.round(median(lat.peer)),
      followPeerMaxMs: Math.round(Math.max(...lat.peer)),
      followSamples: lat.sgn.length,
      lines: total,
      runs,
    };
  } finally {
    while (stoppers.length) await stoppers.pop()().catch(() => undefined);
  }
}

await runIfMain(import.meta.url, logsBench);
