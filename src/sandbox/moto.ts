import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ExternalCommandError } from '../errors.js';
import { freePort, waitForHttp } from './ports.js';

/** The moto release the sandbox and the tests run: pinned, so behaviour does not drift. */
export const motoRequirement = 'moto[server]==5.2.5';

/** The cached virtualenv that holds moto: $XDG_CACHE_HOME/sgn/moto-<version>. */
export function motoVenvDir(env: NodeJS.ProcessEnv): string {
  const cache = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cache, 'sgn', 'moto-' + motoRequirement.split('==')[1]);
}

function run(cmd: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('error', (e) => reject(e));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new ExternalCommandError(`${what} failed (exit ${code}).`, stderr.trim().split('\n').slice(-3).join(' ')))));
  });
}

/**
 * Makes sure moto is installed in its cached venv (creating it on first use, about a minute)
 * and returns the moto_server path. Missing python3 or venv support gets one sentence on the fix.
 */
export async function ensureMoto(env: NodeJS.ProcessEnv, onProgress: (msg: string) => void = () => undefined): Promise<string> {
  const dir = motoVenvDir(env);
  const server = join(dir, 'bin', 'moto_server');
  if (existsSync(server)) return server;
  const python = env.SGN_PYTHON || 'python3';
  try {
    await run(python, ['--version'], 'python3 --version');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ExternalCommandError('The sandbox needs python3 to run moto, and python3 was not found.', 'Install it (Debian/Ubuntu: `sudo apt-get install python3 python3-venv`; macOS: `brew install python`), then retry.');
    }
    throw e;
  }
  onProgress(`Installing ${motoRequirement} into ${dir} (first run only)...`);
  mkdirSync(dir, { recursive: true });
  try {
    await run(python, ['-m', 'venv', dir], 'Creating the moto virtualenv');
  } catch (e) {
    throw new ExternalCommandError('python3 could not create a virtualenv for moto.', 'Install venv support (Debian/Ubuntu: `sudo apt-get install python3-venv`), then retry.', e);
  }
  await run(join(dir, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', motoRequirement], `pip install ${motoRequirement}`);
  if (!existsSync(server)) throw new ExternalCommandError(`moto was installed but ${server} is missing.`, `Remove ${dir} and retry.`);
  return server;
}

export interface MotoProcess {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts moto_server on a free loopback port and waits until it answers. `detached` lets it
 * outlive this process (the sandbox); otherwise it is stopped when the caller calls stop().
 */
export async function startMoto(opts: { server: string; logFile?: string; detached?: boolean; port?: number }): Promise<MotoProcess> {
  const port = opts.port ?? (await freePort());
  const out = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(opts.server, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', out, out],
    detached: Boolean(opts.detached),
    // moto reads MOTO_ENABLE_RECORDING with Python's bool(): any non-empty value, "false" too,
    // turns recording ON (every request body, config values included, into ./moto_recording).
    env: { ...process.env, MOTO_ENABLE_RECORDING: '' },
  });
  if (typeof out === 'number') closeSync(out);
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/moto-api/`, 60_000, () => exited);
  if (opts.detached) child.unref();
  return {
    url,
    port,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
