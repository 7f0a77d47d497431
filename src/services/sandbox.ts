import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../files.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Reporter } from '../io.js';
import type { ProcessRunner } from '../process.js';
import type { Settings } from '../settings/schema.js';
import type { SandboxClients } from '../sandbox/resources.js';
import { SgnError } from '../errors.js';
import { ensureMoto, startMoto } from '../sandbox/moto.js';
import { freePort, waitForHttp } from '../sandbox/ports.js';
import { sandboxClients } from '../sandbox/resources.js';
import { demoProjects, seedDemo } from '../sandbox/seed.js';
import { demoSourcesDir, writeDemoSources } from '../sandbox/demo-projects.js';
import { isAlive, readSandboxState, runningSandbox, sandboxAccountId, sandboxDir, sandboxRegion, statePath, type SandboxState } from '../sandbox/state.js';

/**
 * What the sandbox service needs. `env` is the environment its background processes run with
 * (moto's venv cache, the emulator's AWS settings) and where its state folder is found
 * (SGN_SANDBOX_DIR, XDG_STATE_HOME): the composition root passes the run's environment.
 */
export interface SandboxDeps {
  env: NodeJS.ProcessEnv;
  settings: Settings;
  report: Reporter;
  /** git, for the demo projects' checkouts. */
  processes: ProcessRunner;
  now: () => Date;
}

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
  // A grace period, not a time of day: measured on the monotonic clock.
  const deadline = performance.now() + graceMs;
  while (isAlive(pid) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
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
async function startEmulator(deps: SandboxDeps, motoUrl: string, logFile: string): Promise<{ url: string; pid: number }> {
  const s = deps.settings;
  const port = await freePort();
  const out = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [emulatorEntry(), '--moto', motoUrl, '--port', String(port), '--region', sandboxRegion, '--function', s.function, '--table', s.table, '--log-group', s.deployerLogGroup.replace('{function}', s.function), '--config-bucket', s.configBucket, '--demo-projects', demoProjects.join(',')],
    { detached: true, stdio: ['ignore', out, out], env: { ...deps.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
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
async function writeDemoCheckouts(deps: SandboxDeps, commitrefs: Record<string, string>): Promise<void> {
  const root = demoSourcesDir(sandboxDir(deps.env));
  rmSync(root, { recursive: true, force: true });
  const folders = writeDemoSources(root, commitrefs);
  const { processes } = deps;
  for (const [project, folder] of Object.entries(folders)) {
    const init = await processes.run('git', ['init', '-q', folder], { timeoutMs: 10_000 });
    if (init.notFound || init.exitCode !== 0) return;
    await processes.run('git', ['-C', folder, 'remote', 'add', 'origin', `https://github.com/sgn-demo/${project}.git`], { timeoutMs: 10_000 });
  }
}

/** Creates the resources and demo data in a running sandbox. */
async function seed(deps: SandboxDeps, state: SandboxState): Promise<void> {
  const clients = await sandboxClients(state.moto.url);
  const seeds = await seedDemo(clients, deps.settings, deps.now());
  await seedDemoHistory(clients, deps.settings.table, deps.now());
  await writeDemoCheckouts(deps, Object.fromEntries(seeds.map((p) => [p.project, p.deployed.staging?.tag ?? p.builds[p.builds.length - 1]])));
  if (state.registry) {
    const { seedDemoImages } = await import('../sandbox/fixtures-images.js');
    await seedDemoImages({ host: state.registry.host });
  }
}

/** What `sandbox start` did: started it, or found it running. */
export interface SandboxStartResult {
  status: 'started' | 'already-running';
  state: SandboxState;
  /** Where the demo projects' sources are (for `sgn render` and `sgn lint`). */
  projectsDir: string;
}

/** `sgn sandbox start`: starts moto, the deployer emulator and a registry in the background; idempotent. */
export async function sandboxStart(deps: SandboxDeps): Promise<SandboxStartResult> {
  const { env, report } = deps;
  const projectsDir = demoSourcesDir(sandboxDir(env));
  const running = runningSandbox(env);
  if (running) {
    report.emit({ level: 'success', code: 'sandbox.running', message: `The sandbox is already running (moto ${running.moto.url}, deployer ${running.emulator.url}).` });
    return { status: 'already-running', state: running, projectsDir };
  }
  // A half-dead sandbox (one process crashed): clean up what is left before starting anew.
  await stopProcesses(readSandboxState(env));
  const dir = sandboxDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const server = await ensureMoto(env, (m) => report.emit({ level: 'info', code: 'sandbox.moto.install', message: m }));
  const progress = report.progress('Starting the sandbox (moto, deployer emulator, registry)');
  let state: SandboxState | undefined;
  try {
    const moto = await startMoto({ server, logFile: join(dir, 'moto.log'), detached: true });
    state = {
      version: 1,
      region: sandboxRegion,
      accountId: sandboxAccountId,
      startedAt: deps.now().toISOString(),
      moto: { url: moto.url, pid: moto.child.pid! },
      emulator: { url: '', pid: 0 },
    };
    writeState(env, state);
    state.emulator = await startEmulator(deps, moto.url, join(dir, 'emulator.log'));
    writeState(env, state);
    state.registry = await startRegistry(dir, join(dir, 'registry.log'));
    writeState(env, state);
    progress.update('Creating resources and demo data');
    await seed(deps, state);
  } catch (e) {
    await progress.fail('The sandbox did not start.');
    await stopProcesses(state);
    rmSync(statePath(env), { force: true });
    throw e;
  }
  await progress.succeed(`Sandbox running: moto ${state.moto.url}, deployer ${state.emulator.url}${state.registry ? `, registry ${state.registry.host}` : ' (no local registry: install docker-registry for image mirror)'}.`);
  return { status: 'started', state, projectsDir };
}

async function stopProcesses(state: SandboxState | undefined): Promise<void> {
  if (!state) return;
  await Promise.all([state.moto.pid, state.emulator.pid, state.registry?.pid].filter((p): p is number => Boolean(p)).map((pid) => stopPid(pid)));
}

export interface SandboxPart {
  name: string;
  where: string;
  pid: number;
  running: boolean;
}

export interface SandboxStatusResult {
  /** Every part runs. */
  running: boolean;
  dir: string;
  startedAt: string | null;
  /** Empty when no sandbox was started. */
  parts: SandboxPart[];
}

/** `sgn sandbox status`: what runs, where. */
export async function sandboxStatus(deps: Pick<SandboxDeps, 'env'>): Promise<SandboxStatusResult> {
  const state = readSandboxState(deps.env);
  const parts = state
    ? [
        { name: 'moto', where: state.moto.url, pid: state.moto.pid },
        { name: 'deployer emulator', where: state.emulator.url, pid: state.emulator.pid },
        ...(state.registry ? [{ name: 'registry', where: state.registry.host, pid: state.registry.pid }] : []),
      ].map((p) => ({ ...p, running: p.pid > 0 && isAlive(p.pid) }))
    : [];
  return { running: parts.length > 0 && parts.every((p) => p.running), dir: sandboxDir(deps.env), startedAt: state?.startedAt ?? null, parts };
}

/** `sgn sandbox stop`: stops every sandbox process and forgets the state (data lives in memory). */
export async function sandboxStop(deps: Pick<SandboxDeps, 'env'>): Promise<{ stopped: boolean }> {
  const state = readSandboxState(deps.env);
  if (!state) return { stopped: false };
  await stopProcesses(state);
  rmSync(statePath(deps.env), { force: true });
  rmSync(join(sandboxDir(deps.env), 'registry'), { recursive: true, force: true });
  return { stopped: true };
}

/** `sgn sandbox reset`: empties the emulated account and seeds the demo data again. */
export async function sandboxReset(deps: SandboxDeps): Promise<void> {
  const state = runningSandbox(deps.env);
  if (!state) throw new SgnError('No sandbox is running.', { hint: 'Start one with `sgn sandbox start`.' });
  const res = await fetch(`${state.moto.url}/moto-api/reset`, { method: 'POST' });
  if (!res.ok) throw new SgnError(`moto refused the reset (HTTP ${res.status}).`, { hint: 'Restart it: `sgn sandbox stop && sgn sandbox start`.' });
  const { deployerControl } = await import('../sandbox/deployer-emulator.js');
  await deployerControl(state.emulator.url).reset();
  await seed(deps, state);
}

/** The demo's deploy history (audit items in the deploy table), in the history's own item format. */
async function seedDemoHistory(clients: SandboxClients, table: string, now: Date): Promise<void> {
  const [{ demoHistory }, { historyItem }, { PutItemCommand }] = await Promise.all([import('../sandbox/fixtures-deploy.js'), import('./history/audit.js'), import('@aws-sdk/client-dynamodb')]);
  for (const entry of demoHistory(now)) await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: historyItem(entry, { id: entry.requestId.slice(-4) }) }));
}
