import assert from 'node:assert/strict';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { clientConfig, cliEnv, motoServer, resetMoto } from '../../helpers/aws.js';
import { runSgn } from '../../helpers/cli.js';
import { plain, runSgnInPty } from '../../helpers/pty.js';
import { runSgnBytes, versionsOf } from '../../helpers/cfg.js';
import { ConfigParserOracle } from '../../helpers/configparser-oracle.js';
import { createConfigBucket, putConfigFile, putDeployerKubeConfigs } from '../../../src/sandbox/fixtures-cfg.js';

const bucket = 'k8s-deployer-config';
// Bytes that a careless tool would change: CRLF, no final newline, non-ASCII, quotes.
const staging = Buffer.from('# web staging\r\nDB_HOST=db.staging\r\nDB_PORT: 5432\r\nGREETING="héllo wörld"\r\nONLY_STAGING=1\r\nMULTI=a\r\n  b', 'utf8');
const production = 'DB_HOST=db.production\nDB_PORT=5432\nGREETING="héllo wörld"\nONLY_PROD=yes\nMULTI=a\n  b\n';

describe('sgn cfg ls / cat / diff / history (against moto)', () => {
  let url: string;
  let s3: S3Client;
  let stagingVersions: string[];

  before(async function () {
    this.timeout(120_000);
    url = (await motoServer()).url;
    await resetMoto(url);
    s3 = new S3Client(clientConfig(url));
    await createConfigBucket(s3, bucket);
    await putDeployerKubeConfigs(s3, bucket, ['staging', 'production']);
    await putConfigFile(s3, bucket, 'web/staging/config', 'DB_HOST=old\n');
    await putConfigFile(s3, bucket, 'web/staging/config', staging);
    await putConfigFile(s3, bucket, 'web/production/config', production);
    await putConfigFile(s3, bucket, 'api/production/config', 'A=1\n');
    await putConfigFile(s3, bucket, 'solo/staging/config', 'S=1\n');
    await putConfigFile(s3, bucket, 'broken/staging/config', 'A=1\na=2\njunk\n');
    await putConfigFile(s3, bucket, 'web/staging/notes.txt', 'not a config file');
    stagingVersions = (await versionsOf(s3, bucket, 'web/staging/config')).map((v) => v.versionId);
  });

  describe('ls', () => {
    it('given config files and the deployer\'s kube configs, when piped, then every project/env is listed as rows and k8s_deployer never appears', async () => {
      const res = await runSgn(['cfg', 'ls'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      const rows = res.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
      assert.deepEqual(rows[0], ['PROJECT', 'ENV', 'MODIFIED', 'SIZE']);
      assert.deepEqual(
        rows.slice(1).map((r) => `${r[0]}/${r[1]}`),
        ['api/production', 'broken/staging', 'solo/staging', 'web/staging', 'web/production'],
      );
      assert.equal(rows.find((r) => r[0] === 'web' && r[1] === 'staging')![3], `${staging.length} B`);
      assert.doesNotMatch(res.stdout + res.stderr, /k8s_deployer/);
    });

    it('given --json, then sizes and times are the ones S3 lists, with ISO times', async () => {
      const res = await runSgn(['cfg', 'ls', '--json'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      const listed = JSON.parse(res.stdout) as { project: string; env: string; key: string; lastModified: string; size: number }[];
      const truth = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      const configs = (truth.Contents ?? []).filter((o) => /^[^/]+\/[^/]+\/config$/.test(o.Key!) && !o.Key!.startsWith('k8s_deployer/'));
      assert.equal(listed.length, configs.length);
      for (const o of configs) {
        const l = listed.find((x) => x.key === o.Key)!;
        assert.equal(l.size, o.Size);
        assert.equal(l.lastModified, o.LastModified!.toISOString());
      }
    });

    it('given a project, then only its environments', async () => {
      const res = await runSgn(['cfg', 'ls', 'web', '--json'], { env: cliEnv(url) });
      assert.deepEqual(
        (JSON.parse(res.stdout) as { env: string }[]).map((r) => r.env),
        ['staging', 'production'],
      );
    });

    it('given k8s_deployer as the project, then it is refused before any S3 call', async () => {
      // A dead endpoint: any S3 call would fail with a connection error, not a usage error.
      const res = await runSgn(['cfg', 'ls', 'k8s_deployer'], { env: cliEnv('http://127.0.0.1:9') });
      assert.equal(res.code, 2);
      assert.match(res.stderr, /never touches k8s_deployer/);
    });
  });

  describe('cat', () => {
    it('given a CRLF file without final newline, then stdout is the stored bytes, untouched', async () => {
      const res = await runSgnBytes(['cfg', 'cat', 'web', 'staging'], cliEnv(url));
      assert.equal(res.code, 0, res.stderr);
      assert.ok(res.stdout.equals(staging), 'bytes differ');
      assert.equal(res.stderr, '');
    });

    it('given --json, then keys and values are exactly what Python\'s configparser gives the deployer', async () => {
      const res = await runSgn(['cfg', 'cat', 'web', 'staging', '--json'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      const oracle = new ConfigParserOracle();
      const python = await oracle.ask(staging);
      oracle.close();
      assert.ok('data' in python);
      assert.deepEqual(Object.entries(JSON.parse(res.stdout)), python.data);
      assert.deepEqual(JSON.parse(res.stdout), { DB_HOST: 'db.staging', DB_PORT: '5432', GREETING: 'héllo wörld', ONLY_STAGING: '1', MULTI: 'a\nb' });
    });

    it('given --version-id, then that version\'s bytes', async () => {
      const res = await runSgnBytes(['cfg', 'cat', 'web', 'staging', '--version-id', stagingVersions[stagingVersions.length - 1]], cliEnv(url));
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout.toString(), 'DB_HOST=old\n');
    });

    it('given no env and a project with one config file, then that one', async () => {
      const res = await runSgn(['cfg', 'cat', 'solo'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'S=1\n');
      assert.match(res.stderr, /Using solo\/staging/);
    });

    it('given no env, several config files and no terminal, then a usage error names them', async () => {
      const res = await runSgn(['cfg', 'cat', 'web'], { env: cliEnv(url) });
      assert.equal(res.code, 2);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /config files for staging, production; say which environment/);
    });

    it('given no env and several config files on a terminal, then a choice; the chosen file is printed', async () => {
      const res = await runSgnInPty(['cfg', 'cat', 'web'], { env: cliEnv(url), steps: [{ waitFor: /Which environment of web\?[\s\S]*production/, send: '\u001b[B\r' }] });
      assert.equal(res.code, 0, plain(res.output));
      assert.match(plain(res.output), /DB_HOST=db\.production\nDB_PORT=5432/);
    });

    it('given an environment without a file, then one sentence and a hint', async () => {
      const res = await runSgn(['cfg', 'cat', 'web', 'qa'], { env: cliEnv(url) });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /There is no config file for web in qa \(s3:\/\/k8s-deployer-config\/web\/qa\/config\)/);
      assert.match(res.stderr, /Hint: .*sgn cfg ls web/);
    });

    it('given --json on a file the deployer refuses, then errors with line numbers on stderr, and only the error document on stdout', async () => {
      const res = await runSgn(['cfg', 'cat', 'broken', 'staging', '--json'], { env: cliEnv(url) });
      assert.equal(res.code, 1);
      assert.deepEqual(JSON.parse(res.stdout), {
        error: { code: 'failed', message: 'The deployer cannot parse s3://k8s-deployer-config/broken/staging/config, so it builds no Secret and there are no keys to show.', hint: 'Fix it with: sgn cfg edit broken staging', exitCode: 1 },
      });
      assert.match(res.stderr, /line 2: key "a" is already set on line 1/);
      assert.match(res.stderr, /line 3: not KEY=VALUE/);
    });

    for (const [args, what] of [
      [['web/x', 'staging'], 'a slash in the project'],
      [['..', 'staging'], 'a dot-dot project'],
      [['web', '../production'], 'a slash in the env'],
      [['web', 'a..b'], 'a dot-dot env'],
      [['k8s_deployer', 'staging'], 'the deployer\'s folder'],
    ] as [string[], string][]) {
      it(`given ${what}, then a usage error before any S3 call`, async () => {
        const res = await runSgn(['cfg', 'cat', ...args], { env: cliEnv('http://127.0.0.1:9') });
        assert.equal(res.code, 2, res.stderr);
        assert.doesNotMatch(res.stderr, /connect|ECONNREFUSED/i);
      });
    }

    it('given a bucket that does not exist, then it says which setting to change', async () => {
      const res = await runSgn(['-c', 'configBucket=nope-bucket', 'cfg', 'cat', 'web', 'staging'], { env: cliEnv(url) });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /The config bucket "nope-bucket" does not exist\./);
      assert.match(res.stderr, /sgn config set configBucket/);
    });

    it('given --debug, then debug lines name keys and versions but never values', async () => {
      const res = await runSgn(['--debug', 'cfg', 'cat', 'web', 'staging', '--json'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /\[debug\] GetObject s3:\/\/k8s-deployer-config\/web\/staging\/config/);
      for (const secret of ['db.staging', 'héllo', '5432']) assert.ok(!res.stderr.includes(secret), `stderr leaks ${secret}`);
    });
  });

  describe('diff', () => {
    it('given two environments, then keys only in one and keys that differ, values hidden', async () => {
      const res = await runSgn(['cfg', 'diff', 'web', 'staging', 'production'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      const rows = res.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
      assert.deepEqual(rows, [
        ['KEY', 'STATUS'],
        ['DB_HOST', 'differs'],
        ['ONLY_PROD', 'only in production'],
        ['ONLY_STAGING', 'only in staging'],
      ]);
      for (const secret of ['db.staging', 'db.production', 'yes']) assert.ok(!res.stdout.includes(secret) && !res.stderr.includes(secret));
      assert.match(res.stderr, /1 only in staging, 1 only in production, 1 differ, 3 the same/);
    });

    it('given --show-values --json, then the values too; --exit-code exits 1 when they differ', async () => {
      const res = await runSgn(['cfg', 'diff', 'web', 'staging', 'production', '--show-values', '--json', '--exit-code'], { env: cliEnv(url) });
      assert.equal(res.code, 1, res.stderr);
      const json = JSON.parse(res.stdout);
      assert.deepEqual(json.onlyIn, { staging: ['ONLY_STAGING'], production: ['ONLY_PROD'] });
      assert.deepEqual(json.differ, ['DB_HOST']);
      assert.deepEqual(json.same, ['DB_PORT', 'GREETING', 'MULTI']);
      assert.deepEqual(json.values.DB_HOST, { staging: 'db.staging', production: 'db.production' });
    });

    it('given the same environment twice, then a usage error', async () => {
      const res = await runSgn(['cfg', 'diff', 'web', 'staging', 'staging'], { env: cliEnv(url) });
      assert.equal(res.code, 2);
    });
  });

  describe('history', () => {
    it('given a versioned bucket, then the versions newest first, as S3 lists them', async () => {
      const res = await runSgn(['cfg', 'history', 'web', 'staging', '--json'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      const listed = JSON.parse(res.stdout) as { versionId: string; latest: boolean; size: number }[];
      assert.deepEqual(
        listed.map((v) => v.versionId),
        stagingVersions,
      );
      assert.deepEqual(
        listed.map((v) => v.latest),
        [true, false],
      );
      assert.equal(listed[0].size, staging.length);
      const table = await runSgn(['cfg', 'history', 'web', 'staging'], { env: cliEnv(url) });
      assert.match(table.stdout.split('\n')[1], new RegExp(`^${stagingVersions[0]}\t.*\tcurrent$`));
    });

    it('given a bucket without versioning, then history says so', async () => {
      await createConfigBucket(s3, 'plain-config', { versioned: false });
      await putConfigFile(s3, 'plain-config', 'web/staging/config', 'A=1\n');
      const res = await runSgn(['-c', 'configBucket=plain-config', 'cfg', 'history', 'web', 'staging'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /s3:\/\/plain-config has no versioning, so there is no history of web\/staging\/config/);
      assert.match(res.stderr, /put-bucket-versioning/);
    });
  });
});
