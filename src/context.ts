import { IO, type Streams } from './io.js';
import { loadSettings, type ResolvedSettings } from './settings/load.js';
import type { SettingKey, Settings } from './settings/schema.js';
import type { AwsFactory } from './aws/clients.js';
import type { Prompter } from './prompt.js';

export interface GlobalOptions {
  region?: string;
  profile?: string;
  sandbox: boolean;
  debug: boolean;
  color: boolean;
  /** `-c key=value` overrides, already parsed. */
  settings: Partial<Record<SettingKey, unknown>>;
}

/**
 * Everything a command needs from the outside world, built once per run and lazily: settings,
 * AWS clients, terminal I/O, prompts, the clock. Nothing else reads process.env or the streams.
 */
export interface Context {
  io: IO;
  env: NodeJS.ProcessEnv;
  cwd: string;
  global: GlobalOptions;
  now(): Date;
  /** Resolved settings (read on first use). */
  settings(): Settings;
  resolvedSettings(): ResolvedSettings;
  /** AWS clients sharing region, credentials, endpoints and retry policy (built on first use). */
  aws(): Promise<AwsFactory>;
  prompter(): Promise<Prompter>;
  /** Aborted on the first Ctrl-C (SIGINT) or SIGTERM. */
  signal: AbortSignal;
  /** A debug line on stderr when --debug is on. Never pass secrets. */
  debug(message: string): void;
}

export interface ContextInput {
  streams: Streams;
  env: NodeJS.ProcessEnv;
  cwd: string;
  global: GlobalOptions;
  signal: AbortSignal;
  now?: () => Date;
}

/** Builds the real context of a CLI run. */
export function createContext(input: ContextInput): Context {
  const color = input.global.color && !input.env.NO_COLOR && input.env.TERM !== 'dumb';
  const io = new IO(input.streams, { color, forceColor: Boolean(input.env.FORCE_COLOR) && input.env.FORCE_COLOR !== '0' });
  let resolved: ResolvedSettings | undefined;
  let aws: Promise<AwsFactory> | undefined;
  let prompter: Promise<Prompter> | undefined;
  const resolvedSettings = () =>
    (resolved ??= loadSettings({
      env: input.env,
      cwd: input.cwd,
      flags: { ...input.global.settings, ...(input.global.region ? { region: input.global.region } : {}), ...(input.global.profile ? { profile: input.global.profile } : {}) },
    }));
  const ctx: Context = {
    io,
    env: input.env,
    cwd: input.cwd,
    global: input.global,
    now: input.now ?? (() => new Date()),
    settings: () => resolvedSettings().values,
    resolvedSettings,
    signal: input.signal,
    aws: () =>
      (aws ??= (async () => {
        const { createAwsFactory } = await import('./aws/clients.js');
        return createAwsFactory(ctx);
      })()),
    prompter: () =>
      (prompter ??= (async () => {
        const { createPrompter } = await import('./prompt.js');
        return createPrompter(io, input.signal);
      })()),
    debug: (message) => {
      if (input.global.debug) io.info(io.err.dim(`[debug] ${message}`));
    },
  };
  return ctx;
}
