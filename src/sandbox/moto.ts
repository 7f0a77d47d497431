import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

/** The object metadata key that sets an S3 object's LastModified in sgn's moto (see launcher). */
export const backdateMetadataKey = 'sgn-sandbox-last-modified';

/**
 * moto_server with one addition: a PutObject carrying the metadata `x-amz-meta-sgn-sandbox-last-
 * modified: <ISO time>` gets that LastModified (the key is dropped, not stored). S3 and moto set
 * LastModified to the upload time, and moto has no clock control; without this, the demo's config
 * files would always be newer than its deploy records (written with past `Deployed` times), and
 * every sandbox deploy would say the config changed after the last deploy. Nothing else changes.
 */
const motoLauncher = `
import datetime, sys
from moto.s3.models import FakeKey
_set_metadata = FakeKey.set_metadata
def set_metadata(self, metadata, replace=False):
    stamp = metadata.pop("x-amz-meta-${backdateMetadataKey}", None)
    _set_metadata(self, metadata, replace)
    if stamp:
        when = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        self.last_modified = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
FakeKey.set_metadata = set_metadata
from moto.server import main
sys.argv[0] = "moto_server"
sys.exit(main())
`;

/**
 * Starts moto_server on a free loopback port and waits until it answers. `detached` lets it
 * outlive this process (the sandbox); otherwise it is stopped when the caller calls stop().
 */
export async function startMoto(opts: { server: string; logFile?: string; detached?: boolean; port?: number }): Promise<MotoProcess> {
  const port = opts.port ?? (await freePort());
  const out = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  // moto drops a `moto_recording` file in its working directory: run it from the temp dir.
  // The venv's python runs moto_server's main() behind the launcher (moto_server itself when a
  // server outside a venv is given).
  const python = join(dirname(opts.server), 'python3');
  const [file, args] = existsSync(python) ? [python, ['-c', motoLauncher]] : [opts.server, []];
  const child = spawn(file, [...args, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', out, out],
    detached: Boolean(opts.detached),
    cwd: tmpdir(),
    // moto reads MOTO_ENABLE_RECORDING with Python's bool(): any non-empty value, "false"
    // included, turns on recording of every request into ./moto_recording. Leave it unset.
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'MOTO_ENABLE_RECORDING')),
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
