import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** `$SGN_CACHE_DIR`, else `$XDG_CACHE_HOME/sgn` (default `~/.cache/sgn`): what sgn may forget at any time. */
export function cacheHome(env: NodeJS.ProcessEnv): string {
  return env.SGN_CACHE_DIR || join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'sgn');
}

/** `$XDG_STATE_HOME/sgn` (default `~/.local/state/sgn`): what sgn keeps between runs (sandbox state, kept edits). */
export function stateHome(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'sgn');
}

export interface AtomicWriteOptions {
  /** The file's mode (e.g. 0o600 for anything private); the umask's default when omitted. */
  mode?: number;
  /** Creates the parent folder with this mode when missing (0o700 for private caches). */
  dirMode?: number;
}

const tmpOf = (path: string) => `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;

/**
 * Writes a file so that readers see the old content or the new, never half of it: a private
 * temp file beside it, then a rename. The temp file is removed when anything fails.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  if (opts.dirMode !== undefined) mkdirSync(dirname(path), { recursive: true, mode: opts.dirMode });
  const tmp = tmpOf(path);
  try {
    writeFileSync(tmp, data, opts.mode === undefined ? {} : { mode: opts.mode });
    // The umask may have narrowed the mode given at creation; a kept mode must be exact.
    if (opts.mode !== undefined) chmodSync(tmp, opts.mode);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** The asynchronous writeFileAtomicSync. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  if (opts.dirMode !== undefined) await mkdir(dirname(path), { recursive: true, mode: opts.dirMode });
  const tmp = tmpOf(path);
  try {
    await writeFile(tmp, data, opts.mode === undefined ? {} : { mode: opts.mode });
    if (opts.mode !== undefined) await chmod(tmp, opts.mode);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
