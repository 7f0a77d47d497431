/** Clean-up callbacks of long-lived helpers (moto, emulators, registries), run at the end. */
const stoppers: (() => Promise<void>)[] = [];

export function onStop(fn: () => Promise<void>): void {
  stoppers.push(fn);
}

export async function stopAll(): Promise<void> {
  while (stoppers.length) await stoppers.pop()!().catch(() => undefined);
}
