import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli.js';
import type { AwsApis } from '../../../src/aws/apis.js';
import type { DynamoApi } from '../../../src/aws/dynamodb.js';
import type { S3Api } from '../../../src/aws/s3.js';
import { strictFake } from '../helpers/fakes.js';
import { cleanEnv, testStreams } from '../helpers/io.js';

// `sgn __complete <shell> -- <words...>`, what the completion scripts run on TAB, through main()
// with fakes of the adapters: the candidates at each position, from the commander program itself.
// The shells driving the scripts are tested end to end in test/commands/completion.test.ts.

const now = new Date('2026-11-30T12:00:00Z');

interface World {
  scans: number;
  api: AwsApis;
}

function world(opts: { table?: 'ok' | 'hangs' | 'fails' } = {}): World {
  const w: World = { scans: 0, api: undefined as never };
  const dynamo = strictFake<DynamoApi>('dynamodb', {
    scan: async (input) => {
      w.scans++;
      assert.equal(input.TableName, 'kubernetes_deploy');
      if (opts.table === 'hangs') return new Promise(() => undefined);
      if (opts.table === 'fails') throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
      const item = (project: string, env: string) => ({ Application: { S: project }, Env: { S: env } });
      return { Items: [item('web', 'staging'), item('web', 'production'), item('api', 'staging'), item('worker', 'qa')], $metadata: {} };
    },
  });
  const s3 = strictFake<S3Api>('s3', {
    getObject: async (input) => {
      assert.deepEqual([input.Bucket, input.Key], ['k8s-deployer-config', 'web/staging/config']);
      return { Body: new TextEncoder().encode('[config]\nLOG_LEVEL = info\nDATABASE_URL = "postgres://x"\n'), $metadata: {} };
    },
  });
  w.api = strictFake<AwsApis>('api', { dynamo: async () => dynamo, s3: async () => s3 });
  return w;
}

describe('sgn __complete (what TAB offers)', () => {
  let cache: string;
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), 'sgn-complete-'));
  });
  afterEach(() => rmSync(cache, { recursive: true, force: true }));

  async function complete(words: string[], w: World = world(), at: Date = now): Promise<{ values: string[]; lines: string[]; stderr: string }> {
    const streams = testStreams();
    const code = await main(['__complete', 'bash', '--', ...words], { streams, env: cleanEnv({ XDG_CACHE_HOME: cache }), now: () => at, api: w.api });
    assert.equal(code, 0);
    const lines = streams.out().split('\n').filter(Boolean);
    return { values: lines.map((l) => l.split('\t')[0]), lines, stderr: streams.err() };
  }

  it('given nothing typed, then it offers every command with its summary, help included, and no hidden one', async () => {
    const { values, lines } = await complete(['']);
    // Every command of the tree (others add commands; this list must not need editing for that).
    const { commandTree } = await import('../../../src/commands/index.js');
    assert.deepEqual(values, [...commandTree.map((d) => d.name), 'help']);
    for (const name of ['deploy', 'ls', 'logs', 'cfg', 'image', 'config', 'doctor', 'sandbox', 'completion']) assert.ok(values.includes(name), name);
    assert.ok(lines.includes('ls\tlist what is deployed where'), lines.join('\n'));
  });

  it('given a group, then its commands and their aliases', async () => {
    assert.deepEqual((await complete(['config', ''])).values, ['list', 'ls', 'get', 'set', 'path']);
    assert.deepEqual((await complete(['cfg', 'u'])).values, ['unset']);
  });

  it('given global flags before the command, then they are skipped with their values', async () => {
    assert.deepEqual((await complete(['--region', 'eu-west-1', '--sandbox', 'ls', ''])).values, ['deployed']);
    assert.deepEqual((await complete(['-c', 'table=kubernetes_deploy', 'ls', ''])).values, ['deployed']);
  });

  it('given a command that takes a project, then the projects of the deploy table', async () => {
    assert.deepEqual((await complete(['deploy', ''])).values, ['api', 'web', 'worker']);
    assert.deepEqual((await complete(['deploy', 'w'])).values, ['web', 'worker']);
    assert.deepEqual((await complete(['logs', 'tail', ''])).values, ['api', 'web', 'worker']);
  });

  it('given the environment position, then the environments of the settings and of the table', async () => {
    assert.deepEqual((await complete(['deploy', 'web', ''])).values, ['production', 'qa', 'staging']);
    assert.deepEqual((await complete(['cfg', 'diff', 'web', 'staging', 'p'])).values, ['production']);
  });

  it('given every position filled, then nothing more (no command names after the arguments)', async () => {
    assert.deepEqual((await complete(['deploy', 'web', 'production', ''])).values, []);
  });

  it('given a dash after a command, then its own flags, then the global ones (short ones only for a lone dash)', async () => {
    const { values } = await complete(['deploy', 'web', 'production', '--']);
    assert.deepEqual(values.slice(0, 3), ['--from', '--yes', '--dry-run']);
    for (const global of ['--region', '--profile', '--sandbox', '--setting', '--no-color', '--debug']) assert.ok(values.includes(global), global);
    assert.ok(!values.includes('-y'));
    assert.ok((await complete(['deploy', '-'])).values.includes('-y'));
  });

  it('given a flag already given, then it is not offered again, unless it repeats', async () => {
    const { values } = await complete(['deploy', 'web', 'production', '--yes', '--dry-run', '-c', 'table=t', '--']);
    assert.ok(!values.includes('--yes') && !values.includes('--dry-run'));
    assert.ok(values.includes('--setting'));
  });

  it('given a flag that takes a name, then its value: projects for --project, environments for --from and --env, also as --flag=value', async () => {
    assert.deepEqual((await complete(['ls', 'deployed', '-p', ''])).values, ['api', 'web', 'worker']);
    assert.deepEqual((await complete(['ls', 'deployed', '--project=w'])).values, ['--project=web', '--project=worker']);
    assert.deepEqual((await complete(['deploy', 'web', 'production', '--from', 's'])).values, ['staging']);
    assert.deepEqual((await complete(['ls', 'deployed', '--env', ''])).values, ['production', 'qa', 'staging']);
  });

  it('given cfg set/unset, then the keys of that config file (KEY= for set, without repeating one given)', async () => {
    assert.deepEqual((await complete(['cfg', 'set', 'web', 'staging', ''])).values, ['DATABASE_URL=', 'LOG_LEVEL=']);
    assert.deepEqual((await complete(['cfg', 'unset', 'web', 'staging', 'LOG_LEVEL', ''])).values, ['DATABASE_URL']);
  });

  it('given config get/set and -c, then the setting names (with = for -c)', async () => {
    assert.ok((await complete(['config', 'get', ''])).values.includes('configBucket'));
    assert.deepEqual((await complete(['config', 'set', 'ta'])).lines, ['table\tDynamoDB table of what is deployed where']);
    assert.deepEqual((await complete(['-c', 'ta'])).values, ['table=']);
  });

  it('given completion and help, then shells and command paths', async () => {
    assert.deepEqual((await complete(['completion', ''])).values, ['bash', 'fish', 'zsh']);
    assert.deepEqual((await complete(['help', 'cfg', 'h'])).values, ['history']);
    assert.deepEqual((await complete(['help', 'l'])).values, ['lint', 'ls', 'logs']);
  });

  it('given names read a moment ago, then they come from the cache for a minute, and from the table again after it', async () => {
    const w = world();
    await complete(['deploy', ''], w);
    await complete(['deploy', 'web', ''], w, new Date(now.getTime() + 59_000));
    assert.equal(w.scans, 1);
    assert.deepEqual(readdirSync(join(cache, 'sgn', 'completion')), ['names.json']);
    await complete(['deploy', ''], w, new Date(now.getTime() + 61_000));
    assert.equal(w.scans, 2);
  });

  it('given an unreachable or hanging AWS, then no names, no error output, exit 0, within the short timeout', async () => {
    for (const table of ['fails', 'hangs'] as const) {
      const started = process.hrtime.bigint();
      const res = await complete(['deploy', ''], world({ table }));
      assert.deepEqual([res.values, res.stderr], [[], '']);
      // A liveness bound, not a speed assertion: the 1.5 s timeout ended the wait.
      assert.ok(process.hrtime.bigint() - started < 30_000_000_000n);
    }
  });
});
