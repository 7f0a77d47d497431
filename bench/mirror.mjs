// `sgn image mirror` against `skopeo copy --all` on the same image and the same loopback
// registries (Debian's docker-registry: an anonymous source, a basic-auth target that takes the
// ECR token moto hands out), plus sgn's peak RSS while it copies a layer of hundreds of MB.
//
// Two ways in:
// - the bench runner (bench/run.mjs) calls scenarios(env): A B A B rounds it measures itself;
// - `node bench/mirror.mjs` runs it alone (starts moto and the registries, prints JSON), and
//   mirrorBench(opts) returns { name, sgnMs, peerMs, sgnRssMiB, ... } to any other caller.
// Environment: MIRROR_BENCH_MB (multi-arch image size, default 120), MIRROR_BENCH_BIG_MB (the big
// layer, default 500), MIRROR_BENCH_RUNS (standalone rounds, default 3).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runIfMain } from './lib.mjs';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const sgnArgv = [process.execPath, join(root, 'bin', 'sgn.js')];
const mb = (name, fallback) => Number(process.env[name] ?? fallback);

/**
 * Starts the two registries, writes the images as OCI layouts and pushes them to the source with
 * skopeo: `bench/multi:1` (two platforms, a shared base and two layers each, about
 * MIRROR_BENCH_MB in all) and `bench/big:1` (one platform, one MIRROR_BENCH_BIG_MB layer).
 */
export async function prepare({ motoUrl, log = () => undefined, onStop }) {
  const { startRegistry } = await import('../test/helpers/registry.ts');
  const { multiArchImage, randomLayerFile, gzipLayer, writeOciLayout } = await import('../src/sandbox/fixtures-images.ts');
  const { ECRClient, GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr');
  const ecr = new ECRClient({ region: 'us-east-1', endpoint: motoUrl, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const token = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData[0].authorizationToken;
  ecr.destroy();
  const [username, password] = Buffer.from(token, 'base64').toString().split(':');
  const [source, target] = await Promise.all([startRegistry(), startRegistry({ auth: { username, password } })]);
  const work = mkdtempSync(join(tmpdir(), 'sgn-mirror-bench-'));
  onStop(async () => {
    await Promise.all([source.stop(), target.stop()]);
    for (const dir of [work, source.dir, target.dir]) rmSync(dir, { recursive: true, force: true });
  });

  const total = mb('MIRROR_BENCH_MB', 120);
  log(`  writing a two-platform image of about ${total} MB and a ${mb('MIRROR_BENCH_BIG_MB', 500)} MB layer...`);
  const layer = async (name, share) => randomLayerFile(join(work, name), Math.round(total * share) << 20);
  const multi = multiArchImage({
    name: 'multi',
    platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    shared: [await layer('base', 0.3), gzipLayer({ 'etc/os-release': 'ID=bench\n' })],
    extra: { 'linux/amd64': [await layer('amd64-a', 0.25), await layer('amd64-b', 0.1)], 'linux/arm64/v8': [await layer('arm64-a', 0.25), await layer('arm64-b', 0.1)] },
  });
  const big = multiArchImage({ name: 'big', platforms: [{ os: 'linux', architecture: 'amd64' }], extra: { 'linux/amd64': [await randomLayerFile(join(work, 'big'), mb('MIRROR_BENCH_BIG_MB', 500) << 20)] } });
  for (const [name, image] of [['multi', multi], ['big', big]]) {
    writeOciLayout(join(work, name + '-oci'), image, '1');
    await exec('skopeo', ['copy', '--all', '--dest-tls-verify=false', `oci:${join(work, name + '-oci')}:1`, `docker://${source.host}/bench/${name}:1`]);
  }
  rmSync(work, { recursive: true, force: true });

  const home = mkdtempSync(join(tmpdir(), 'sgn-mirror-bench-home-'));
  onStop(async () => rmSync(home, { recursive: true, force: true }));
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('SGN_')));
  const env = {
    ...base,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.state'),
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: motoUrl,
    AWS_EC2_METADATA_DISABLED: 'true',
    SGN_ECR_REGISTRY: target.host,
  };
  let n = 0;
  const repositories = join(target.dir, 'data', 'docker', 'registry', 'v2', 'repositories');
  // Every measured copy goes to a repository of its own, removed afterwards: skopeo remembers
  // where it saw each blob (its blob-info cache) and would mount it from an earlier copy's
  // repository instead of uploading it, which would not be the same work as sgn's.
  return {
    env,
    hosts: [`http://${source.host}`, `http://${target.host}`],
    forget: (spec) => rmSync(join(repositories, spec.repo), { recursive: true, force: true }),
    /** `cacheDir`: sgn's caches (ECR login, blob locations) there instead of the bench HOME's. */
    sgn: (image, repo = `bench/sgn-${n++}`, cacheDir) => ({ repo, argv: [...sgnArgv, 'image', 'mirror', `${source.host}/bench/${image}:1`, '--to', `${repo}:1`], env: cacheDir ? { ...env, SGN_CACHE_DIR: cacheDir } : env }),
    /**
     * `cacheHome`: skopeo's blob-info cache (where it has seen each blob) in that folder instead
     * of the machine's shared one (root's /var/lib/containers/cache, which every earlier copy of
     * this run, removed since, fills with candidates that skopeo then tries to mount from, one
     * HEAD each). Root's cache has a fixed place, so skopeo runs as nobody there.
     */
    skopeo: (image, repo = `bench/skopeo-${n++}`, cacheHome) => ({
      repo,
      argv: [
        ...(cacheHome && asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []),
        ...['skopeo', 'copy', '--all', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', '--dest-creds', `${username}:${password}`, `docker://${source.host}/bench/${image}:1`, `docker://${target.host}/${repo}:1`],
      ],
      env: cacheHome ? skopeoEnv(cacheHome) : process.env,
    }),
  };
}

const asRoot = process.getuid?.() === 0;

/** skopeo's folders all under its own home: a root-only one (XDG_RUNTIME_DIR=/run/user/0, ...) would stop it as nobody. */
function skopeoEnv(home) {
  const env = { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config') };
  delete env.XDG_RUNTIME_DIR;
  return env;
}

/**
 * A folder for skopeo's own blob-info cache, writable by the user it runs as (see prepare()):
 * under the system's temp folder, which that user can reach (the bench's scratch folder is 0700).
 * `from`: starting with a copy of that folder (a warm cache).
 */
function skopeoHome(name, from) {
  const dir = mkdtempSync(join(tmpdir(), name));
  chmodSync(dir, 0o777);
  if (from) {
    cpSync(from, dir, { recursive: true });
    // The copy is root's: give it to the user skopeo runs as.
    if (asRoot) execFileSync('chown', ['-R', '65534:65534', dir]);
  }
  return dir;
}

/** Runs one command under /usr/bin/time: wall ms and peak RSS (MiB). */
function timed({ argv, env }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'maxrss=%M', ...argv], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`${argv.slice(0, 4).join(' ')} ... exited ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`));
      resolve({ ms, rssMiB: Number(/maxrss=(\d+)/.exec(err)?.[1] ?? NaN) / 1024 });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** The scenarios for bench/run.mjs (its contract: bench/README.md). */
export function scenarios(env) {
  let prepared;
  const setup = async () => (prepared ??= await prepare({ motoUrl: env.moto.url, log: env.log, onStop: env.onStop }));
  const scratch = (name) => mkdtempSync(join(env.scratch ?? tmpdir(), name));
  /** One measured run; the copy's repository is removed after it (`keep`: not). */
  const measured = (make, { keep = false, after } = {}) => async (ctx) => {
    const spec = make();
    const r = await (ctx?.measure ?? env.measure)(spec);
    if (r.code !== 0) throw new Error(`${spec.argv.slice(0, 4).join(' ')} ... exited ${r.code}`);
    if (!keep) prepared.forget(spec);
    after?.(spec);
    return { ms: r.ms, cpuMs: r.cpuMs, rssMiB: r.rssMiB };
  };
  // Cold: both with empty caches each run: sgn (no ECR login, no blob locations) and skopeo
  // (no blob-info cache: it neither mounts nor tries candidates from earlier, removed, copies).
  let cold;
  const coldSgn = (image) =>
    measured(() => ({ ...prepared.sgn(image, undefined, (cold = scratch('sgn-cold-cache-'))) }), { after: () => rmSync(cold, { recursive: true, force: true }) });
  let coldPeer;
  const coldSkopeo = (image) =>
    measured(() => prepared.skopeo(image, undefined, (coldPeer = skopeoHome('sgn-bench-skopeo-cold-'))), { after: () => rmSync(coldPeer, { recursive: true, force: true }) });
  // Warm: the image is already in another repository of the target, and each tool has its
  // cache from that copy (sgn: a copy of it per run, so that removed repositories never pile up).
  let warmCache;
  let warmPeer;
  let warmPeerRun;
  const warmSetup = async () => {
    await setup();
    if (warmCache) return;
    warmCache = scratch('sgn-warm-cache-');
    warmPeer = skopeoHome('sgn-bench-skopeo-warm-');
    env.onStop(() => rmSync(warmPeer, { recursive: true, force: true }));
    for (const side of [prepared.sgn('multi', 'bench/warm-base-sgn', warmCache), prepared.skopeo('multi', 'bench/warm-base-skopeo', warmPeer)]) await timed(side);
  };
  let warmRun;
  const warmSgn = measured(
    () => {
      warmRun = scratch('sgn-warm-run-');
      cpSync(warmCache, warmRun, { recursive: true });
      return prepared.sgn('multi', undefined, warmRun);
    },
    { after: () => rmSync(warmRun, { recursive: true, force: true }) },
  );
  let againPeer;
  const upToDate = async () => {
    await setup();
    if (!againPeer) {
      againPeer = skopeoHome('sgn-bench-skopeo-again-');
      env.onStop(() => rmSync(againPeer, { recursive: true, force: true }));
    }
    for (const side of [prepared.sgn('multi', 'bench/again-sgn'), prepared.skopeo('multi', 'bench/again-skopeo', againPeer)]) await timed(side);
  };
  const big = mb('MIRROR_BENCH_BIG_MB', 500);
  return [
    {
      id: 'mirror-cold',
      name: `sgn image mirror, 2 platforms, ${mb('MIRROR_BENCH_MB', 120)} MB, cold (empty caches)`,
      setup,
      sgn: coldSgn('multi'),
      peer: coldSkopeo('multi'),
      peerLabel: 'skopeo copy --all',
      budget: { ratio: 0.9 },
      runs: 5,
      warmup: 1,
    },
    {
      id: 'mirror-warm',
      name: 'sgn image mirror into a new repository, blobs in another one (warm caches)',
      setup: warmSetup,
      sgn: warmSgn,
      // skopeo, like sgn, from a copy of the cache the base copy left: each measured copy's
      // repository is removed afterwards, and a cache that remembered it would send the next
      // copy to try it first.
      peer: measured(() => prepared.skopeo('multi', undefined, (warmPeerRun = skopeoHome('sgn-bench-skopeo-warm-run-', warmPeer))), { after: () => rmSync(warmPeerRun, { recursive: true, force: true }) }),
      peerLabel: 'skopeo copy --all, its blob cache',
      budget: { ratio: 1.0 },
      runs: 6,
      warmup: 1,
    },
    {
      id: 'mirror-again',
      name: 'second sgn image mirror (up to date)',
      setup: upToDate,
      sgn: measured(() => prepared.sgn('multi', 'bench/again-sgn'), { keep: true }),
      peer: measured(() => prepared.skopeo('multi', 'bench/again-skopeo', againPeer), { keep: true }),
      peerLabel: 'skopeo copy --all again',
      extra: [{ argv: [...sgnArgv, '--version'], label: 'sgn --version' }],
      budget: { ratio: 1.0 },
      runs: 10,
      warmup: 1,
      latency: { upstreams: () => prepared.hosts, runs: 6, budget: { ratio: 1.0 } },
    },
    {
      id: 'mirror-big',
      name: `sgn image mirror, one ${big} MB layer, cold`,
      setup,
      sgn: coldSgn('big'),
      peer: coldSkopeo('big'),
      peerLabel: 'skopeo copy --all',
      budget: { ratio: 0.9, rssMiB: 80 },
      runs: 3,
      warmup: 0,
    },
  ];
}

/**
 * Standalone: starts moto and the registries, alternates sgn and skopeo (A B A B) and returns
 * { name, sgnMs, peerMs, ratio, sgnRssMiB, peerRssMiB, ... } for the multi-arch copy, with the
 * up-to-date rerun and the big-layer copy beside it.
 */
export async function mirrorBench({ runs = mb('MIRROR_BENCH_RUNS', 3), log = (m) => process.stderr.write(m + '\n') } = {}) {
  const stoppers = [];
  const onStop = (fn) => stoppers.push(fn);
  try {
    const { ensureMoto, startMoto } = await import('../src/sandbox/moto.ts');
    const moto = await startMoto({ server: await ensureMoto(process.env, log) });
    onStop(() => moto.stop());
    const p = await prepare({ motoUrl: moto.url, log, onStop });
    const alternate = async (a, b, rounds) => {
      const out = { a: [], b: [] };
      for (let i = 0; i < rounds; i++) {
        for (const [side, make] of [[out.a, a], [out.b, b]]) {
          const spec = make();
          side.push(await timed(spec));
          if (spec.repo && !spec.repo.startsWith('bench/again')) p.forget(spec);
        }
      }
      return { ms: [median(out.a.map((r) => r.ms)), median(out.b.map((r) => r.ms))], rss: [Math.max(...out.a.map((r) => r.rssMiB)), Math.max(...out.b.map((r) => r.rssMiB))] };
    };
    log('  multi-arch copy...');
    // Cold: empty sgn caches for every copy (the bench HOME's would name removed repositories).
    const fresh = () => mkdtempSync(join(tmpdir(), 'sgn-mirror-bench-cache-'));
    await alternate(() => p.sgn('multi', undefined, fresh()), () => p.skopeo('multi'), 1);
    const multi = await alternate(() => p.sgn('multi', undefined, fresh()), () => p.skopeo('multi'), runs);
    log('  up-to-date rerun...');
    const again = await alternate(() => p.sgn('multi', 'bench/again-sgn'), () => p.skopeo('multi', 'bench/again-skopeo'), runs + 1);
    const version = await alternate(() => ({ argv: [...sgnArgv, '--version'], env: p.env }), () => ({ argv: [process.execPath, '-e', '0'], env: p.env }), runs);
    log('  big layer copy...');
    const big = await alternate(() => p.sgn('big', undefined, fresh()), () => p.skopeo('big'), runs);
    return {
      name: `sgn image mirror, 2 platforms, ${mb('MIRROR_BENCH_MB', 120)} MB`,
      peer: 'skopeo copy --all',
      sgnMs: multi.ms[0],
      peerMs: multi.ms[1],
      ratio: multi.ms[0] / multi.ms[1],
      sgnRssMiB: multi.rss[0],
      peerRssMiB: multi.rss[1],
      upToDateMs: again.ms[0],
      peerAgainMs: again.ms[1],
      sgnVersionMs: version.ms[0],
      upToDateWorkMs: again.ms[0] - version.ms[0],
      bigLayerMiB: mb('MIRROR_BENCH_BIG_MB', 500),
      bigSgnMs: big.ms[0],
      bigPeerMs: big.ms[1],
      bigRatio: big.ms[0] / big.ms[1],
      bigSgnRssMiB: big.rss[0],
      bigPeerRssMiB: big.rss[1],
      runs,
    };
  } finally {
    while (stoppers.length) await stoppers.pop()().catch(() => undefined);
  }
}

await runIfMain(import.meta.url, mirrorBench);
