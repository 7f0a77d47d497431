import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeRepositoriesCommand, ECRClient, GetAuthorizationTokenCommand, GetLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { clientConfig, cliEnv, motoServer, resetMoto } from '../../helpers/aws.js';
import { runSgn, sgnBin } from '../../helpers/cli.js';
import { plain, runSgnInPty } from '../../helpers/pty.js';
import { startRegistry, type RegistryInstance } from '../../helpers/registry.js';
import { startRegistryProxy } from '../../helpers/registry-proxy.js';
import { gzipLayer, multiArchImage, randomLayerFile, writeOciLayout, type ImageFixture } from '../../../src/sandbox/fixtures-images.js';
import { parseImageMirror } from '../../../src/commands/image/mirror.js';
import { UsageError } from '../../../src/errors.js';

const exec = promisify(execFile);

describe('sgn image mirror', () => {
  describe('parse', () => {
    it('given a familiar name, then the source is normalised as Docker does and the defaults apply', () => {
      const o = parseImageMirror(['nginx'], {});
      assert.deepEqual(o, { source: { domain: 'docker.io', path: 'library/nginx', tag: 'latest' }, dryRun: false, jobs: 4 });
    });
    it('given --to, --platform, --jobs and --dry-run, then they are typed', () => {
      const o = parseImageMirror(['ghcr.io/org/app:v1'], { to: 'team/app:stable', platform: 'linux/arm64/v8', jobs: '8', dryRun: true });
      assert.deepEqual(o.to, { repository: 'team/app', tag: 'stable' });
      assert.deepEqual(o.platform, { os: 'linux', architecture: 'arm64', variant: 'v8' });
      assert.equal(o.jobs, 8);
      assert.equal(o.dryRun, true);
    });
    for (const [flags, message] of [
      [{ platform: 'linux' }, /--platform takes os\/arch/],
      [{ to: 'localhost:5000/app:1' }, /--to takes repository\[:tag\]/],
      [{ to: 'Team/App' }, /--to takes/],
      [{ jobs: '0' }, /--jobs takes a whole number/],
    ] as const) {
      it(`given ${JSON.stringify(flags)}, then it is a usage error`, () => {
        assert.throws(() => parseImageMirror(['nginx'], flags), (e: unknown) => e instanceof UsageError && message.test(e.message));
      });
    }
    it('given an invalid image reference, then the usage error gives the reason', () => {
      assert.throws(() => parseImageMirror(['Nginx:1'], {}), (e: unknown) => e instanceof UsageError && /must be lowercase/.test(e.message));
    });
  });

  describe('between docker-registry instances, with skopeo as the independent client', function () {
    this.timeout(180_000);
    let motoUrl: string;
    let ecr: ECRClient;
    let creds: { username: string; password: string };
    let source: RegistryInstance;
    let target: RegistryInstance;
    let image: ImageFixture;
    let bigLayer: string;
    let work: string;
    const policy = JSON.stringify({ rules: [{ rulePriority: 1, description: 'keep 30', selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 30 }, action: { type: 'expire' } }] });

    const env = (extra: Record<string, string> = {}) => cliEnv(motoUrl, { SGN_ECR_REGISTRY: target.host, ...extra });
    const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
    /** The manifest bytes as skopeo reads them (independently of sgn). */
    const raw = async (ref: string, auth?: { username: string; password: string }) =>
      (await exec('skopeo', ['inspect', '--raw', '--tls-verify=false', ...(auth ? ['--creds', `${auth.username}:${auth.password}`] : []), `docker://${ref}`], { encoding: 'buffer', maxBuffer: 1 << 24 })).stdout as Buffer;
    /** Status of a HEAD on the target registry, with the ECR credentials. */
    const head = async (reg: RegistryInstance, path: string, auth = creds) => {
      const res = await fetch(`http://${reg.host}${path}`, {
        method: 'HEAD',
        headers: { Authorization: 'Basic ' + Buffer.from(`${auth.username}:${auth.password}`).toString('base64'), Accept: 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
      });
      return res.status;
    };
    const uploads = (reg: RegistryInstance, from: number) => reg.requests().slice(from).filter((r) => r.method === 'PATCH' || r.method === 'POST' || (r.method === 'PUT' && r.path.includes('/blobs/uploads/')));
    /** Checks that every platform manifest and the index of `dst` are byte for byte those of `src`. */
    const assertSameImage = async (src: string, dst: string) => {
      const s = await raw(src);
      const d = await raw(dst, creds);
      assert.equal(sha(d), sha(s));
      const index = JSON.parse(s.toString()) as { manifests?: { digest: string }[] };
      for (const m of index.manifests ?? []) {
        assert.equal(sha(await raw(`${dst.replace(/:[^:/]+$/, '')}@${m.digest}`, creds)), m.digest);
      }
    };

    before(async function () {
      this.timeout(300_000);
      motoUrl = (await motoServer()).url;
      await resetMoto(motoUrl);
      ecr = new ECRClient(clientConfig(motoUrl));
      // The target's htpasswd holds exactly what ECR's GetAuthorizationToken returns, so the
      // copy goes through sgn's real ECR login path.
      const token = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0].authorizationToken!;
      const [username, password] = Buffer.from(token, 'base64').toString().split(':');
      creds = { username, password };
      [source, target] = await Promise.all([startRegistry(), startRegistry({ auth: creds })]);
      work = mkdtempSync(join(tmpdir(), 'sgn-mirror-test-'));
      bigLayer = join(work, 'big.tar.gz');
      const big = await randomLayerFile(bigLayer, 40 << 20);
      image = multiArchImage({
        name: 'app',
        platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
        shared: [gzipLayer({ 'etc/os-release': 'ID=test\n' })],
        extra: { 'linux/amd64': [big, gzipLayer({ 'app/amd64.bin': randomBytes(5000) })] },
      });
      writeOciLayout(join(work, 'oci'), image, '1.0');
      await exec('skopeo', ['copy', '--all', '--dest-tls-verify=false', `oci:${join(work, 'oci')}:1.0`, `docker://${source.host}/demo/app:1.0`]);
      await exec('skopeo', ['copy', '--all', '--format', 'v2s2', '--dest-tls-verify=false', `oci:${join(work, 'oci')}:1.0`, `docker://${source.host}/demo/app:docker`]);
    });

    after(() => rmSync(work, { recursive: true, force: true }));

    it('given a two-platform OCI image, when mirrored, then the index and each platform manifest keep their digests and the ECR repository is created with scan on push and the lifecycle policy', async () => {
      const res = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`], { env: env({ SGN_MIRROR_LIFECYCLE_POLICY: policy }) });
      assert.equal(res.code, 0, res.stderr);
      // skopeo pushed the layout unchanged, so the source holds the fixture's own index.
      assert.equal(sha(await raw(`${source.host}/demo/app:1.0`)), image.index.digest);
      assert.equal(res.stdout, `${target.host}/mirror/demo/app:1.0@${image.index.digest}\n`);
      await assertSameImage(`${source.host}/demo/app:1.0`, `${target.host}/mirror/demo/app:1.0`);
      // skopeo pulls the copy back and verifies every blob's digest on the way.
      await exec('skopeo', ['copy', '--all', '--src-tls-verify=false', '--src-creds', `${creds.username}:${creds.password}`, `docker://${target.host}/mirror/demo/app:1.0`, `oci:${join(work, 'pulled')}:1.0`]);
      const repo = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['mirror/demo/app'] }))).repositories![0];
      assert.equal(repo.imageScanningConfiguration?.scanOnPush, true);
      const lifecycle = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'mirror/demo/app' }));
      assert.deepEqual(JSON.parse(lifecycle.lifecyclePolicyText!), JSON.parse(policy));
      assert.match(res.stderr, /^Mirroring 127\.0\.0\.1:\d+\/demo\/app:1\.0 -> 127\.0\.0\.1:\d+\/mirror\/demo\/app:1\.0$/m);
      assert.match(res.stderr, /created repository mirror\/demo\/app \(scan on push, lifecycle policy\)/);
      assert.match(res.stderr, /copied {2}layer {2}sha256:[0-9a-f]{12} {2}4\d\.\d MB/);
      assert.match(res.stderr, /✓ Mirrored .*\(linux\/amd64, linux\/arm64\/v8\) in .*: 7 blobs copied/);
    });

    it('given the target already has the digest, when mirrored again, then no blob is uploaded, the source gets only HEADs, and it says up to date', async () => {
      const [t0, s0] = [target.requests().length, source.requests().length];
      const res = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--json'], { env: env() });
      assert.equal(res.code, 0, res.stderr);
      const out = JSON.parse(res.stdout);
      assert.equal(out.upToDate, true);
      assert.equal(out.digest, image.index.digest);
      assert.deepEqual(uploads(target, t0), []);
      assert.deepEqual(source.requests().slice(s0).map((r) => r.method), ['HEAD']);
      const text = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`], { env: env() });
      assert.match(text.stderr, /✓ .*\/mirror\/demo\/app:1\.0 is up to date \(sha256:[0-9a-f]{12}\); nothing to copy\./);
      assert.equal(text.stdout, `${target.host}/mirror/demo/app:1.0@${image.index.digest}\n`);
    });

    it('given --platform linux/arm64, when mirrored, then only that platform manifest is copied and the tag points at it', async () => {
      const res = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--platform', 'linux/arm64', '--to', 'arm/app:1.0', '--json'], { env: env() });
      assert.equal(res.code, 0, res.stderr);
      const arm = image.manifests.find((m) => m.platform?.architecture === 'arm64')!;
      assert.equal(sha(await raw(`${target.host}/arm/app:1.0`, creds)), arm.digest);
      assert.deepEqual(JSON.parse(res.stdout).platforms, ['linux/arm64/v8']);
      // The amd64 image and its big layer stayed behind.
      const amd = image.manifests.find((m) => m.platform?.architecture === 'amd64')!;
      const bigDigest = image.blobs.find((b) => b.path === bigLayer)!.digest;
      assert.equal(await head(target, `/v2/arm/app/manifests/${amd.digest}`), 404);
      assert.equal(await head(target, `/v2/arm/app/blobs/${bigDigest}`), 404);
      assert.equal(await head(target, `/v2/arm/app/manifests/${image.index.digest}`), 404);
    });

    it('given --platform onto a tag that holds a multi-platform index, then it refuses and names the platforms that would be lost, unless --force', async () => {
      const seeded = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--to', 'narrow/app:1.0'], { env: env() });
      assert.equal(seeded.code, 0, seeded.stderr);
      const refused = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--platform', 'linux/arm64', '--to', 'narrow/app:1.0'], { env: env() });
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /^Error: 127\.0\.0\.1:\d+\/narrow\/app:1\.0 holds a multi-platform image \(linux\/amd64, linux\/arm64\/v8\); mirroring only linux\/arm64\/v8 onto it would drop linux\/amd64\. Nothing was changed\.$/m);
      assert.match(refused.stderr, /^Hint: .*--force/m);
      assert.equal(sha(await raw(`${target.host}/narrow/app:1.0`, creds)), image.index.digest);
      const forced = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--platform', 'linux/arm64', '--to', 'narrow/app:1.0', '--force'], { env: env() });
      assert.equal(forced.code, 0, forced.stderr);
      const arm = image.manifests.find((m) => m.platform?.architecture === 'arm64')!;
      assert.equal(sha(await raw(`${target.host}/narrow/app:1.0`, creds)), arm.digest);
    });

    it('given a Docker manifest list with schema 2 manifests, when mirrored, then its digests are kept too', async () => {
      const res = await runSgn(['image', 'mirror', `${source.host}/demo/app:docker`, '--to', 'docker/app:docker'], { env: env() });
      assert.equal(res.code, 0, res.stderr);
      const list = await raw(`${source.host}/demo/app:docker`);
      assert.equal(JSON.parse(list.toString()).mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
      await assertSameImage(`${source.host}/demo/app:docker`, `${target.host}/docker/app:docker`);
    });

    it('given the same registry as source and target, when mirrored, then every blob is mounted and no byte is uploaded', async () => {
      const t0 = target.requests().length;
      const res = await runSgn(['image', 'mirror', `${target.host}/mirror/demo/app:1.0`, '--to', 'mounted/app:1.0', '--json'], { env: env() });
      assert.equal(res.code, 0, res.stderr);
      const out = JSON.parse(res.stdout);
      assert.equal(out.blobs.mounted, out.blobs.total);
      assert.equal(out.blobs.copied, 0);
      assert.deepEqual(target.requests().slice(t0).filter((r) => r.method === 'PATCH'), []);
      assert.equal(sha(await raw(`${target.host}/mounted/app:1.0`, creds)), image.index.digest);
    });

    it('given an image already mirrored into one repository, when mirrored into a second one, then every blob is mounted from the first (no upload at the registry) and the digests are kept', async () => {
      const cache = mkdtempSync(join(tmpdir(), 'sgn-cache-'));
      const first = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--to', 'first/app:1.0', '--json'], { env: env({ SGN_CACHE_DIR: cache }) });
      assert.equal(first.code, 0, first.stderr);
      assert.equal(JSON.parse(first.stdout).blobs.copied, 7);
      const t0 = target.requests().length;
      const s0 = source.requests().length;
      const second = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--to', 'second/app:1.0', '--json'], { env: env({ SGN_CACHE_DIR: cache }) });
      assert.equal(second.code, 0, second.stderr);
      const out = JSON.parse(second.stdout);
      assert.deepEqual([out.blobs.mounted, out.blobs.copied, out.blobs.bytesCopied], [7, 0, 0]);
      const after = target.requests().slice(t0);
      // The registry's own log: mount POSTs naming the first repository, answered 201; no PATCH, no upload PUT.
      assert.deepEqual(after.filter((r) => r.method === 'PATCH' || (r.method === 'PUT' && r.path.includes('/blobs/uploads/'))), []);
      const mounts = after.filter((r) => r.method === 'POST');
      assert.equal(mounts.length, 7);
      assert.ok(mounts.every((r) => r.status === 201 && r.path.includes('from=first%2Fapp')), JSON.stringify(mounts));
      // No blob was read from the source either: only its manifests.
      assert.deepEqual(source.requests().slice(s0).filter((r) => r.path.includes('/blobs/')), []);
      await assertSameImage(`${source.host}/demo/app:1.0`, `${target.host}/second/app:1.0`);
      rmSync(cache, { recursive: true, force: true });
    });

    it('given a registry that refuses mounts, when a blob is known in another repository, then it is uploaded instead and the copy is complete', async () => {
      const cache = mkdtempSync(join(tmpdir(), 'sgn-cache-'));
      const refusing = await startRegistryProxy(target.host, { refuseMounts: true });
      const first = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--to', 'refused-a/app:1.0'], { env: env({ SGN_CACHE_DIR: cache, SGN_ECR_REGISTRY: refusing.host }) });
      assert.equal(first.code, 0, first.stderr);
      const second = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--to', 'refused-b/app:1.0', '--json'], { env: env({ SGN_CACHE_DIR: cache, SGN_ECR_REGISTRY: refusing.host }) });
      assert.equal(second.code, 0, second.stderr);
      const out = JSON.parse(second.stdout);
      assert.deepEqual([out.blobs.mounted, out.blobs.copied], [0, 7]);
      const asked = refusing.hits.filter((h) => h.method === 'POST' && h.path.includes('/refused-b/') && h.path.includes('mount='));
      assert.equal(asked.length, 7, 'each blob was first offered as a mount');
      assert.ok(asked.every((h) => h.status === 202));
      await assertSameImage(`${source.host}/demo/app:1.0`, `${target.host}/refused-b/app:1.0`);
      await refusing.stop();
      rmSync(cache, { recursive: true, force: true });
    });

    it('given a target that refuses a blob in the PUT that completes its upload, then that blob goes again as PATCH then PUT and the copy is complete', async () => {
      const picky = await startRegistryProxy(target.host, { faults: [{ method: 'PUT', path: /\/blobs\/uploads\//, status: 400, code: 'BLOB_UPLOAD_INVALID', times: 1 }] });
      const cache = mkdtempSync(join(tmpdir(), 'sgn-cache-'));
      const res = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--to', 'picky/app:1.0', '--json'], { env: env({ SGN_CACHE_DIR: cache, SGN_ECR_REGISTRY: picky.host }) });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(JSON.parse(res.stdout).blobs.copied, 7);
      const uploads = picky.hits.filter((h) => h.path.includes('/picky/app/blobs/uploads/'));
      assert.equal(uploads.find((h) => h.method === 'PUT')?.status, 400, 'the first blob came in the completing PUT, and was refused');
      // The blobs already on their way in PUTs at that moment were taken; the refused one (and any started later) went as PATCH.
      const patched = uploads.filter((h) => h.method === 'PATCH');
      assert.ok(patched.length >= 1 && patched.every((h) => h.status === 202), JSON.stringify(uploads));
      await assertSameImage(`${source.host}/demo/app:1.0`, `${target.host}/picky/app:1.0`);
      await picky.stop();
      rmSync(cache, { recursive: true, force: true });
    });

    it('given a cached ECR login, when the target is up to date, then the run makes no ECR call; a login the registry refuses is fetched again', async () => {
      const cache = mkdtempSync(join(tmpdir(), 'sgn-cache-'));
      // Every AWS call goes through a counting proxy in front of moto.
      const aws = await startRegistryProxy(new URL(motoUrl).host);
      const viaProxy = { SGN_CACHE_DIR: cache, AWS_ENDPOINT_URL: `http://${aws.host}` };
      const first = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--to', 'login/app:1.0'], { env: env(viaProxy) });
      assert.equal(first.code, 0, first.stderr);
      assert.ok(aws.hits.length >= 2, 'the first run logs in and creates the repository');
      const calls = aws.hits.length;
      const rerun = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--to', 'login/app:1.0', '--json'], { env: env(viaProxy) });
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.equal(JSON.parse(rerun.stdout).upToDate, true);
      assert.deepEqual(aws.hits.slice(calls), [], 'no AWS call on the up-to-date rerun');
      await aws.stop();
      const file = join(cache, 'ecr-login.json');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const doc = JSON.parse(readFileSync(file, 'utf8'));
      doc.target.credentials.password = 'stale';
      writeFileSync(file, JSON.stringify(doc));
      const again = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--to', 'login/app:1.0', '--json'], { env: env({ SGN_CACHE_DIR: cache }) });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).target.credentials.password, creds.password);
      rmSync(cache, { recursive: true, force: true });
    });

    it('given --dry-run, then it lists what would be copied and changes nothing', async () => {
      const t0 = target.requests().length;
      const res = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--to', 'dry/app:1.0', '--dry-run'], { env: env() });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^Would mirror .*\/demo\/app:1\.0 -> .*\/dry\/app:1\.0$/m);
      assert.match(res.stdout, /repository dry\/app: would be created/);
      assert.match(res.stdout, /7 of 7 blobs to copy \(4\d\.\d MB\); nothing was changed\./);
      assert.deepEqual(target.requests().slice(t0).filter((r) => r.method !== 'HEAD' && r.method !== 'GET'), []);
      await assert.rejects(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['dry/app'] })), { name: 'RepositoryNotFoundException' });
    });

    it('given an unknown tag, then it fails in one sentence and creates no repository', async () => {
      const res = await runSgn(['image', 'mirror', `${source.host}/demo/none:nope`], { env: env() });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^Error: 127\.0\.0\.1:\d+\/demo\/none:nope was not found on 127\.0\.0\.1:\d+: no such tag or digest\.$/m);
      assert.match(res.stderr, /^Hint: /m);
      assert.equal(res.stdout, '');
      await assert.rejects(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['mirror/demo/none'] })), { name: 'RepositoryNotFoundException' });
    });

    it('given a target that refuses the ECR credentials, then it is an auth error and nothing is tagged', async () => {
      const other = { username: 'AWS', password: 'not-the-ecr-token' };
      const wrong = await startRegistry({ auth: other });
      const res = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`], { env: env({ SGN_ECR_REGISTRY: wrong.host }) });
      assert.equal(res.code, 4);
      assert.match(res.stderr, /^Error: Pushing to 127\.0\.0\.1:\d+\/mirror\/demo\/app:1\.0 was denied \(401 UNAUTHORIZED\): 127\.0\.0\.1:\d+ refused the ECR credentials\.$/m);
      assert.equal(await head(wrong, '/v2/mirror/demo/app/manifests/1.0', other), 404);
      await wrong.stop();
    });

    it('given a private source, then credentials come from ~/.docker/config.json (auths, then a credential helper), and wrong ones fail clearly', async () => {
      const reader = { username: 'reader', password: 's3cret' };
      const priv = await startRegistry({ auth: reader });
      await exec('skopeo', ['copy', '--all', '--dest-tls-verify=false', '--dest-creds', 'reader:s3cret', `oci:${join(work, 'oci')}:1.0`, `docker://${priv.host}/team/app:1.0`]);
      const home = mkdtempSync(join(tmpdir(), 'sgn-docker-home-'));
      mkdirSync(join(home, '.docker'));
      const config = (doc: object) => writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify(doc));

      config({ auths: {} });
      const anonymous = await runSgn(['image', 'mirror', `${priv.host}/team/app:1.0`, '--to', 'private/app:1.0'], { env: env({ HOME: home }) });
      assert.equal(anonymous.code, 4);
      assert.match(anonymous.stderr, /^Error: Pulling 127\.0\.0\.1:\d+\/team\/app:1\.0 was denied \(401 UNAUTHORIZED\): the repository does not exist, or it needs credentials\.$/m);
      assert.match(anonymous.stderr, /Hint: .*docker login 127\.0\.0\.1:\d+/);

      config({ auths: { [`http://${priv.host}`]: { auth: Buffer.from('reader:wrong').toString('base64') } } });
      const wrong = await runSgn(['image', 'mirror', `${priv.host}/team/app:1.0`, '--to', 'private/app:1.0'], { env: env({ HOME: home }) });
      assert.equal(wrong.code, 4);
      assert.match(wrong.stderr, /refused the credentials in .*\.docker\/config\.json/);

      // A credential helper, as the Docker docs define the protocol: server URL on stdin, JSON out.
      const bin = join(home, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'docker-credential-sgntest'), `#!/bin/sh\nread server\n[ "$1" = get ] && [ "$server" = "${priv.host}" ] || exit 1\necho '{"ServerURL":"'$server'","Username":"reader","Secret":"s3cret"}'\n`);
      chmodSync(join(bin, 'docker-credential-sgntest'), 0o755);
      config({ auths: { [priv.host]: { auth: Buffer.from('reader:wrong').toString('base64') } }, credHelpers: { [priv.host]: 'sgntest' } });
      const helped = await runSgn(['image', 'mirror', `${priv.host}/team/app:1.0`, '--to', 'private/app:1.0'], { env: env({ HOME: home, PATH: `${bin}:${process.env.PATH}` }) });
      assert.equal(helped.code, 0, helped.stderr);
      assert.equal(sha(await raw(`${target.host}/private/app:1.0`, creds)), image.index.digest);
      await priv.stop();
    });

    it('given a registry that hands out anonymous bearer tokens (as Docker Hub, ghcr and quay do), then sgn asks for a pull token and copies', async () => {
      const hub = await startRegistryProxy(source.host, { bearer: true });
      const res = await runSgn(['image', 'mirror', `${hub.host}/demo/app:1.0`, '--to', 'bearer/app:1.0'], { env: env() });
      assert.equal(res.code, 0, res.stderr);
      assert.ok(hub.tokenScopes.includes('repository:demo/app:pull'), hub.tokenScopes.join(' '));
      assert.equal(sha(await raw(`${target.host}/bearer/app:1.0`, creds)), image.index.digest);
      await hub.stop();
    });

    it('given 503 and 429 answers with Retry-After, then it waits, retries and completes', async () => {
      const flaky = await startRegistryProxy(source.host, {
        faults: [
          { method: 'GET', path: /\/manifests\/sha256:/, status: 503, retryAfter: '1', times: 2 },
          { method: 'GET', path: /\/blobs\/sha256:/, status: 429, retryAfter: '0', times: 2 },
        ],
      });
      const res = await runSgn(['image', 'mirror', `${flaky.host}/demo/app:1.0`, '--to', 'flaky/app:1.0'], { env: env() });
      assert.equal(res.code, 0, res.stderr);
      // The first retry of a request is silent (a blip); the second says so, naming the host.
      assert.match(res.stderr, new RegExp(`retrying in 1 s \\(2/4\\): ${flaky.host.replace(/\./g, '\\.')} answered 503`));
      assert.equal(flaky.hits.filter((h) => h.status === 503 || h.status === 429).length, 4);
      assert.equal(sha(await raw(`${target.host}/flaky/app:1.0`, creds)), image.index.digest);
      await flaky.stop();
    });

    it('given a registry that lies about a blob digest, then it fails before tagging and the blob is not committed', async () => {
      const small = image.blobs.find((b) => b.data && b.mediaType.includes('layer') && b.size > 1000)!;
      const liar = await startRegistryProxy(source.host, { corrupt: new RegExp(small.digest) });
      const res = await runSgn(['image', 'mirror', `${liar.host}/demo/app:1.0`, '--to', 'lies/app:1.0'], { env: env() });
      assert.equal(res.code, 1);
      assert.match(res.stderr, new RegExp(`^Error: The blob ${small.digest} from 127\\.0\\.0\\.1:\\d+ should have digest ${small.digest} but its content has sha256:[0-9a-f]{64}; nothing was tagged\\.$`, 'm'));
      assert.equal(await head(target, '/v2/lies/app/manifests/1.0'), 404);
      assert.equal(await head(target, `/v2/lies/app/blobs/${small.digest}`), 404);
      await liar.stop();
    });

    it('given a source that lost one of the image\'s blobs, then it says so and tags nothing', async () => {
      const broken = await startRegistryProxy(source.host, { faults: [{ method: 'GET', path: /\/blobs\/sha256:/, status: 404, code: 'BLOB_UNKNOWN', times: 1 }] });
      const res = await runSgn(['image', 'mirror', `${broken.host}/demo/app:1.0`, '--to', 'lost/app:1.0'], { env: env() });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^Error: 127\.0\.0\.1:\d+ lacks a blob that 127\.0\.0\.1:\d+\/demo\/app:1\.0 references; nothing was tagged\.$/m);
      assert.equal(await head(target, '/v2/lost/app/manifests/1.0'), 404);
      await broken.stop();
    });

    it('given a download that breaks off midway, then the blob is fetched again and the copy completes; when it keeps breaking, the error names the source', async () => {
      const bigDigest = image.blobs.find((b) => b.path === bigLayer)!.digest;
      const cut = { path: new RegExp(bigDigest), bytes: 8 << 20, times: 1 };
      const shaky = await startRegistryProxy(source.host, { cut });
      const res = await runSgn(['image', 'mirror', `${shaky.host}/demo/app:1.0`, '--to', 'shaky/app:1.0'], { env: env() });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, new RegExp(`retrying ${bigDigest.slice(0, 19)} after`));
      await assertSameImage(`${source.host}/demo/app:1.0`, `${target.host}/shaky/app:1.0`);

      cut.times = 10;
      const broken = await runSgn(['image', 'mirror', `${shaky.host}/demo/app:1.0`, '--to', 'broken/app:1.0'], { env: env() });
      assert.equal(broken.code, 1);
      assert.match(broken.stderr, new RegExp(`^Error: ${shaky.host.replace(/\./g, '\\.')} broke off its answer midway .* while mirroring .*; nothing was tagged\\.$`, 'm'));
      assert.doesNotMatch(broken.stderr, /bug in sgn/);
      assert.equal(await head(target, '/v2/broken/app/manifests/1.0'), 404);
      await shaky.stop();
    });

    it('given a copy killed midway through the big layer, then no tag exists, and a rerun completes it', async () => {
      const opts = { bytesPerSecond: 8 << 20 };
      const slow = await startRegistryProxy(source.host, opts);
      const args = [sgnBin, 'image', 'mirror', `${slow.host}/demo/app:1.0`, '--to', 'killed/app:1.0'];
      const child = spawn(process.execPath, args, { env: env(), stdio: 'ignore' });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      const deadline = Date.now() + 60_000;
      while (target.uploadBytes() < 4 << 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(target.uploadBytes() >= 4 << 20, 'the big layer upload never got going');
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      assert.equal(await head(target, '/v2/killed/app/manifests/1.0'), 404);

      delete (opts as { bytesPerSecond?: number }).bytesPerSecond;
      const res = await runSgn(args.slice(1), { env: env() });
      assert.equal(res.code, 0, res.stderr);
      await assertSameImage(`${source.host}/demo/app:1.0`, `${target.host}/killed/app:1.0`);
      await slow.stop();
    });

    it('given a terminal, then each layer shows live progress and the summary follows', async () => {
      const slow = await startRegistryProxy(source.host, { bytesPerSecond: 30 << 20 });
      const res = await runSgnInPty(['image', 'mirror', `${slow.host}/demo/app:1.0`, '--to', 'tty/app:1.0'], { env: env(), steps: [{ waitFor: /Mirrored/ }] });
      const screen = plain(res.output);
      assert.equal(res.code, 0, screen);
      assert.match(screen, /layer {2}sha256:[0-9a-f]{12} +[\d.]+ [kM]?B \/ 4\d\.\d MB +█*░+/);
      assert.match(screen, /\d\/7 blobs, [\d.]+ MB \/ 4\d\.\d MB/);
      assert.match(screen, /copied {2}layer {2}sha256:[0-9a-f]{12} {2}4\d\.\d MB/);
      assert.doesNotMatch(screen, /Warning/);
      await slow.stop();
    });
  });
});
