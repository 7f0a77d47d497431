import assert from 'node:assert/strict';
import { S3Client } from '@aws-sdk/client-s3';
import { clientConfig, cliEnv, motoServer, resetMoto, testRegion } from '../../helpers/aws.js';
import { runSgn } from '../../helpers/cli.js';
import { plain, runSgnInPty } from '../../helpers/pty.js';
import { readObject, versionsOf } from '../../helpers/cfg.js';
import { createConfigBucket, createMotoKmsKey, putConfigFile } from '../../../src/sandbox/fixtures-cfg.js';

const bucket = 'k8s-deployer-config';

describe('sgn cfg set / unset / restore (against moto)', () => {
  let url: string;
  let s3: S3Client;
  let n = 0;
  const project = () => `svc${++n}`;
  const keyOf = (p: string, env = 'staging') => `${p}/${env}/config`;
  const catJson = async (p: string, env = 'staging') => JSON.parse((await runSgn(['cfg', 'cat', p, env, '--json'], { env: cliEnv(url) })).stdout);

  before(async function () {
    this.timeout(120_000);
    url = (await motoServer()).url;
    await resetMoto(url);
    s3 = new S3Client(clientConfig(url));
    await createConfigBucket(s3, bucket);
  });

  describe('set', () => {
    it('given a CRLF file without final newline, then changed keys are rewritten in place, new ones added, every other byte kept', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), '# keep me\r\nDB_HOST = old\r\nMULTI=a\r\n  b\r\n; note\r\nLAST=1');
      const res = await runSgn(['cfg', 'set', p, 'staging', 'db_host=new', 'MULTI=one', 'GREETING= hi there ', 'NEW=x'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /✓ Updated s3:\/\/k8s-deployer-config\/svc\d+\/staging\/config: DB_HOST changed, MULTI changed, GREETING added, NEW added \(version /);
      for (const secret of ['new', 'one', 'hi there']) assert.ok(!res.stderr.includes(`=${secret}`), 'values are never printed');
      assert.equal((await readObject(s3, bucket, keyOf(p))).bytes.toString(), '# keep me\r\nDB_HOST = new\r\nMULTI=one\r\n; note\r\nLAST=1\r\nGREETING=" hi there "\r\nNEW=x');
      assert.deepEqual(await catJson(p), { DB_HOST: 'new', MULTI: 'one', LAST: '1', GREETING: ' hi there ', NEW: 'x' });
    });

    it('given other sections, then a new key goes into [config], above them', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\n\n# other stuff\n[ignored]\nX=1\n');
      const res = await runSgn(['cfg', 'set', p, 'staging', 'B=2'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      assert.equal((await readObject(s3, bucket, keyOf(p))).bytes.toString(), 'A=1\nB=2\n\n# other stuff\n[ignored]\nX=1\n');
    });

    it('given the same values, then no upload', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A="1"\n');
      const res = await runSgn(['cfg', 'set', p, 'staging', 'A=1'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /No change/);
      assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 1);
    });

    it('given no file for a configured environment, then it is created; for an unknown one, a usage error', async () => {
      const p = project();
      const res = await runSgn(['cfg', 'set', p, 'production', 'A=1'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /✓ Created/);
      assert.equal((await readObject(s3, bucket, keyOf(p, 'production'))).bytes.toString(), 'A=1\n');
      const bad = await runSgn(['cfg', 'set', p, 'prod', 'A=1'], { env: cliEnv(url) });
      assert.equal(bad.code, 2);
      assert.equal((await versionsOf(s3, bucket, keyOf(p, 'prod'))).length, 0);
    });

    it('given an SSE-KMS object, then the new version keeps the key', async () => {
      const p = project();
      const kms = await createMotoKmsKey(url, testRegion);
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\n', { kmsKeyId: kms });
      assert.equal((await runSgn(['cfg', 'set', p, 'staging', 'A=2'], { env: cliEnv(url) })).code, 0);
      const now = await readObject(s3, bucket, keyOf(p));
      assert.equal(now.kmsKeyId, kms);
      assert.equal(now.sse, 'aws:kms');
    });

    it('given a file the deployer refuses, then nothing is changed and the line is named', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\na=2\n');
      const res = await runSgn(['cfg', 'set', p, 'staging', 'B=1'], { env: cliEnv(url) });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /line 2: key "a" is already set on line 1/);
      assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 1);
    });

    for (const [args, why] of [
      [['A=\'quoted\''], /starts or ends with a quote/],
      [['A=line\nbreak'], /line break/],
      [['BAD KEY=1'], /not a key the deployer can turn into a Secret key/],
      [['NOEQUALS'], /is not KEY=VALUE/],
      [['A=1', 'a=2'], /A is named twice/],
    ] as [string[], RegExp][]) {
      it(`given ${JSON.stringify(args)}, then a usage error and nothing written`, async () => {
        const p = project();
        await putConfigFile(s3, bucket, keyOf(p), 'A=0\n');
        const res = await runSgn(['cfg', 'set', p, 'staging', ...args], { env: cliEnv(url) });
        assert.equal(res.code, 2, res.stderr);
        assert.match(res.stderr, why);
        assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 1);
      });
    }

    it('given --debug, then no value appears on stderr', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=0\n');
      const res = await runSgn(['--debug', 'cfg', 'set', p, 'staging', 'TOKEN=tok-very-secret'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /\[debug\] PutObject .* \(If-Match /);
      assert.ok(!res.stderr.includes('tok-very-secret'));
    });
  });

  describe('unset', () => {
    it('given a key with continuation lines, then those lines go and comments and other bytes stay', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\r\nCERT=line1\r\n  line2\r\n# about B\r\n  line3\r\nB=2');
      const res = await runSgn(['cfg', 'unset', p, 'staging', 'cert'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /CERT removed/);
      assert.equal((await readObject(s3, bucket, keyOf(p))).bytes.toString(), 'A=1\r\n# about B\r\nB=2');
    });

    it('given the last line without final newline is removed, then the file still ends without one', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\nB=2');
      assert.equal((await runSgn(['cfg', 'unset', p, 'staging', 'B'], { env: cliEnv(url) })).code, 0);
      assert.equal((await readObject(s3, bucket, keyOf(p))).bytes.toString(), 'A=1');
    });

    it('given keys that are not there, then no upload, exit 0', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
      const res = await runSgn(['cfg', 'unset', p, 'staging', 'NOPE'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /No change/);
      assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 1);
    });
  });

  describe('restore', () => {
    it('given an old version and --yes, then its bytes become the newest version, SSE-KMS kept, history intact', async () => {
      const p = project();
      const kms = await createMotoKmsKey(url, testRegion);
      const v1 = await putConfigFile(s3, bucket, keyOf(p), 'A=1\r\nB=2', { kmsKeyId: kms });
      await putConfigFile(s3, bucket, keyOf(p), 'A=changed\r\n', { kmsKeyId: kms });
      const res = await runSgn(['cfg', 'restore', p, 'staging', '--version-id', v1.versionId!, '--show-values', '--yes'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /-A=changed\n\+A=1\n\+B=2/);
      assert.match(res.stderr, new RegExp(`✓ Restored version ${v1.versionId} of s3://.* as version `));
      const versions = await versionsOf(s3, bucket, keyOf(p));
      assert.deepEqual(
        versions.map((v) => v.bytes!.toString()),
        ['A=1\r\nB=2', 'A=changed\r\n', 'A=1\r\nB=2'],
      );
      const now = await readObject(s3, bucket, keyOf(p));
      assert.equal(now.kmsKeyId, kms);
    });

    it('given the file was deleted, then history shows the delete marker and restore brings a version back (If-None-Match)', async () => {
      const p = project();
      const v1 = await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
      const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: keyOf(p) }));
      const history = await runSgn(['cfg', 'history', p, 'staging'], { env: cliEnv(url) });
      assert.equal(history.code, 0, history.stderr);
      assert.match(history.stdout.split('\n')[1], /\tdeleted \(current\)$/);
      const res = await runSgn(['cfg', 'restore', p, 'staging', '--version-id', v1.versionId!, '--yes'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      assert.equal((await readObject(s3, bucket, keyOf(p))).bytes.toString(), 'A=1\n');
      assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 3);
    });

    it('given no terminal and no --yes, then a usage error and nothing written', async () => {
      const p = project();
      const v1 = await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
      await putConfigFile(s3, bucket, keyOf(p), 'A=2\n');
      const res = await runSgn(['cfg', 'restore', p, 'staging', '--version-id', v1.versionId!], { env: cliEnv(url) });
      assert.equal(res.code, 2);
      assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 2);
    });

    it('given a version that does not exist, then it says so and points at history', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
      const res = await runSgn(['cfg', 'restore', p, 'staging', '--version-id', 'nope', '--yes'], { env: cliEnv(url) });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /has no version "nope"/);
      assert.match(res.stderr, /sgn cfg history/);
    });

    it('given a version the deployer would refuse, then nothing is restored', async () => {
      const p = project();
      const v1 = await putConfigFile(s3, bucket, keyOf(p), 'A=1\nA=2\n');
      await putConfigFile(s3, bucket, keyOf(p), 'A=3\n');
      const res = await runSgn(['cfg', 'restore', p, 'staging', '--version-id', v1.versionId!, '--yes'], { env: cliEnv(url) });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /line 2: key "A" is already set on line 1/);
      assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 2);
    });

    it('given a terminal, then the diff and a confirmation; "y" restores', async () => {
      const p = project();
      const v1 = await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
      await putConfigFile(s3, bucket, keyOf(p), 'A=2\n');
      const res = await runSgnInPty(['cfg', 'restore', p, 'staging', '--version-id', v1.versionId!, '--show-values'], {
        env: cliEnv(url),
        steps: [{ waitFor: /Restore version .* as the current s3:\/\/.*\?/, send: 'y\r' }],
      });
      assert.equal(res.code, 0, plain(res.output));
      assert.match(plain(res.output), /-A=2\n\+A=1/);
      assert.equal((await readObject(s3, bucket, keyOf(p))).bytes.toString(), 'A=1\n');
    });
  });
});
