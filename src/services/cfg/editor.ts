/**
 * The private workspace of `cfg edit` and the editor it runs. Config values are secrets: the file
 * lives in a fresh 0700 folder as a 0600 file, and the folder goes away on every way out (success,
 * refusal, error, Ctrl-C, SIGTERM) through the caller's `finally`.
 */
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { ProcessRunner } from '../../process.js';
import { ExternalCommandError, InterruptedError } from '../../errors.js';

export interface Workspace {
  dir: string;
  file: string;
  write(bytes: Uint8Array): void;
  read(): Uint8Array;
  /** Removes the folder and everything in it (an editor's swap or backup files too). */
  remove(): void;
}

/** Creates a 0700 folder under `root` holding one 0600 file named `name`. */
export function createWorkspace(root: string, name: string): Workspace {
  const dir = mkdtempSync(join(root, 'sgn-cfg-'));
  chmodSync(dir, 0o700);
  const file = join(dir, name);
  let created = false;
  return {
    dir,
    file,
    write: (bytes) => {
      writeFileSync(file, bytes, { mode: 0o600, flag: created ? 'w' : 'wx' });
      // An editor may have replaced the file (write to a new file, rename): keep it private.
      chmodSync(file, 0o600);
      created = true;
    },
    read: () => new Uint8Array(readFileSync(file)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/**
 * The editor command, as git picks it: $VISUAL (unless the terminal is dumb), then $EDITOR,
 * then the system's choice (Debian's `editor`), then nano, then vi.
 */
export function editorCommand(env: NodeJS.ProcessEnv): string {
  if (env.VISUAL && env.TERM !== 'dumb') return env.VISUAL;
  if (env.EDITOR) return env.EDITOR;
  return ['editor', 'nano', 'vi'].find((e) => onPath(e, env)) ?? 'vi';
}

/** What running the editor needs. */
export interface EditorDeps {
  processes: ProcessRunner;
  /** Aborted on Ctrl-C or SIGTERM (the runner stops the editor then). */
  signal: AbortSignal;
  debug?: (message: string) => void;
}

/**
 * Runs the editor on a file and waits for it. The command is a shell snippet (like git's
 * core.editor: "code --wait" works); the file is passed as an argument, never interpolated.
 * Ctrl-C or SIGTERM stop the editor (the caller then removes the workspace).
 */
export async function runEditor(deps: EditorDeps, command: string, file: string): Promise<void> {
  deps.debug?.(`editor: ${command}`);
  // `exec`: the shell becomes the editor, so stopping it (Ctrl-C, SIGTERM) stops the editor too,
  // instead of leaving it running with the terminal.
  const result = await deps.processes.interactive('sh', ['-c', `exec ${command} "$@"`, 'sgn-editor', file]);
  if (result.canceled || deps.signal.aborted || result.signal === 'SIGINT') throw new InterruptedError('Interrupted; the editor was stopped and nothing was uploaded.');
  if (result.signal) {
    // Killed (SIGTERM, SIGKILL, SIGHUP when its terminal went away): it ran, then died.
    throw new ExternalCommandError(`The editor (${command}) was killed by ${result.signal}; nothing was uploaded.`, 'Run the command again to retry.');
  }
  if (result.notStarted) {
    throw new ExternalCommandError(`Could not start the editor (${command}).`, 'Set VISUAL or EDITOR to an editor that is installed, e.g. export EDITOR=nano', result);
  }
  if (result.exitCode === 127) {
    throw new ExternalCommandError(`The editor "${command}" was not found; nothing was uploaded.`, 'Set VISUAL or EDITOR to an editor that is installed, e.g. export EDITOR=nano');
  }
  if (result.exitCode !== 0) {
    throw new ExternalCommandError(`The editor (${command}) exited with code ${result.exitCode ?? result.signal}; nothing was uploaded.`, 'An editor that fails (e.g. vim\'s :cq) means "abandon"; run the command again to retry.');
  }
}
