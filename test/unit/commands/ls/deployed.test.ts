import assert from 'node:assert/strict';
import { main } from '../../../../src/cli.js';
import type { AwsApis } from '../../../../src/aws/apis.js';
import { strictFake } from '../../helpers/fakes.js';
import { cleanEnv, testStreams } from '../../helpers/io.js';
import { memoryTable } from '../../helpers/table.js';

const now = new Date('2026-11-30T12:00:00Z');
const rec = (project: string, env: string, tag: string, hoursAgo: number) => ({
  Application: { S: project }, Env: { S: env }, Tag: { S: tag }, Deployed: { S: ((now.getTime() - hoursAgo * 3600_000) / 1000).toFixed(6) },
});

function setup() {
  const db = memoryTable();
  db.put(rec('web', 'staging', 'git-b', 1));
  db.put(rec('web', 'production', 'git-a', 30));
  db.put(rec('api', 'staging', 'git-c', 5));
  db.put(rec('api', 'production', 'git-c', 4));
  const api = strictFake<AwsApis>('api', { dynamo: async () => db });
  return { db, api };
}

async function run(argv: string[], api: AwsApis, tty = false) {
  const io = testStreams({ tty });
  const code = await main(argv, { streams: io, env: cleanEnv(), cwd: '/', now: () => now, signal: new AbortController().signal, api });
  return { code, stdout: io.out(), stderr: io.err() };
}

describe('unit: sgn ls deployed through main()', () => {
  it('given two projects, when piped, then tab-separated rows with a header, sorted, with status', async () => {
    const { api } = setup();
    const res = await run(['ls', 'deployed'], api);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'PROJECT\tSTAGING\tPRODUCTION\tSTATUS\napi\tgit-c (5h ago)\tgit-c (4h ago)\tin sync\nweb\tgit-b (1h ago)\tgit-a (1d ago)\tstaging ahead\n');
  });

  it('given --json and --wide together, then commander refuses the pair (usage exit 2)', async () => {
    const { api } = setup();
    const res = await run(['ls', 'deployed', '--json', '--wide'], api);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /option '-w, --wide' cannot be used with option '--json'/);
  });

  it('given a deploy holding its lock, then the table says who deploys what, and --json carries it under deploying', async () => {
    const { db, api } = setup();
    db.put({
      Application: { S: 'web' }, Env: { S: 'sgn:lock:production' }, LockId: { S: 'x' }, Holder: { S: 'arn:aws:sts::1:assumed-role/dev/ana' }, Host: { S: 'laptop' }, Pid: { N: '9' },
      Since: { S: new Date(now.getTime() - 5000).toISOString() }, Expires: { N: String(now.getTime() / 1000 + 60) }, Tag: { S: 'git-b' }, From: { S: 'staging' },
    });
    const res = await run(['ls', 'deployed', '--project', 'web'], api);
    assert.match(res.stderr, /Deploying web to production: arn:aws:sts::1:assumed-role\/dev\/ana on laptop \(pid 9\), deploying git-b from staging, since 11:59:55 UTC \(5s ago\)\./);
    assert.doesNotMatch(res.stdout, /sgn:lock/);
    const json = JSON.parse((await run(['ls', 'deployed', '--project', 'web', '--json'], api)).stdout);
    assert.deepEqual(Object.keys(json[0].environments).sort(), ['production', 'staging']);
    assert.equal(json[0].deploying.production.by, 'arn:aws:sts::1:assumed-role/dev/ana');
    assert.equal(json[0].deploying.production.tag, 'git-b');
  });

  it('given an expired lock (a crashed run), then nothing is shown as in progress', async () => {
    const { db, api } = setup();
    db.put({ Application: { S: 'web' }, Env: { S: 'sgn:lock:production' }, LockId: { S: 'x' }, Holder: { S: 'a' }, Since: { S: now.toISOString() }, Expires: { N: String(now.getTime() / 1000 - 1) } });
    const json = JSON.parse((await run(['ls', 'deployed', '--json'], api)).stdout);
    assert.ok(json.every((p: { deploying?: unknown }) => p.deploying === undefined));
  });
});
