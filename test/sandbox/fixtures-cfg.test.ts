import assert from 'node:assert/strict';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { clientConfig, cliEnv, motoServer, resetMoto, testRegion } from '../helpers/aws.js';
import { runSgn } from '../helpers/cli.js';
import { readObject, versionsOf } from '../helpers/cfg.js';
import { seedDemoConfig } from '../../src/sandbox/fixtures-cfg.js';

describe('sandbox: seedDemoConfig', () => {
  it('given an empty moto, then a versioned bucket with valid demo files that sgn cfg lists, reads and diffs (kube configs hidden)', async function () {
    this.timeout(120_000);
    const url = (await motoServer()).url;
    await resetMoto(url);
    const s3 = new S3Client(clientConfig(url));
    const seeded = await seedDemoConfig(s3, { bucket: 'k8s-deployer-config', configKey: '{project}/{env}/config', environments: ['staging', 'production'], projects: ['web', 'api', 'worker'], moto: { url, region: testRegion } });
    assert.equal(seeded.keys.length, 6);

    const ls = await runSgn(['cfg', 'ls', '--json'], { env: cliEnv(url) });
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual((JSON.parse(ls.stdout) as { key: string }[]).map((f) => f.key).sort(), [...seeded.keys].sort());
    for (const key of seeded.keys) {
      const [project, env] = key.split('/');
      const cat = await runSgn(['cfg', 'cat', project, env, '--json'], { env: cliEnv(url) });
      assert.equal(cat.code, 0, cat.stderr);
      assert.match(JSON.parse(cat.stdout).ALLOWED_HOSTS, /^localhost\n/);
    }
    assert.match((await readObject(s3, 'k8s-deployer-config', 'api/staging/config')).bytes.toString(), /\r\n/);
    assert.equal((await readObject(s3, 'k8s-deployer-config', 'web/production/config')).kmsKeyId, seeded.kmsKeyArn);
    assert.equal((await versionsOf(s3, 'k8s-deployer-config', 'web/staging/config')).length, 3);
    assert.ok((await readObject(s3, 'k8s-deployer-config', 'k8s_deployer/staging/config')).bytes.length > 0);
    const diff = await runSgn(['cfg', 'diff', 'web', 'staging', 'production', '--json'], { env: cliEnv(url) });
    assert.deepEqual(JSON.parse(diff.stdout).differ.sort(), ['ALLOWED_HOSTS', 'DATABASE_URL', 'FEATURE_NEW_CHECKOUT', 'LOG_LEVEL']);
  });

  it('given the demo clock, then the files date from before the demo deploys (current two weeks back, history older, in order) and the backdating key is not stored', async function () {
    this.timeout(120_000);
    const url = (await motoServer()).url;
    await resetMoto(url);
    const s3 = new S3Client(clientConfig(url));
    const now = new Date('2026-11-30T12:00:00Z');
    await seedDemoConfig(s3, { bucket: 'k8s-deployer-config', configKey: '{project}/{env}/config', environments: ['staging', 'production'], projects: ['web', 'api'], now });
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'k8s-deployer-config', Key: 'web/production/config' }));
    assert.equal(head.LastModified?.toISOString(), '2026-11-16T12:00:00.000Z');
    assert.deepEqual(head.Metadata ?? {}, {});
    const history = await runSgn(['cfg', 'history', 'web', 'staging', '--json'], { env: cliEnv(url) });
    assert.equal(history.code, 0, history.stderr);
    assert.deepEqual(
      (JSON.parse(history.stdout) as { lastModified: string; latest: boolean }[]).map((v) => [v.lastModified, v.latest]),
      [
        ['2026-11-16T12:00:00.000Z', true],
        ['2026-11-09T12:00:00.000Z', false],
        ['2026-10-31T12:00:00.000Z', false],
      ],
    );
  });
});
