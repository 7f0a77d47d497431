import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { runSgn } from '../../helpers/cli.js';
import { refusedHost } from '../../helpers/fault-proxy.js';
import { isAlive, type SandboxState } from '../../../src/sandbox/state.js';
import { sandboxCredentials } from '../../../src/sandbox/state.js';

function sandboxEnv(): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'sgn-sbx-'));
  return {
    PATH: process.env.PATH,
    HOME: home,
    // Reuse the machine's moto venv (the cache), but nothing else from the real HOME.
    XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? join(process.env.HOME!, '.cache'),
    SGN_SANDBOX_DIR: join(home, 'sandbox'),
  };
}

describe('sgn sandbox', function () {
  this.timeout(180_000);
  const env = sandboxEnv();
  let state: SandboxState | undefined;

  after(async () => {
    // Whatever a failed test left running is stopped here.
    await runSgn(['sandbox', 'stop'], { env });
  });

  it('given no sandbox, when a command runs with --sandbox, then it says how to start one', async () => {
    const res = await runSgn(['--sandbox', 'ls', 'deployed'], { env });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /No sandbox is running\.\nHint: Start one with `sgn sandbox start`/);
    const status = await runSgn(['sandbox', 'status'], { env });
    assert.equal(status.code, 1);
  });

  it('given a fresh machine, when started, then moto and the emulator run and the demo data is in the table', async () => {
    const res = await runSgn(['sandbox', 'start'], { env, timeoutMs: 170_000 });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, '', 'messages go to stderr');
    state = JSON.parse(readFileSync(join(env.SGN_SANDBOX_DIR!, 'state.json'), 'utf8')) as SandboxState;
    assert.ok(isAlive(state.moto.pid) && isAlive(state.emulator.pid));
    assert.match(res.stderr, /Try next:/);
    const db = new DynamoDBClient({ region: state.region, endpoint: state.moto.url, credentials: sandboxCredentials });
    const items = (await db.send(new ScanCommand({ TableName: 'kubernetes_deploy' }))).Items ?? [];
    assert.ok(items.some((i) => i.Application.S === 'web' && i.Env.S === 'production'));
  });

  it('given a running sandbox, when started again, then nothing new starts (idempotent)', async () => {
    const res = await runSgn(['sandbox', 'start', '--json'], { env });
    assert.equal(res.code, 0, res.stderr);
    const again = JSON.parse(res.stdout) as SandboxState;
    assert.equal(again.moto.pid, state!.moto.pid);
    assert.equal(again.emulator.pid, state!.emulator.pid);
    assert.match(res.stderr, /already running/);
  });

  it('given a running sandbox, then --sandbox and SGN_SANDBOX=1 point ls deployed at it', async () => {
    const viaFlag = await runSgn(['--sandbox', 'ls', 'deployed', '--project', 'web'], { env });
    assert.equal(viaFlag.code, 0, viaFlag.stderr);
    assert.match(viaFlag.stdout, /^web\tgit-[0-9a-f]{7} \(4\dm ago\)\tgit-[0-9a-f]{7} \(3d ago\)\tstaging ahead$/m);
    const viaEnv = await runSgn(['ls', 'deployed', '--project', 'web'], { env: { ...env, SGN_SANDBOX: '1' } });
    assert.equal(viaEnv.stdout, viaFlag.stdout);
  });

  it('given HTTP_PROXY and HTTPS_PROXY pointing at a proxy that is down, then --sandbox still works: its loopback endpoints are always direct', async () => {
    const dead = `http://${await refusedHost()}`;
    const res = await runSgn(['--sandbox', 'ls', 'deployed', '--project', 'web'], { env: { ...env, HTTP_PROXY: dead, HTTPS_PROXY: dead } });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^web\t/m);
  });

  it('given the sandbox, then the demo projects\' sources it names render what staging runs, and billing has a lint error', async () => {
    const start = await runSgn(['sandbox', 'start'], { env });
    const projects = join(env.SGN_SANDBOX_DIR!, 'projects');
    assert.ok(start.stderr.includes(projects), 'sandbox start says where the sources are');
    const ls = JSON.parse((await runSgn(['--sandbox', 'ls', 'deployed', '--project', 'web', '--json'], { env })).stdout) as { environments: Record<string, { tag: string }> }[];
    const render = await runSgn(['--sandbox', 'render', 'staging', '--json'], { env, cwd: join(projects, 'web') });
    assert.equal(render.code, 0, render.stderr);
    const out = JSON.parse(render.stdout) as { project: string; commitref: string; manifests: { manifest: { kind: string } }[] };
    assert.equal(out.project, 'web', 'the project comes from the checkout\'s git remote');
    assert.equal(out.commitref, ls[0].environments.staging.tag);
    assert.ok(out.manifests.some((m) => m.manifest.kind === 'Ingress'));
    const lint = await runSgn(['--sandbox', 'lint'], { env, cwd: join(projects, 'billing') });
    assert.equal(lint.code, 1, lint.stderr);
    assert.match(lint.stdout, /\[cron\.no-cron-env\]/);
  });

  it('given the demo data, then the plan of web to production says nothing about a config change (the files predate its deploys)', async () => {
    const res = await runSgn(['--sandbox', 'deploy', 'web', 'production', '--dry-run'], { env, timeoutMs: 120_000 });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /Promote web/);
    assert.doesNotMatch(res.stderr, /config file of web in production changed/);
    const ls = JSON.parse((await runSgn(['--sandbox', 'cfg', 'ls', 'web', '--json'], { env })).stdout) as { env: string; lastModified: string }[];
    const records = JSON.parse((await runSgn(['--sandbox', 'ls', 'deployed', '--project', 'web', '--json'], { env })).stdout) as { environments: Record<string, { deployed: string }> }[];
    for (const f of ls) assert.ok(Date.parse(f.lastModified) < Date.parse(records[0].environments[f.env].deployed), `${f.env}'s config predates its last deploy`);
  });

  it('given the sandbox, then the README promotion works: deploy web production --yes, then web is in sync', async () => {
    const res = await runSgn(['--sandbox', 'deploy', 'web', 'production', '--yes'], { env, timeoutMs: 120_000 });
    assert.equal(res.code, 0, res.stderr);
    const ls = await runSgn(['--sandbox', 'ls', 'deployed', '--project', 'web', '--json'], { env });
    const [web] = JSON.parse(ls.stdout) as { status: string; environments: Record<string, { tag: string }> }[];
    assert.equal(web.status, 'in-sync');
    assert.equal(web.environments.production.tag, web.environments.staging.tag);
  });

  it('given the sandbox, then releases, history and rollback work out of the box: web production goes back to what it ran before', async () => {
    const releases = JSON.parse((await runSgn(['--sandbox', 'releases', 'web', '--json'], { env })).stdout) as { releases: { tag: string; image: string }[] };
    assert.ok(releases.releases.length >= 4, 'several releases');
    assert.ok(releases.releases.some((r) => r.image === 'missing'), 'one whose image was expired');
    const before = JSON.parse((await runSgn(['--sandbox', 'history', 'web', 'production', '--json'], { env })).stdout) as { current: { tag: string }[]; entries: { fromTag: string; toTag: string; result: string }[] };
    const last = before.entries.find((e) => e.result === 'deployed' && e.toTag === before.current[0].tag)!;
    const res = await runSgn(['--sandbox', 'rollback', 'web', 'production', '--yes'], { env, timeoutMs: 120_000 });
    assert.equal(res.code, 0, res.stderr);
    const ls = await runSgn(['--sandbox', 'ls', 'deployed', '--project', 'web', '--json'], { env });
    assert.equal((JSON.parse(ls.stdout) as { environments: Record<string, { tag: string }> }[])[0].environments.production.tag, last.fromTag);
  });

  it('given changed data, when reset, then the demo data is back', async () => {
    const db = new DynamoDBClient({ region: state!.region, endpoint: state!.moto.url, credentials: sandboxCredentials });
    const { DeleteItemCommand } = await import('@aws-sdk/client-dynamodb');
    await db.send(new DeleteItemCommand({ TableName: 'kubernetes_deploy', Key: { Application: { S: 'web' }, Env: { S: 'staging' } } }));
    const res = await runSgn(['sandbox', 'reset'], { env });
    assert.equal(res.code, 0, res.stderr);
    const items = (await db.send(new ScanCommand({ TableName: 'kubernetes_deploy' }))).Items ?? [];
    assert.ok(items.some((i) => i.Application.S === 'web' && i.Env.S === 'staging'));
  });

  it('given a running sandbox, when stopped, then no sandbox process is left and status says so', async () => {
    const pids = [state!.moto.pid, state!.emulator.pid, ...(state!.registry ? [state!.registry.pid] : [])];
    const res = await runSgn(['sandbox', 'stop'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(pids.filter(isAlive), []);
    assert.throws(() => readFileSync(join(env.SGN_SANDBOX_DIR!, 'state.json')));
    const status = await runSgn(['sandbox', 'status', '--json'], { env });
    assert.equal(status.code, 1);
    assert.equal(JSON.parse(status.stdout).running, false);
  });
});
