import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateHome } from '../files.js';

/** What `sgn sandbox start` left running, so that `--sandbox` can reach it. */
export interface SandboxState {
  version: 1;
  region: string;
  accountId: string;
  startedAt: string;
  moto: { url: string; pid: number };
  emulator: { url: string; pid: number };
  /** The local registry that stands in for ECR, when docker-registry is installed. */
  registry?: { host: string; pid: number; user: string };
}

export const sandboxRegion = 'us-east-1';
/** moto's fixed account id. */
export const sandboxAccountId = '123456789012';
/** Dummy credentials: moto accepts any, and real AWS rejects these. */
export const sandboxCredentials = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };

/** The sandbox's folder: SGN_SANDBOX_DIR, else $XDG_STATE_HOME/sgn/sandbox. */
export function sandboxDir(env: NodeJS.ProcessEnv): string {
  return env.SGN_SANDBOX_DIR || join(stateHome(env), 'sandbox');
}

export function statePath(env: NodeJS.ProcessEnv): string {
  return join(sandboxDir(env), 'state.json');
}

/** True when a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The recorded state, or undefined when there is none. */
export function readSandboxState(env: NodeJS.ProcessEnv): SandboxState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(env), 'utf8')) as SandboxState;
  } catch {
    return undefined;
  }
}

/** The recorded state when its moto and emulator processes are still alive. */
export function runningSandbox(env: NodeJS.ProcessEnv): SandboxState | undefined {
  const state = readSandboxState(env);
  if (!state) return undefined;
  return isAlive(state.moto.pid) && isAlive(state.emulator.pid) ? state : undefined;
}
