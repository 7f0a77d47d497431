import assert from 'node:assert/strict';
import { main } from '../../../../src/cli.js';
import type { AwsApis } from '../../../../src/aws/apis.js';
import type { S3Api, S3Object } from '../../../../src/aws/s3.js';
import { strictFake } from '../../helpers/fakes.js';
import { cleanEnv, testStreams } from '../../helpers/io.js';

// sgn cfg cat through main() with an in-memory bucket: parsing, the service, rendering, --json.
function bucket(files: Record<string, string | Buffer>) {
  const s3 = strictFake<S3Api>('s3', {
    getObject: async (input): Promise<S3Object> => {
      const body = files[input.Key!];
      if (body === undefined) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
      return { Body: new Uint8Array(Buffer.from(body)), ETag: '"e"', VersionId: 'v1', $metadata: {} };
    },
    listObjectsV2: async (input) => ({ Contents: Object.keys(files).filter((k) => k.startsWith(input.Prefix ?? '')).map((Key) => ({ Key, Size: 1 })), $metadata: {} }),
  });
  return strictFake<AwsApis>('api', { s3: async () => s3 });
}

async function run(argv: string[], api: AwsApis) {
  const io = testStreams();
  const code = await main(argv, { streams: io, env: cleanEnv(), cwd: '/', now: () => new Date('2026-11-30T12:00:00Z'), signal: new AbortController().signal, api });
  return { code, stdout: io.out(), stderr: io.err() };
}

describe('unit: sgn cfg cat through main()', () => {
  it('given a file, then its bytes untouched on stdout and nothing on stderr', async () => {
    const res = await run(['cfg', 'cat', 'web', 'staging'], bucket({ 'web/staging/config': 'A=1\r\n# c\r\nB="x"' }));
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'A=1\r\n# c\r\nB="x"');
    assert.equal(res.stderr, '');
  });

  it('given straße and STRASSE, when --json, then the deployer\'s {"STRASSE":"2"} on stdout and the lost value on stderr', async () => {
    const res = await run(['cfg', 'cat', 'web', 'staging', '--json'], bucket({ 'web/staging/config': 'straße=1\nSTRASSE=2\n' }));
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), { STRASSE: '2' });
    assert.match(res.stderr, /line 1: key "straße" becomes STRASSE, and so does key "STRASSE" on line 2/);
  });

  it('given a file the deployer cannot parse, when --json, then exit 1, the lines on stderr and one error document on stdout', async () => {
    const res = await run(['cfg', 'cat', 'web', 'staging', '--json'], bucket({ 'web/staging/config': 'A=1\na=2\n' }));
    assert.equal(res.code, 1);
    assert.match(res.stderr, /line 2: key "a" is already set on line 1/);
    assert.equal(JSON.parse(res.stdout).error.message, 'The deployer cannot parse s3://k8s-deployer-config/web/staging/config, so it builds no Secret and there are no keys to show.');
  });

  it('given no env and one config file, then that one, said on stderr; several and no terminal, then a usage error', async () => {
    const one = await run(['cfg', 'cat', 'solo'], bucket({ 'solo/staging/config': 'S=1\n' }));
    assert.equal(one.stdout, 'S=1\n');
    assert.match(one.stderr, /Using solo\/staging, the only config file of solo\./);
    const two = await run(['cfg', 'cat', 'web'], bucket({ 'web/staging/config': 'A=1\n', 'web/production/config': 'A=2\n' }));
    assert.equal(two.code, 2);
    assert.match(two.stderr, /config files for staging, production; say which environment/);
  });

  it('given k8s_deployer as the project, then a usage error before any S3 call', async () => {
    const res = await run(['cfg', 'cat', 'k8s_deployer', 'staging'], strictFake<AwsApis>('api', {}));
    assert.equal(res.code, 2);
  });
});

describe('unit: sgn cfg diff through main()', () => {
  const files = { 'web/staging/config': 'A=1\nB=2\nONLY_S=x\n', 'web/production/config': 'A=1\nB=3\nONLY_P=y\n' };

  it('given two environments, then a table of keys only in one and differing, values hidden, exit 0 (1 with --exit-code)', async () => {
    const res = await run(['cfg', 'diff', 'web', 'staging', 'production'], bucket(files));
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /B\tdiffers/);
    assert.match(res.stdout, /ONLY_P\tonly in production/);
    assert.doesNotMatch(res.stdout + res.stderr, /\b3\b|\by\b/, 'values are secrets');
    assert.match(res.stderr, /web: 1 only in staging, 1 only in production, 1 differ, 1 the same\. Values are hidden/);
    assert.equal((await run(['cfg', 'diff', 'web', 'staging', 'production', '--exit-code'], bucket(files))).code, 1);
  });

  it('given --json --show-values --exit-code, then the documented shape with values, exit 1', async () => {
    const res = await run(['cfg', 'diff', 'web', 'staging', 'production', '--json', '--show-values', '--exit-code'], bucket(files));
    assert.equal(res.code, 1);
    assert.deepEqual(JSON.parse(res.stdout), {
      project: 'web',
      envs: ['staging', 'production'],
      onlyIn: { staging: ['ONLY_S'], production: ['ONLY_P'] },
      differ: ['B'],
      same: ['A'],
      values: { A: { staging: '1', production: '1' }, B: { staging: '2', production: '3' }, ONLY_P: { staging: null, production: 'y' }, ONLY_S: { staging: 'x', production: null } },
    });
  });

  it('given one side the deployer cannot parse, then exit 1 naming its lines', async () => {
    const res = await run(['cfg', 'diff', 'web', 'staging', 'production'], bucket({ ...files, 'web/production/config': 'A=1\na=2\n' }));
    assert.equal(res.code, 1);
    assert.match(res.stderr, /line 2: key "a" is already set on line 1/);
    assert.match(res.stderr, /The deployer cannot parse s3:\/\/k8s-deployer-config\/web\/production\/config, so it builds no Secret and it cannot be compared\./);
  });
});
