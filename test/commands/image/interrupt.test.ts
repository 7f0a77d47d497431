import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { clientConfig, cliEnv, motoServer, resetMoto } from '../../helpers/aws.js';
import { sgnBin } from '../../helpers/cli.js';
import { startFaultProxy, type FaultProxy } from '../../helpers/fault-proxy.js';
import { startRegistry, type RegistryInstance } from '../../helpers/registry.js';
import { Registry } from '../../../src/registry/client.js';
import { gzipLayer, multiArchImage, pushImage, type ImageFixture } from '../../../src/sandbox/fixtures-images.js';

/** Polls `check` until it holds (an event to wait for, not a delay); fails after `capMs`. */
async function until(what: string, check: () => boolean, capMs = 60_000): Promise<void> {
  const end = Date.now() + capMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Ctrl-C during `image mirror` / `image sync`: every upload session the copy had opened on the
 * target is cancelled (DELETE of its location, as the distribution spec says) before sgn exits
 * 130, so the registry keeps no half-sent upload and no tag. The target is a real docker-registry
 * behind the fault proxy, which holds every request carrying a blob's bytes (PUT or PATCH) unanswered:
 * the uploads are open, deterministically, when the interrupt comes (and the registry never starts
 * writing bytes that the DELETE would race).
 */
describe('sgn image mirror / sync, interrupted', function () {
  this.timeout(180_000);
  let motoUrl: string;
  let source: RegistryInstance;
  let target: RegistryInstance;
  let front: FaultProxy;
  let image: ImageFixture;
  let work: string;
  let creds: { username: string; password: string };

  before(async function () {
    this.timeout(300_000);
    motoUrl = (await motoServer()).url;
    await resetMoto(motoUrl);
    const token = (await new ECRClient(clientConfig(motoUrl)).send(new GetAuthorizationTokenCommand({}))).authorizationData![0].authorizationToken!;
    const [username, password] = Buffer.from(token, 'base64').toString().split(':');
    creds = { username, password };
    [source, target] = await Promise.all([startRegistry(), startRegistry({ auth: creds })]);
    // The request that carries a blob's bytes (the PUT that completes the upload, or a PATCH) is held.
    front = await startFaultProxy(target.host, [
      { method: 'PUT', path: /\/blobs\/uploads\//, fault: { kind: 'hang' } },
      { method: 'PATCH', fault: { kind: 'hang' } },
    ]);
    // A 3 MB layer (the large-blob lane) beside a small one and the config (the small lane).
    image = multiArchImage({
      name: 'big',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
      shared: [gzipLayer({ 'etc/os-release': 'ID=test\n' }), gzipLayer({ 'big.bin': randomBytes(3 << 20) })],
    });
    await pushImage(new Registry({ host: source.host, insecure: true, actions: 'pull,push', userAgent: 'sgn-test' }), 'demo/big', image, ['1.0']);
    work = mkdtempSync(join(tmpdir(), 'sgn-interrupt-'));
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  /** The session files (data, startedat) under a repository's _uploads directory. */
  const sessionFiles = (dir: string): string[] => {
    const found: string[] = [];
    const walk = (d: string) => {
      if (!existsSync(d)) return;
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name === 'data' || e.name === 'startedat') found.push(join(d, e.name));
      }
    };
    walk(dir);
    return found;
  };
  /** The status of an upload, asked of the registry itself (204: open; 404: unknown). */
  const uploadStatus = async (location: string): Promise<number> => {
    const res = await fetch(`http://${target.host}${location}`, { headers: { Authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` } });
    await res.arrayBuffer();
    return res.status;
  };

  const cases = [
    { command: 'image mirror', signal: 'SIGINT' as const, repo: 'cancel/mirror', args: () => ['image', 'mirror', `${source.host}/demo/big:1.0`, '--to', 'cancel/mirror:1.0'] },
    {
      command: 'image sync',
      signal: 'SIGTERM' as const,
      repo: 'cancel/sync',
      args: () => {
        const list = join(work, 'images.yml');
        writeFileSync(list, ['images:', `  - source: ${source.host}/demo/big:1.0`, '    target: cancel/sync:1.0', ''].join('\n'));
        return ['image', 'sync', list];
      },
    },
  ];

  for (const c of cases) {
    it(`given ${c.command} with every blob upload open on the target, when ${c.signal} arrives, then exit 130, each upload is cancelled (DELETE answered 204), the registry holds no open upload and no tag`, async () => {
      const uploads = join(target.dir, 'data', 'docker', 'registry', 'v2', 'repositories', ...c.repo.split('/'), '_uploads');
      const sending = () => front.hits.filter((h) => (h.method === 'PATCH' || h.method === 'PUT') && h.path.startsWith(`/v2/${c.repo}/blobs/uploads/`));
      const deletes = () => target.requests().filter((r) => r.method === 'DELETE' && r.path.startsWith(`/v2/${c.repo}/blobs/uploads/`));
      const child = spawn(process.execPath, [sgnBin, ...c.args()], { env: cliEnv(motoUrl, { SGN_ECR_REGISTRY: front.host }), stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

      // When: the request with the bytes of every blob has reached the target's front (so every POST was answered).
      await until('every blob upload is open', () => sending().length === image.blobs.length || child.exitCode !== null);
      assert.equal(child.exitCode, null, `sgn ended before the uploads were open: ${stderr}`);
      const locations = sending().map((h) => {
        const u = new URL(h.path, 'http://x');
        u.searchParams.delete('digest');
        return u.pathname + u.search;
      });
      assert.equal(sessionFiles(uploads).filter((f) => f.endsWith('/startedat')).length, image.blobs.length, 'the registry holds the open uploads before the interrupt');
      for (const location of locations) assert.equal(await uploadStatus(location), 204, location);
      child.kill(c.signal);

      assert.equal(await closed, 130, stderr);
      assert.match(stderr, /Interrupted/);
      assert.doesNotMatch(stderr, /bug in sgn/);
      // Then: the registry's own log shows one DELETE per upload, each answered 204 ...
      await until('the registry logged the DELETEs', () => deletes().length >= image.blobs.length, 10_000);
      assert.deepEqual(
        deletes().map((d) => d.status),
        image.blobs.map(() => 204),
      );
      // ... the registry knows none of the uploads any more (the spec's GET of an upload's status: 404) ...
      for (const location of locations) assert.equal(await uploadStatus(location), 404, location);
      // ... and its storage keeps none of their bytes or session files (docker-registry 2.8 leaves
      // an empty hash state behind after a cancel: its own close-after-cancel, not an open upload).
      assert.deepEqual(sessionFiles(uploads), []);
      assert.ok(!target.requests().some((r) => r.method === 'PUT' && r.path.startsWith(`/v2/${c.repo}/manifests/`)));
    });
  }
});
