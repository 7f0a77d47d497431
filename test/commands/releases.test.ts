import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { BatchDeleteImageCommand } from '@aws-sdk/client-ecr';
import { cliEnv, motoServer, resetMoto } from '../helpers/aws.js';
import { runSgn } from '../helpers/cli.js';
import { countingProxy } from '../helpers/counting-proxy.js';
import { deployClients, deployNames } from '../helpers/deployer.js';
import { noise } from '../helpers/zip-variants.js';
import { createDeployTable, putDeployRecords } from '../../src/sandbox/fixtures.js';
import { artifactKey, createRepository, ensureBucket, gitTag, putBuildsInOrder, seedProject, tagBuildImage, type DeployClients } from '../../src/sandbox/fixtures-deploy.js';
import { writeZip } from '../../src/sandbox/zip.js';

interface ReleaseJson {
  tag?: string;
  builtAt: string;
  key: string;
  size: number;
  envs: string[];
  image?: string;
  unusable?: string;
  deployable: boolean;
}
interface ReleasesJson {
  project: string;
  total: number;
  sources: { bucket: string; prefix: string }[];
  releases: ReleaseJson[];
  reads: { artifacts: number; cached: number; requests: number; bytes: number };
}

describe('sgn releases (against moto)', function () {
  this.timeout(180_000);
  let motoUrl: string;
  let clients: DeployClients;
  const scratch: string[] = [];
  /** A CLI environment with its own, empty artifact cache. */
  const freshEnv = (extra: Record<string, string> = {}) => {
    const cache = mkdtempSync(join(tmpdir(), 'sgn-cache-'));
    scratch.push(cache);
    return cliEnv(motoUrl, { XDG_CACHE_HOME: cache, ...extra });
  };
  after(() => {
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
  });

  before(async function () {
    this.timeout(300_000);
    motoUrl = (await motoServer()).url;
    clients = deployClients(motoUrl);
  });

  describe('a project with four builds, one expired image and two unusable artifacts', () => {
    const b = [1, 2, 3, 4].map((i) => gitTag(`rel-shop-${i}`));
    let env: NodeJS.ProcessEnv;

    before(async () => {
      await resetMoto(motoUrl);
      await createDeployTable(clients.dynamodb, deployNames.table);
      await ensureBucket(clients.s3, deployNames.pipelineBucket);
      // Given: the unusable ones first (oldest), then the builds, each in a later second.
      await clients.s3.send(new PutObjectCommand({ Bucket: deployNames.pipelineBucket, Key: 'shop/BuildArtif/notazip', Body: 'this is not a zip' }));
      await clients.s3.send(new PutObjectCommand({ Bucket: deployNames.pipelineBucket, Key: 'shop/BuildArtif/nospec', Body: writeZip([{ name: 'deploy/x.yml', data: Buffer.from('kind: Service\n') }]) }));
      await putBuildsInOrder(clients.s3, deployNames.pipelineBucket, { shop: b });
      const now = Date.now();
      await seedProject(clients, { table: deployNames.table, skipArtifacts: true }, {
        project: 'shop',
        builds: b,
        deployed: { staging: { tag: b[3], at: new Date(now - 3600_000) }, production: { tag: b[2], at: new Date(now - 86_400_000) } },
      });
      // A lifecycle rule expired the oldest build's image.
      await clients.ecr.send(new BatchDeleteImageCommand({ repositoryName: 'shop', imageIds: [{ imageTag: b[0] }] }));
      env = freshEnv();
    });

    it('given the builds, when `releases --json`, then newest first with tag, envs, image state and the unusable ones with reasons', async () => {
      const r = await runSgn(['releases', 'shop', '--json'], { env });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as ReleasesJson;
      assert.equal(out.total, 6);
      assert.deepEqual(out.sources, [{ bucket: deployNames.pipelineBucket, prefix: 'shop/BuildArtif/' }]);
      const usable = out.releases.filter((x) => x.tag);
      assert.deepEqual(usable.map((x) => x.tag), [b[3], b[2], b[1], b[0]]);
      assert.deepEqual(usable.map((x) => x.envs), [['staging'], ['production'], [], []]);
      assert.deepEqual(usable.map((x) => x.image), ['present', 'present', 'present', 'missing']);
      assert.deepEqual(usable.map((x) => x.deployable), [true, true, true, false]);
      assert.equal(usable[0].key, artifactKey('shop', b[3]));
      const unusable = Object.fromEntries(out.releases.filter((x) => !x.tag).map((x) => [x.key, x.unusable]));
      assert.deepEqual(unusable, { 'shop/BuildArtif/notazip': 'not a zip file', 'shop/BuildArtif/nospec': 'no deployspec.yml in the artifact' });
      for (let i = 1; i < out.releases.length; i++) assert.ok(out.releases[i - 1].builtAt >= out.releases[i].builtAt, 'newest first');
    });

    it('given no TTY, when `releases`, then a tab-separated table on stdout and the notes on stderr', async () => {
      const r = await runSgn(['releases', 'shop'], { env });
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines[0], 'TAG\tBUILT\tRUNS IN\tIMAGE\tSIZE\tARTIFACT');
      assert.match(lines[1], new RegExp(`^${b[3]}\\t\\d+s ago\\tstaging\\tin ECR\\t`));
      assert.ok(lines.some((l) => l.startsWith(`${b[0]}\t`) && l.includes('\tgone (expired?)\t')));
      assert.match(r.stderr, /shop\/BuildArtif\/notazip cannot be deployed: not a zip file\./);
      assert.match(r.stderr, /6 builds in s3:\/\/pipeline-artifacts\/shop\/BuildArtif\/\./);
      assert.ok(!r.stderr.includes('\u001b['), 'no colour when piped');
    });

    it('given --limit 2, when `releases`, then only the two newest, and stderr says how to see more', async () => {
      const r = await runSgn(['releases', 'shop', '--limit', '2', '--json'], { env });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as ReleasesJson;
      assert.deepEqual(out.releases.map((x) => x.tag), [b[3], b[2]]);
      assert.equal(out.total, 6);
      const t = await runSgn(['releases', 'shop', '--limit', '2'], { env });
      assert.match(t.stderr, /The newest 2 of 6 builds .*--limit <n> or --all for more/);
    });

    it('given bad flags, when `releases`, then usage errors (exit 2) before any AWS call', async () => {
      for (const args of [['releases', 'shop', '--limit', '0'], ['releases', 'shop', '--limit', 'x'], ['releases', 'shop', '--all', '--limit', '3'], ['releases', 'sh/op']]) {
        const r = await runSgn(args, { env: { ...env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } });
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      }
    });

    it('given a project with no records, when `releases`, then one sentence says where to point sgn (exit 1)', async () => {
      const r = await runSgn(['releases', 'nosuch'], { env });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cannot tell where the builds of nosuch are/);
      assert.match(r.stderr, /sgn config set artifactPrefix/);
    });

    it('given the artifactPrefix setting, when the records point elsewhere, then the setting wins', async () => {
      const r = await runSgn(['-c', 'artifactPrefix={project}/Other/', 'releases', 'shop', '--json'], { env });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as ReleasesJson;
      assert.deepEqual(out.sources, [{ bucket: deployNames.pipelineBucket, prefix: 'shop/Other/' }]);
      assert.equal(out.total, 0);
    });
  });

  describe('200 artifacts behind a counting proxy', () => {
    const count = 200;
    const tags = Array.from({ length: count }, (_, i) => `git-${(0x1000000 + i).toString(16)}`);
    let proxy: Awaited<ReturnType<typeof countingProxy>>;
    const padding = 100_000;

    before(async function () {
      this.timeout(300_000);
      await resetMoto(motoUrl);
      await createDeployTable(clients.dynamodb, deployNames.table);
      await ensureBucket(clients.s3, deployNames.pipelineBucket);
      await createRepository(clients.ecr, 'big');
      // Given: artifacts as CodeBuild zips them (deployspec.yml first), each with 100 kB of templates.
      const keys: string[] = [];
      for (let i = 0; i < count; i += 20) {
        await Promise.all(
          tags.slice(i, i + 20).map(async (tag, j) => {
            const key = `big/BuildArtif/${tag.slice(4)}`;
            keys[i + j] = key;
            const zip = writeZip([
              { name: 'deployspec.yml', data: Buffer.from(`commitref: ${tag}\nnamespace: big\nspec:\n  deploy: deploy/deployment.yml\n`) },
              { name: 'deploy/deployment.yml', data: noise(padding, i + j + 1) },
              { name: 'deploy/service.yml', data: Buffer.from('kind: Service\n') },
            ]);
            await clients.s3.send(new PutObjectCommand({ Bucket: deployNames.pipelineBucket, Key: key, Body: zip }));
          }),
        );
      }
      await tagBuildImage(clients.ecr, 'big', tags[count - 1], [tags[count - 1]]);
      await putDeployRecords(clients.dynamodb, deployNames.table, [{ project: 'big', env: 'staging', tag: tags[count - 1], deployed: new Date(), bucketName: deployNames.pipelineBucket, objectKey: keys[count - 1] }]);
      proxy = await countingProxy(motoUrl);
    });
    after(() => proxy?.stop());

    it('given a cold then a warm cache, when `releases --all` twice, then every commitref is right, a few KiB per artifact cold and no zip bytes warm', async () => {
      const env = freshEnv({ AWS_ENDPOINT_URL_S3: proxy.url });
      const zipGets = () => proxy.requests.filter((q) => q.method === 'GET' && q.url.startsWith(`/${deployNames.pipelineBucket}/big/`));

      const cold = await runSgn(['releases', 'big', '--all', '--json'], { env });
      assert.equal(cold.code, 0, cold.stderr);
      const out = JSON.parse(cold.stdout) as ReleasesJson;
      assert.equal(out.releases.length, count);
      assert.deepEqual(new Set(out.releases.map((r) => r.tag)), new Set(tags));
      for (const r of out.releases) assert.equal(r.key, `big/BuildArtif/${r.tag!.slice(4)}`, 'each artifact has its own commitref');
      const coldGets = zipGets();
      const perKey = new Map<string, number>();
      for (const q of coldGets) {
        assert.ok(q.range, `every GET of an artifact is ranged: ${q.url}`);
        perKey.set(q.url, (perKey.get(q.url) ?? 0) + q.bodyBytes);
      }
      assert.equal(perKey.size, count);
      const most = Math.max(...perKey.values());
      assert.ok(most <= 6 * 1024, `at most 6 KiB read of a ${padding / 1000} kB artifact, read ${most}`);
      assert.equal(out.reads.bytes, [...perKey.values()].reduce((a, b) => a + b, 0), 'the CLI counts what the proxy saw');

      const before = proxy.requests.length;
      const warm = await runSgn(['releases', 'big', '--all', '--json'], { env });
      assert.equal(warm.code, 0, warm.stderr);
      assert.deepEqual(JSON.parse(warm.stdout).releases.map((r: ReleaseJson) => r.tag), out.releases.map((r) => r.tag));
      const warmGets = zipGets().slice(coldGets.length);
      assert.equal(warmGets.length, 0, `no zip bytes read warm (${warmGets.length} GETs)`);
      assert.ok(proxy.requests.length > before, 'the warm run still listed the bucket');
      assert.equal(JSON.parse(warm.stdout).reads.cached, count);
    });
  });
});
