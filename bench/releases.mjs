// `sgn releases` of a project with 200 build artifacts (100 kB each, deployspec.yml first, as
// CodeBuild zips them) on moto, cold (empty artifact cache) and warm, against the AWS CLI
// downloading the artifacts (`aws s3 sync` of the prefix: what reading 200 commitrefs costs
// without ranged reads). A counting proxy in front of moto's S3 counts the zip bytes sgn reads.
// Runs in `npm run bench`, or on its own: `node bench/releases.mjs` prints the figures as JSON.
import { createServer, request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIfMain } from './lib.mjs';

const bucket = 'bench-pipeline';
const project = 'big';
const count = 200;
const padding = 100_000;
const table = 'kubernetes_deploy';

/** A loopback proxy to moto that counts the body bytes of GETs of the project's artifacts. */
async function countingProxy(upstream) {
  const target = new URL(upstream);
  const counter = { bytes: 0, gets: 0 };
  const server = createServer((req, res) => {
    const isZip = req.method === 'GET' && req.url.startsWith(`/${bucket}/${project}/`);
    const out = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      if (isZip) {
        counter.gets++;
        up.on('data', (c) => (counter.bytes += c.length));
      }
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, counter, stop: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

/** Seeds 200 artifacts, their deploy record and the repository, once. */
async function seed(clientConfig) {
  const [{ S3Client, PutObjectCommand }, { DynamoDBClient }, { ECRClient }, fixtures, deploy, { writeZip }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/client-ecr'),
    import('../src/sandbox/fixtures.ts'),
    import('../src/sandbox/fixtures-deploy.ts'),
    import('../src/sandbox/zip.ts'),
  ]);
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  const db = new DynamoDBClient(clientConfig);
  const ecr = new ECRClient(clientConfig);
  try {
    await fixtures.createDeployTable(db, table);
    await deploy.ensureBucket(s3, bucket);
    await deploy.createRepository(ecr, project);
    const tags = Array.from({ length: count }, (_, i) => `git-${(0x2000000 + i).toString(16)}`);
    const noise = (n, seedValue) => {
      const b = Buffer.alloc(n);
      let x = seedValue;
      for (let i = 0; i < n; i++) {
        x = (x * 1103515245 + 12345) >>> 0;
        b[i] = x >>> 24;
      }
      return b;
    };
    for (let i = 0; i < count; i += 20) {
      await Promise.all(
        tags.slice(i, i + 20).map((tag, j) =>
          s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: `${project}/BuildArtif/${tag.slice(4)}`,
              Body: writeZip([
                { name: 'deployspec.yml', data: Buffer.from(`commitref: ${tag}\nnamespace: ${project}\nenvsecret: true\nspec:\n  deploy: deploy/deployment.yml\n`) },
                { name: 'deploy/deployment.yml', data: noise(padding, i + j + 1) },
                { name: 'deploy/service.yml', data: Buffer.from('kind: Service\n') },
              ]),
            }),
          ),
        ),
      );
    }
    await deploy.tagBuildImage(ecr, project, tags[count - 1], [tags[count - 1]]);
    await fixtures.putDeployRecords(db, table, [{ project, env: 'staging', tag: tags[count - 1], deployed: new Date(), bucketName: bucket, objectKey: `${project}/BuildArtif/${tags[count - 1].slice(4)}` }]);
  } finally {
    s3.destroy();
    db.destroy();
    ecr.destroy();
  }
}

/**
 * The scenarios: cold (a fresh artifact cache each run) and warm (a cache filled by a first run).
 * The budget column reports the zip bytes read per artifact, as the proxy counted them.
 */
export async function scenarios(env) {
  let proxy;
  let seeded;
  const setup = async () => {
    seeded ??= (async () => {
      await seed(env.clientConfig);
      proxy = await countingProxy(env.moto.url);
      env.onStop(() => proxy.stop());
    })();
    await seeded;
  };
  const bytes = { cold: [], warm: [] };
  const argv = [...env.sgn, 'releases', project, '--all', '--json'];
  const check = (out) => (JSON.parse(out).releases.filter((r) => r.tag).length === count ? undefined : 'not every commitref was read');
  const sgnRun = (kind, cacheDir) => async () => {
    const before = proxy.counter.bytes;
    const r = await env.measure({ argv, env: env.awsEnv({ AWS_ENDPOINT_URL_S3: proxy.url, XDG_CACHE_HOME: cacheDir() }) });
    if (r.code !== 0) throw new Error(`sgn releases exited ${r.code}`);
    const problem = check(readFileSync(r.stdoutFile, 'utf8'));
    if (problem) throw new Error(problem);
    bytes[kind].push((proxy.counter.bytes - before) / count);
    return r;
  };
  const peerRun = async () => {
    const dir = mkdtempSync(join(env.scratch ?? tmpdir(), 'releases-sync-'));
    try {
      const r = await env.measure({ argv: env.awsArgv('s3', 'sync', '--quiet', `s3://${bucket}/${project}/BuildArtif/`, dir), env: env.awsEnv() });
      if (r.code !== 0) throw new Error(`aws s3 sync exited ${r.code}`);
      return r;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const fresh = () => mkdtempSync(join(env.scratch ?? tmpdir(), 'releases-cache-'));
  let warmDir;
  const warmCache = () => (warmDir ??= fresh());
  const perArtifact = (kind) => {
    const xs = bytes[kind];
    if (!xs.length) return 'n/a';
    const m = [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return `${(m / 1024).toFixed(2)} KiB`;
  };
  return [
    {
      name: `sgn releases, ${count} artifacts, cold cache`,
      peerLabel: 'aws s3 sync of the artifacts',
      budget: {
        get text() {
          return `a few KiB read per artifact (read ${perArtifact('cold')} per artifact)`;
        },
      },
      setup,
      sgn: sgnRun('cold', fresh),
      peer: peerRun,
      runs: 5,
      warmup: 1,
    },
    {
      name: `sgn releases, ${count} artifacts, warm cache`,
      peerLabel: 'aws s3 sync of the artifacts',
      budget: {
        get text() {
          return `no zip bytes (read ${perArtifact('warm')} per artifact)`;
        },
      },
      setup,
      sgn: sgnRun('warm', warmCache),
      peer: peerRun,
      runs: 5,
      warmup: 1,
    },
  ];
}

/** On its own: moto, a meter, each scenario a few times; prints medians and bytes per artifact as JSON. */
async function releasesBench() {
  const lib = await import('./lib.mjs');
  const { ensureMoto, startMoto } = await import('../src/sandbox/moto.ts');
  const log = (m) => process.stderr.write(m + '\n');
  const stoppers = [];
  const scratch = mkdtempSync(join(tmpdir(), 'sgn-releases-bench-'));
  const moto = await startMoto({ server: await ensureMoto(process.env, log) });
  stoppers.push(() => moto.stop());
  const meter = lib.startMeter();
  stoppers.push(async () => meter.close());
  const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
  const region = 'us-east-1';
  const env = {
    sgn: lib.sgnArgv,
    moto,
    scratch,
    clientConfig: { region, endpoint: moto.url, credentials },
    onStop: (fn) => stoppers.push(fn),
    measure: meter.measure,
    awsEnv: (extra = {}) => ({ PATH: process.env.PATH, HOME: scratch, AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: region, AWS_ENDPOINT_URL: moto.url, ...extra }),
    awsArgv: (...args) => ['/usr/bin/aws', '--endpoint-url', moto.url, ...args],
  };
  try {
    const out = [];
    for (const s of await scenarios(env)) {
      await s.setup();
      const samples = await lib.alternate([lib.toSide(s.sgn, 'sgn', meter), lib.toSide(s.peer, s.peerLabel, meter)], { runs: s.runs, warmup: s.warmup });
      const row = lib.resultRow(s.name, s.budget, samples);
      out.push({ scenario: row.scenario, sgnMs: Math.round(row.sgnMs), peerMs: Math.round(row.peerMs), ratio: Number(row.ratio.toFixed(2)), sgnPeakRssMiB: Math.round(row.sgnRssMiB), bytes: row.budget });
    }
    return out;
  } finally {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
}

await runIfMain(import.meta.url, releasesBench);
