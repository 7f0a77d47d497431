import type { ChildProcess } from 'node:child_process';

/** Clean-up callbacks of long-lived helpers (moto, emulators, registries), run at the end. */
const stoppers: (() => Promise<void>)[] = [];
const children = new Set<ChildProcess>();

export function onStop(fn: () => Promise<void>): void {
  stoppers.push(fn);
}

/** Registers a child process to be killed even if the run dies before the root hook runs. */
export function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export async function stopAll(): Promise<void> {
  while (stoppers.length) await stoppers.pop()!().catch(() => undefined);
}
