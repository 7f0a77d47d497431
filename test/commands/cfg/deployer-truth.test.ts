import assert from 'node:assert/strict';
import { S3Client } from '@aws-sdk/client-s3';
import { clientConfig, cliEnv, motoServer, resetMoto } from '../../helpers/aws.js';
import { runSgn } from '../../helpers/cli.js';
import { editorEnv, leftIn, scratch, versionsOf } from '../../helpers/cfg.js';
import { ConfigParserOracle } from '../../helpers/configparser-oracle.js';
import { createConfigBucket, putConfigFile } from '../../../src/sandbox/fixtures-cfg.js';

// Issue 16, item 3: the config files on which sgn and the deployer disagreed. For each, the
// Secret data Python's configparser gives the deployer (the oracle) is what `cfg cat --json`
// prints, and sgn refuses or accepts the file saying what the deployer really does with it.
const bucket = 'k8s-deployer-config';
const files = {
  collide: Buffer.from('straße=1\nSTRASSE=2\n'),
  nul: Buffer.from('A=1\nB=x\x00y\n'),
  // 1,100,007 bytes, nearly all of them a comment: the Secret holds only A=1.
  big: Buffer.from(`# ${'c'.repeat(1_100_007 - 2 - 1 - 4)}\nA=1\n`),
  // Values over Kubernetes' 1 MiB, in a small file... of 1 MiB + 5 bytes.
  full: Buffer.from(`A=${'a'.repeat(1024 * 1024 + 1)}\n`),
};

describe('sgn cfg against the deployer\'s truth (moto, Python\'s configparser)', () => {
  let url: string;
  let s3: S3Client;
  let oracle: ConfigParserOracle;
  const keyOf = (p: string) => `${p}/staging/config`;

  before(async function () {
    this.timeout(120_000);
    url = (await motoServer()).url;
    await resetMoto(url);
    s3 = new S3Client(clientConfig(url));
    await createConfigBucket(s3, bucket);
    for (const [p, bytes] of Object.entries(files)) await putConfigFile(s3, bucket, keyOf(p), bytes);
    oracle = new ConfigParserOracle();
  });
  after(() => oracle.close());

  const deployerSecret = async (bytes: Uint8Array) => {
    const python = await oracle.ask(bytes);
    assert.ok('data' in python, JSON.stringify(python));
    return Object.fromEntries(python.data);
  };

  it('given straße=1 and STRASSE=2, when cat --json, then {"STRASSE":"2"} as the deployer builds it, and stderr says line 1\'s value is silently dropped', async () => {
    const res = await runSgn(['cfg', 'cat', 'collide', 'staging', '--json'], { env: cliEnv(url) });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), await deployerSecret(files.collide));
    assert.deepEqual(JSON.parse(res.stdout), { STRASSE: '2' });
    assert.match(res.stderr, /line 1: key "straße" becomes STRASSE, and so does key "STRASSE" on line 2: the deployer accepts this, but its Secret keeps only line 2's value and silently drops this one/);
    assert.doesNotMatch(res.stderr, /deployer would refuse|Slack warning/);
  });

  it('given straße=1 and STRASSE=2, when cfg set another key, then sgn refuses (its own rule, not the deployer\'s) and changes nothing', async () => {
    const res = await runSgn(['cfg', 'set', 'collide', 'staging', 'OTHER=1'], { env: cliEnv(url) });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /silently drops this one/);
    assert.match(res.stderr, /must be fixed before keys can be changed safely; nothing was changed/);
    assert.equal((await versionsOf(s3, bucket, keyOf('collide'))).length, 1);
  });

  it('given a NUL byte in a value, when cat --json, then the value as the deployer stores it, and the consequence on stderr', async () => {
    const res = await runSgn(['cfg', 'cat', 'nul', 'staging', '--json'], { env: cliEnv(url) });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), await deployerSecret(files.nul));
    assert.deepEqual(JSON.parse(res.stdout), { A: '1', B: 'x\u0000y' });
    assert.match(res.stderr, /line 2: B's value holds a NUL byte: the deployer puts it into the Secret as is, but an environment variable cannot hold one/);
    assert.doesNotMatch(res.stderr, /cannot read|binary/);
  });

  it('given a NUL byte in a value, when edited, then the editor opens (the file is text), the NUL is refused until removed, and the fixed file uploads', async () => {
    const s = scratch();
    const keepsNul = await runSgn(['cfg', 'edit', 'nul', 'staging', '--yes'], { env: cliEnv(url, editorEnv(s, [{ replace: [['A=1', 'A=2']] }])) });
    assert.equal(keepsNul.code, 1);
    assert.match(keepsNul.stderr, /sgn will not upload this file:[\s\S]*line 2: B's value holds a NUL byte/);
    assert.equal((await versionsOf(s3, bucket, keyOf('nul'))).length, 1);
    const fixed = await runSgn(['cfg', 'edit', 'nul', 'staging', '--yes'], { env: cliEnv(url, editorEnv(s, [{ replace: [['x\u0000y', 'xy']] }])) });
    assert.equal(fixed.code, 0, fixed.stderr);
    const versions = await versionsOf(s3, bucket, keyOf('nul'));
    assert.equal(versions[0].bytes!.toString(), 'A=1\nB=xy\n');
    assert.deepEqual(leftIn(s.tmp), []);
  });

  it('given a 1,100,007-byte file that is mostly a comment, when cat --json and cfg set, then the deployer\'s {"A":"1"}, no size complaint, and the set keeps the comment', async () => {
    assert.equal(files.big.length, 1_100_007);
    const cat = await runSgn(['cfg', 'cat', 'big', 'staging', '--json'], { env: cliEnv(url) });
    assert.equal(cat.code, 0, cat.stderr);
    assert.deepEqual(JSON.parse(cat.stdout), await deployerSecret(files.big));
    assert.deepEqual(JSON.parse(cat.stdout), { A: '1' });
    assert.equal(cat.stderr, '');
    const set = await runSgn(['cfg', 'set', 'big', 'staging', 'B=2'], { env: cliEnv(url) });
    assert.equal(set.code, 0, set.stderr);
    const now = (await versionsOf(s3, bucket, keyOf('big')))[0].bytes!;
    assert.equal(now.length, 1_100_007 + 4);
    assert.ok(now.subarray(0, files.big.length).equals(files.big));
  });

  it('given values over 1 MiB, when cat --json, then the deployer\'s data with the exact size Kubernetes refuses; cfg set refuses to touch it', async () => {
    const cat = await runSgn(['cfg', 'cat', 'full', 'staging', '--json'], { env: cliEnv(url) });
    assert.equal(cat.code, 0, cat.stderr);
    assert.deepEqual(JSON.parse(cat.stdout), await deployerSecret(files.full));
    assert.match(cat.stderr, /the Secret's values add up to 1,048,577 bytes, more than the 1,048,576 bytes \(1 MiB\) a Kubernetes Secret can hold, so Kubernetes would refuse the deployer's Secret/);
    assert.match(cat.stderr, /A deploy with this file leaves the Secret as it was \(or without one\): the deployer only posts a Slack warning and deploys anyway\./);
    const set = await runSgn(['cfg', 'set', 'full', 'staging', 'B=2'], { env: cliEnv(url) });
    assert.equal(set.code, 1);
    assert.match(set.stderr, /1,048,577 bytes/);
    assert.equal((await versionsOf(s3, bucket, keyOf('full'))).length, 1);
  });
});
