import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { startRegistry } from '../helpers/registry.js';
import { seedDemoImages } from '../../src/sandbox/fixtures-images.js';

const exec = promisify(execFile);

describe('sandbox demo images', () => {
  it('given the sandbox registry, when seeded, then skopeo sees a two-platform demo/hello under 1.0 and latest, with the returned digest', async () => {
    const registry = await startRegistry();
    const digest = await seedDemoImages({ host: registry.host });
    for (const tag of ['1.0', 'latest']) {
      const raw = (await exec('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/demo/hello:${tag}`], { encoding: 'buffer' })).stdout as Buffer;
      assert.equal('sha256:' + createHash('sha256').update(raw).digest('hex'), digest);
      const platforms = (JSON.parse(raw.toString()) as { manifests: { platform: { architecture: string } }[] }).manifests.map((m) => m.platform.architecture);
      assert.deepEqual(platforms, ['amd64', 'arm64']);
    }
    // skopeo follows the index to the arm64 manifest and reads its config.
    const { stdout } = await exec('skopeo', ['inspect', '--tls-verify=false', '--override-arch', 'arm64', `docker://${registry.host}/demo/hello:1.0`]);
    assert.equal(JSON.parse(stdout).Architecture, 'arm64');
    // Seeding again is a no-op that returns the same digest (the demo image is deterministic).
    assert.equal(await seedDemoImages({ host: registry.host }), digest);
    await registry.stop();
  });
});
