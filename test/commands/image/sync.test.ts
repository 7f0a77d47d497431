import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { clientConfig, cliEnv, motoServer, resetMoto } from '../../helpers/aws.js';
import { runSgn } from '../../helpers/cli.js';
import { startRegistry, type RegistryInstance } from '../../helpers/registry.js';
import { gzipLayer, multiArchImage, writeOciLayout, type ImageFixture } from '../../../src/sandbox/fixtures-images.js';

const exec = promisify(execFile);

describe('sgn image sync', function () {
  this.timeout(180_000);
  let motoUrl: string;
  let creds: { username: string; password: string };
  let source: RegistryInstance;
  let target: RegistryInstance;
  let one: ImageFixture;
  let two: ImageFixture;
  let work: string;
  let cache: string;

  const env = (extra: Record<string, string> = {}) => cliEnv(motoUrl, { SGN_ECR_REGISTRY: target.host, SGN_CACHE_DIR: cache, ...extra });
  const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
  const raw = async (ref: string, auth?: { username: string; password: string }) =>
    (await exec('skopeo', ['inspect', '--raw', '--tls-verify=false', ...(auth ? ['--creds', `${auth.username}:${auth.password}`] : []), `docker://${ref}`], { encoding: 'buffer', maxBuffer: 1 << 24 })).stdout as Buffer;
  const file = (name: string, text: string) => {
    const path = join(work, name);
    writeFileSync(path, text);
    return path;
  };
  /** Requests that moved image content: GETs of manifests or blobs, and uploads. */
  const pulls = (reg: RegistryInstance, from: number) => reg.requests().slice(from).filter((r) => r.method === 'GET' && /\/(manifests|blobs)\//.test(r.path));
  const uploads = (reg: RegistryInstance, from: number) => reg.requests().slice(from).filter((r) => r.method === 'POST' || r.method === 'PATCH' || r.method === 'PUT');

  before(async function () {
    this.timeout(300_000);
    motoUrl = (await motoServer()).url;
    await resetMoto(motoUrl);
    const ecr = new ECRClient(clientConfig(motoUrl));
    const token = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0].authorizationToken!;
    ecr.destroy();
    const [username, password] = Buffer.from(token, 'base64').toString().split(':');
    creds = { username, password };
    [source, target] = await Promise.all([startRegistry(), startRegistry({ auth: creds })]);
    work = mkdtempSync(join(tmpdir(), 'sgn-sync-test-'));
    cache = mkdtempSync(join(tmpdir(), 'sgn-sync-cache-'));
    // Two images that share a base layer: the second entry mounts it from the first's repository.
    const base = gzipLayer({ 'etc/os-release': 'ID=sync\n', 'bin/base': randomBytes(300_000) });
    one = multiArchImage({ name: 'one', platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }], shared: [base], extra: { 'linux/amd64': [gzipLayer({ 'app/one': randomBytes(4000) })] } });
    two = multiArchImage({ name: 'two', platforms: [{ os: 'linux', architecture: 'amd64' }], shared: [base, gzipLayer({ 'app/two': randomBytes(4000) })] });
    for (const [img, tag] of [[one, '1.0'], [two, '2.0']] as const) {
      writeOciLayout(join(work, `oci-${tag}`), img, tag);
      await exec('skopeo', ['copy', '--all', '--dest-tls-verify=false', `oci:${join(work, `oci-${tag}`)}:${tag}`, `docker://${source.host}/demo/app:${tag}`]);
    }
    await exec('skopeo', ['copy', '--all', '--dest-tls-verify=false', `oci:${join(work, 'oci-2.0')}:2.0`, `docker://${source.host}/demo/app:2.1`]);
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  });

  it('given three entries (one up to date, one new, one failing), then the summary says so, it exits 1, and the two good ones are in place; a second run copies nothing and pulls nothing', async () => {
    const pre = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--to', 'sync/one:1.0'], { env: env() });
    assert.equal(pre.code, 0, pre.stderr);
    const list = file(
      'images.yml',
      ['# mirrored nightly', 'images:', `  - source: ${source.host}/demo/app:1.0`, '    target: sync/one:1.0', `  - source: ${source.host}/demo/app:2.0`, '    target: sync/two:2.0', `  - source: ${source.host}/demo/none:nope`, '    target: sync/none:nope', ''].join('\n'),
    );
    const res = await runSgn(['image', 'sync', list], { env: env() });
    assert.equal(res.code, 1, res.stderr);
    const rows = res.stdout.trim().split('\n').map((l) => l.split('\t'));
    assert.deepEqual(rows[0], ['LINE', 'SOURCE', 'TARGET', 'RESULT', 'COPIED']);
    assert.deepEqual(rows.slice(1).map((r) => [r[0], r[3]]), [['3', 'up to date'], ['5', 'copied'], ['7', 'failed']]);
    assert.match(res.stderr, /✗ line 7, 127\.0\.0\.1:\d+\/demo\/none:nope: 127\.0\.0\.1:\d+\/demo\/none:nope was not found on 127\.0\.0\.1:\d+/);
    assert.match(res.stderr, /✗ 3 images: 1 up to date, 1 copied \([\d.]+ kB\), 1 failed\./);
    assert.equal(sha(await raw(`${target.host}/sync/one:1.0`, creds)), one.index.digest);
    assert.equal(sha(await raw(`${target.host}/sync/two:2.0`, creds)), two.index.digest);

    const json = await runSgn(['image', 'sync', list, '--json', '--dry-run'], { env: env() });
    assert.equal(json.code, 1, json.stderr);
    const doc = JSON.parse(json.stdout);
    assert.deepEqual(doc.summary, { upToDate: 2, copied: 0, wouldCopy: 0, failed: 1, bytesCopied: 0 });

    const [s0, t0] = [source.requests().length, target.requests().length];
    const again = await runSgn(['image', 'sync', list, '--json'], { env: env() });
    assert.equal(again.code, 1, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).items.map((i: { status: string }) => i.status), ['up-to-date', 'up-to-date', 'failed']);
    assert.deepEqual(pulls(source, s0), []);
    assert.deepEqual(uploads(target, t0), []);
  });

  it('given entries that share a blob, then it is uploaded once and mounted into the other repository; given tag patterns, then each matching tag is mirrored', async () => {
    const list = file('shared.yml', ['images:', `  - source: ${source.host}/demo/app:1.0`, '    target: shared/one:1.0', `  - source: ${source.host}/demo/app`, '    target: shared/two', '    tags: ["2.*"]', ''].join('\n'));
    const res = await runSgn(['image', 'sync', list, '--json', '--images', '1'], { env: env({ SGN_CACHE_DIR: mkdtempSync(join(tmpdir(), 'sgn-sync-cache-')) }) });
    assert.equal(res.code, 0, res.stderr);
    const doc = JSON.parse(res.stdout);
    assert.deepEqual(doc.items.map((i: { target: string; status: string }) => [i.target.replace(/^[^/]+\//, ''), i.status]), [['shared/one:1.0', 'copied'], ['shared/two:2.0', 'copied'], ['shared/two:2.1', 'copied']]);
    // The base layer went up once (first entry); the 2.x images mounted it.
    assert.ok(doc.items[1].blobs.mounted >= 1, JSON.stringify(doc.items[1]));
    assert.equal(sha(await raw(`${target.host}/shared/two:2.1`, creds)), two.index.digest);
  });

  it('given --platform in an entry, then a rerun finds it up to date without reading the source index', async () => {
    const list = file('platform.yml', ['images:', `  - source: ${source.host}/demo/app:1.0`, '    target: arm/one:1.0', '    platforms: [linux/arm64]', ''].join('\n'));
    const first = await runSgn(['image', 'sync', list], { env: env() });
    assert.equal(first.code, 0, first.stderr);
    const arm = one.manifests.find((m) => m.platform?.architecture === 'arm64')!;
    assert.equal(sha(await raw(`${target.host}/arm/one:1.0`, creds)), arm.digest);
    const s0 = source.requests().length;
    const again = await runSgn(['image', 'sync', list, '--json'], { env: env() });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).items[0].status, 'up-to-date');
    assert.deepEqual(pulls(source, s0), []);
  });

  for (const [name, text, message] of [
    ['a YAML syntax error', 'images:\n  - source: nginx:1.27\n   target: [oops\n', /^Error: .*bad\.yml:3: not valid YAML/m],
    ['an unknown key', 'images:\n  - source: nginx:1.27\n  - source: redis:7\n    tag: "7"\n', /^Error: .*bad\.yml:4: unknown key "tag" \(an entry takes source, target, platforms, tags\)\.$/m],
    ['an invalid reference', 'images:\n  - source: nginx:1.27\n  - source: Nginx:1\n', /^Error: .*bad\.yml:3: "Nginx:1" is not a valid image reference/m],
    ['two platforms', 'images:\n  - source: nginx:1.27\n    platforms:\n      - linux/amd64\n      - linux/arm64\n', /^Error: .*bad\.yml:5: "platforms" takes one platform/m],
  ] as const) {
    it(`given a sync file with ${name}, then it is a usage error naming the line, and nothing is copied`, async () => {
      const t0 = target.requests().length;
      const res = await runSgn(['image', 'sync', file('bad.yml', text)], { env: env() });
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, message);
      assert.match(res.stderr, /^Hint: /m);
      assert.equal(res.stdout, '');
      assert.deepEqual(target.requests().slice(t0), []);
    });
  }

  it('given a missing file, then it is a usage error', async () => {
    const res = await runSgn(['image', 'sync', join(work, 'nope.yml')], { env: env() });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /^Error: The sync file .*nope\.yml cannot be read \(ENOENT\)\.$/m);
  });
});
