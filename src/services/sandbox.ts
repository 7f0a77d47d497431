import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../files.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from '../context.js';
import type { SandboxClients } from '../sandbox/resources.js';
import { SgnError } from '../errors.js';
import { ensureMoto, startMoto } from '../sandbox/moto.js';
import { freePort, waitForHttp } from '../sandbox/ports.js';
import { sandboxClients } from '../sandbox/resources.js';
import { demoProjects, seedDemo } from '../sandbox/seed.js';
import { demoSourcesDir, writeDemoSources } from '../sandbox/demo-projects.js';
import { isAlive, readSandboxState, runningSandbox, sandboxAccountId, sandboxDir, sandboxRegion, statePath, type SandboxState } from '../sandbox/state.js';

/** Set to true by `npm run build:exe`: the standalone executable carries the emulator inside. */
declare const __SGN_EXE__: boolean | undefined;

/**
 * The arguments before the emulator's own that start it with process.execPath: the built entry
 * next to the CLI bundle (dist/deployer-emulator.js), or, in the standalone executable, the
 * executable itself with its hidden first argument (scripts/exe/main.cjs).
 */
function emulatorEntry(): string {
  if (typeof __SGN_EXE__ === 'boolean' && __SGN_EXE__) return '__deployer-emulator';
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'deployer-emulator.js'), join(here, '..', 'deployer-emulator.js'), join(here, '..', '..', 'dist', 'deployer-emulator.js')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new SgnError('The deployer emulator is missing from this installation of sgn.', { hint: 'Rebuild with `npm run build` (or reinstall sgn).' });
}

function writeState(env: NodeJS.ProcessEnv, state: SandboxState): void {
  const path = statePath(env);
  writeFileAtomicSync(path, JSON.stringify(state, null, 2) + '\n');
}

/** Stops a process and waits until it is gone (SIGTERM, then SIGKILL after `graceMs`). */
async function stopPid(pid: number, graceMs = 5000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    while (isAlive(pid)) await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts the deployer emulator as a detached child that outlives this CLI run. */
async function startEmulator(ctx: Context, motoUrl: string, logFile: string): Promise<{ url: string; pid: number }> {
  const s = ctx.settings();
  const port = await freePort();
  const out = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [emulatorEntry(), '--moto', motoUrl, '--port', String(port), '--region', sandboxRegion, '--function', s.function, '--table', s.table, '--log-group', s.deployerLogGroup.replace('{function}', s.function), '--config-bucket', s.configBucket, '--demo-projects', demoProjects.join(',')],
    { detached: true, stdio: ['ignore', out, out], env: { ...ctx.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
  );
  closeSync(out);
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/_sgn/health`, 20_000, () => exited).catch((e) => {
    throw new SgnError(`The deployer emulator did not start: ${(e as Error).message}.`, { hint: `See its log: ${logFile}` });
  });
  child.unref();
  return { url, pid: child.pid! };
}

/** Starts the local registry that stands in for ECR, when Debian's docker-registry is installed. */
async function startRegistry(dir: string, logFile: string): Promise<SandboxState['registry']> {
  const bin = ['/usr/bin/docker-registry', '/usr/local/bin/docker-registry'].find((p) => existsSync(p));
  if (!bin) return undefined;
  const port = await freePort();
  const config = join(dir, 'registry.yml');
  mkdirSync(join(dir, 'registry'), { recursive: true });
  writeFileSync(
    config,
    ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'registry')}`, '  delete:', '    enabled: true', 'http:', `  addr: 127.0.0.1:${port}`, ''].join('\n'),
  );
  const out = openSync(logFile, 'a');
  const child = spawn(bin, ['serve', config], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  let exited = false;
  child.on('exit', () => (exited = true));
  await waitForHttp(`http://127.0.0.1:${port}/v2/`, 15_000, () => exited);
  child.unref();
  return { host: `127.0.0.1:${port}`, pid: child.pid!, user: '' };
}

/**
 * The demo projects' sources (deployspec.yml, deploy/*) as checkouts of what staging runs, for
 * `sgn render` and `sgn lint`; each a git repository whose origin names the project when git is
 * installed (so that no --project is needed).
 */
async function writeDemoCheckouts(ctx: Context, commitrefs: Record<string, string>): Promise<void> {
  const root = demoSourcesDir(sandboxDir(ctx.env));
  rmSync(root, { recursive: true, force: true });
  const folders = writeDemoSources(root, commitrefs);
  const processes = await ctx.processes();
  for (const [project, folder] of Object.entries(folders)) {
    const init = await processes.run('git', ['init', '-q', folder], { timeoutMs: 10_000 });
    if (init.notFound || init.exitCode !== 0) return;
    await processes.run('git', ['-C', folder, 'remote', 'add', 'origin', `https://github.com/sgn-demo/${project}.git`], { timeoutMs: 10_000 });
  }
}

/** Creates the resources and demo data in a running sandbox. */
async function seed(ctx: Context, state: SandboxState): Promise<void> {
  const clients = await sandboxClients(state.moto.url);
  const seeds = await seedDemo(clients, ctx.settings(), ctx.now());
  await seedDemoHistory(clients, ctx.settings().table, ctx.now());
  await writeDemoCheckouts(ctx, Object.fromEntries(seeds.map((p) => [p.project, p.deployed.staging?.tag ?? p.builds[p.builds.length - 1]])));
  if (state.registry) {
    const { seedDemoImages } = await import('../sandbox/fixtures-images.js');
    await seedDemoImages({ host: state.registry.host });
  }
}

function nextSteps(ctx: Context, state: SandboxState): void {
  const c = ctx.io.err.cyan;
  ctx.io.info(
    [
      '',
      'Try next:',
      `  ${c('sgn --sandbox ls deployed')}                   what runs where (web and worker wait for promotion)`,
      `  ${c('sgn --sandbox deploy web production')}         promote staging to production, verified`,
      `  ${c('sgn --sandbox releases web')}                  every build of web, one with an expired image`,
      `  ${c('sgn --sandbox rollback web production')}       back to what production ran before`,
      `  ${c('sgn --sandbox logs tail web -f')}              follow a build that is still writing`,
      `  ${c('sgn --sandbox status worker')}                 its pipeline: staging's tag failed its integration tests`,
      `  ${c('sgn --sandbox deploy worker production')}      so the promotion is refused (--skip-checks overrides)`,
      `  ${c('sgn --sandbox cfg edit web staging')}          edit a config file safely`,
      state.registry
        ? `  ${c(`sgn --sandbox image mirror ${state.registry.host}/demo/hello:1.0`)}  copy a multi-arch image into "ECR"`
        : '  (install docker-registry for a local registry to try image mirror on)',
      `Demo projects' sources (deployspec.yml, deploy/*) are in ${demoSourcesDir(sandboxDir(ctx.env))}:`,
      `  ${c(`cd ${join(demoSourcesDir(sandboxDir(ctx.env)), 'web')} && sgn --sandbox render production`)}`,
      `  ${c('sgn --sandbox lint')} there: billing has a lint error (cron without cron_env)`,
      'Or export SGN_SANDBOX=1 to drop --sandbox. Stop it with `sgn sandbox stop`.',
    ].join('\n'),
  );
}

/** `sgn sandbox start`: starts moto, the deployer emulator and a registry in the background; idempotent. */
export async function sandboxStart(ctx: Context, opts: { json: boolean }): Promise<number> {
  const running = runningSandbox(ctx.env);
  if (running) {
    ctx.io.success(`The sandbox is already running (moto ${running.moto.url}, deployer ${running.emulator.url}).`);
    if (opts.json) ctx.io.json(running);
    else nextSteps(ctx, running);
    return 0;
  }
  // A half-dead sandbox (one process crashed): clean up what is left before starting anew.
  await stopProcesses(readSandboxState(ctx.env));
  const dir = sandboxDir(ctx.env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const server = await ensureMoto(ctx.env, (m) => ctx.io.info(m));
  const progress = ctx.io.progress('Starting the sandbox (moto, deployer emulator, registry)');
  let state: SandboxState | undefined;
  try {
    const moto = await startMoto({ server, logFile: join(dir, 'moto.log'), detached: true });
    state = {
      version: 1,
      region: sandboxRegion,
      accountId: sandboxAccountId,
      startedAt: ctx.now().toISOString(),
      moto: { url: moto.url, pid: moto.child.pid! },
      emulator: { url: '', pid: 0 },
    };
    writeState(ctx.env, state);
    state.emulator = await startEmulator(ctx, moto.url, join(dir, 'emulator.log'));
    writeState(ctx.env, state);
    state.registry = await startRegistry(dir, join(dir, 'registry.log'));
    writeState(ctx.env, state);
    progress.update('Creating resources and demo data');
    await seed(ctx, state);
  } catch (e) {
    await progress.fail('The sandbox did not start.');
    await stopProcesses(state);
    rmSync(statePath(ctx.env), { force: true });
    throw e;
  }
  await progress.succeed(`Sandbox running: moto ${state.moto.url}, deployer ${state.emulator.url}${state.registry ? `, registry ${state.registry.host}` : ' (no local registry: install docker-registry for image mirror)'}.`);
  if (opts.json) ctx.io.json(state);
  else nextSteps(ctx, state);
  return 0;
}

async function stopProcesses(state: SandboxState | undefined): Promise<void> {
  if (!state) return;
  await Promise.all([state.moto.pid, state.emulator.pid, state.registry?.pid].filter((p): p is number => Boolean(p)).map((pid) => stopPid(pid)));
}

/** `sgn sandbox status`: what runs, where; exit 1 when it is not running. */
export async function sandboxStatus(ctx: Context, opts: { json: boolean }): Promise<number> {
  const state = readSandboxState(ctx.env);
  const parts = state
    ? [
        { name: 'moto', where: state.moto.url, pid: state.moto.pid },
        { name: 'deployer emulator', where: state.emulator.url, pid: state.emulator.pid },
        ...(state.registry ? [{ name: 'registry', where: state.registry.host, pid: state.registry.pid }] : []),
      ].map((p) => ({ ...p, running: p.pid > 0 && isAlive(p.pid) }))
    : [];
  const running = parts.length > 0 && parts.every((p) => p.running);
  if (opts.json) {
    ctx.io.json({ running, dir: sandboxDir(ctx.env), startedAt: state?.startedAt ?? null, parts });
  } else if (!state) {
    ctx.io.info('The sandbox is not running. Start it with `sgn sandbox start`.');
  } else {
    for (const p of parts) ctx.io.print(`${p.name}\t${p.where}\t${p.running ? 'running' : 'stopped'}\tpid ${p.pid}`);
    if (!running) ctx.io.warn('Part of the sandbox has stopped; `sgn sandbox start` restarts it.');
  }
  return running ? 0 : 1;
}

/** `sgn sandbox stop`: stops every sandbox process and forgets the state (data lives in memory). */
export async function sandboxStop(ctx: Context): Promise<number> {
  const state = readSandboxState(ctx.env);
  if (!state) {
    ctx.io.info('The sandbox is not running.');
    return 0;
  }
  await stopProcesses(state);
  rmSync(statePath(ctx.env), { force: true });
  rmSync(join(sandboxDir(ctx.env), 'registry'), { recursive: true, force: true });
  ctx.io.success('Sandbox stopped.');
  return 0;
}

/** `sgn sandbox reset`: empties the emulated account and seeds the demo data again. */
export async function sandboxReset(ctx: Context): Promise<number> {
  const state = runningSandbox(ctx.env);
  if (!state) throw new SgnError('No sandbox is running.', { hint: 'Start one with `sgn sandbox start`.' });
  const res = await fetch(`${state.moto.url}/moto-api/reset`, { method: 'POST' });
  if (!res.ok) throw new SgnError(`moto refused the reset (HTTP ${res.status}).`, { hint: 'Restart it: `sgn sandbox stop && sgn sandbox start`.' });
  const { deployerControl } = await import('../sandbox/deployer-emulator.js');
  await deployerControl(state.emulator.url).reset();
  await seed(ctx, state);
  ctx.io.success('Sandbox reset to the demo data.');
  return 0;
}

/** The demo's deploy history (audit items in the deploy table), in the history's own item format. */
async function seedDemoHistory(clients: SandboxClients, table: string, now: Date): Promise<void> {
  const [{ demoHistory }, { historyItem }, { PutItemCommand }] = await Promise.all([import('../sandbox/fixtures-deploy.js'), import('./history/audit.js'), import('@aws-sdk/client-dynamodb')]);
  for (const entry of demoHistory(now)) await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: historyItem(entry, { id: entry.requestId.slice(-4) }) }));
}
