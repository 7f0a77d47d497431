import { IO, type Streams } from './io.js';
import { loadSettings, type ResolvedSettings } from './settings/load.js';
import type { SettingKey, Settings } from './settings/schema.js';
import type { AwsApis } from './aws/apis.js';
import type { AwsFactory, ClientSettings } from './aws/clients.js';
import type { Prompter } from './prompt.js';
import type { ProcessRunner } from './process.js';
import { SgnError } from './errors.js';
import { proxyConfigured, proxyFromEnv, type ProxyEnv } from './net-proxy.js';

export interface GlobalOptions {
  region?: string;
  profile?: string;
  sandbox: boolean;
  debug: boolean;
  color: boolean;
  /** `-c key=value` overrides, already parsed. */
  settings: Partial<Record<SettingKey, unknown>>;
}

/** Where AWS requests go in this run: the standard chain, or the running sandbox. */
export interface Target {
  clients: ClientSettings;
  /** Set when `--sandbox` points the run at the local sandbox. */
  sandbox?: { region: string; accountId: string; registryHost?: string };
}

/**
 * The composition root (gh's Factory): everything a command needs from the outside world, built
 * once per run and lazily: settings, AWS adapters, terminal I/O, prompts, child processes, the
 * clock. Nothing else reads process.env or the streams; services receive only what they need.
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
  /** Where AWS requests go (sandbox or not is decided here, not in the adapters). */
  target(): Promise<Target>;
  /** The narrow AWS adapters, sharing region, credentials, endpoints and retry policy. */
  api: AwsApis;
  /** The raw client factory, for the few callers that need SDK clients (sandbox seeding). */
  aws(): Promise<AwsFactory>;
  prompter(): Promise<Prompter>;
  /** Child processes (editor, python3, git), through execa. */
  processes(): Promise<ProcessRunner>;
  /**
   * The proxies of the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY; lowercase first), or
   * undefined when none is set. Throws ProxyVariableError (exit 2) for one sgn cannot use.
   */
  proxy(): ProxyEnv | undefined;
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
  /** Replaces the AWS adapters (unit tests pass fakes of the narrow interfaces). */
  api?: AwsApis;
  /** Replaces the child-process runner (unit tests pass fakes). */
  processes?: ProcessRunner;
  /** Replaces the sandbox lookup (unit tests). */
  findSandbox?: (env: NodeJS.ProcessEnv) => Promise<(Target['sandbox'] & { clients: ClientSettings }) | undefined>;
}

export function sandboxWanted(global: GlobalOptions, env: NodeJS.ProcessEnv): boolean {
  return global.sandbox || /^(1|true|yes)$/i.test(env.SGN_SANDBOX ?? '');
}

/** Builds the real context of a CLI run. */
export function createContext(input: ContextInput): Context {
  const color = input.global.color && !input.env.NO_COLOR && input.env.TERM !== 'dumb';
  const io = new IO(input.streams, { color, forceColor: Boolean(input.env.FORCE_COLOR) && input.env.FORCE_COLOR !== '0', debug: input.global.debug });
  let resolved: ResolvedSettings | undefined;
  let target: Promise<Target> | undefined;
  let factory: Promise<AwsFactory> | undefined;
  let prompter: Promise<Prompter> | undefined;
  let processes: Promise<ProcessRunner> | undefined;
  let proxy: ProxyEnv | undefined;
  const resolvedSettings = () =>
    (resolved ??= loadSettings({
      env: input.env,
      cwd: input.cwd,
      flags: { ...input.global.settings, ...(input.global.region ? { region: input.global.region } : {}), ...(input.global.profile ? { profile: input.global.profile } : {}) },
    }));
  const resolveTarget = () =>
    (target ??= (async (): Promise<Target> => {
      if (!sandboxWanted(input.global, input.env)) {
        const s = resolvedSettings().values;
        // The SDK reads AWS_ENDPOINT_URL[_<SERVICE>] itself.
        return { clients: { region: s.region, profile: s.profile, serviceEndpoints: {} } };
      }
      const found = await (input.findSandbox ?? findSandbox)(input.env);
      if (!found) throw new SgnError('No sandbox is running.', { hint: 'Start one with `sgn sandbox start` (it needs python3), then run this again.' });
      const { clients, ...sandbox } = found;
      return { clients, sandbox };
    })());
  const aws = () =>
    (factory ??= (async () => {
      const [t, { createAwsFactory }] = await Promise.all([resolveTarget(), import('./aws/clients.js')]);
      return createAwsFactory(t.clients, input.env, {
        onRetry: (message) => io.emit({ level: 'warn', code: 'aws.retry', message }),
        // --debug: one line per request when it ends, a timeline of what waited for what.
        ...(input.global.debug
          ? {
              onRequest: (r: { service: string; operation: string; startMs: number; endMs: number; failed?: string }) =>
                io.emit({ level: 'debug', code: 'aws.request', message: `request ${r.service} ${r.operation} ${Math.round(r.startMs)}-${Math.round(r.endMs)} ms${r.failed ? ` (${r.failed})` : ''}` }),
            }
          : {}),
        // An MFA device's code, asked on the terminal (the SDK's MFA code provider calls this).
        ...(io.canPrompt
          ? {
              mfaCode: async (serial: string) =>
                (await ctx.prompter()).text(`MFA code for ${serial}:`, { validate: (v) => (/^\d{6}$/.test(v.trim()) ? true : 'six digits'), noTtyHint: '' }).then((v) => v.trim()),
            }
          : {}),
      });
    })());
  const api: AwsApis =
    input.api ??
    (() => {
      let apis: Promise<AwsApis> | undefined;
      const apisOf = () => (apis ??= (async () => (await import('./aws/apis.js')).createAwsApis(await aws()))());
      return {
        dynamo: async () => (await apisOf()).dynamo(),
        s3: async () => (await apisOf()).s3(),
        logs: async () => (await apisOf()).logs(),
        lambda: async (opts) => (await apisOf()).lambda(opts),
        ecr: async () => (await apisOf()).ecr(),
        codebuild: async () => (await apisOf()).codebuild(),
        codepipeline: async () => (await apisOf()).codepipeline(),
        sts: async () => (await apisOf()).sts(),
        region: async () => (await apisOf()).region(),
      };
    })();
  const ctx: Context = {
    io,
    env: input.env,
    cwd: input.cwd,
    global: input.global,
    now: input.now ?? (() => new Date()),
    settings: () => resolvedSettings().values,
    resolvedSettings,
    target: resolveTarget,
    api,
    aws,
    signal: input.signal,
    proxy: () => (proxyConfigured(input.env) ? (proxy ??= proxyFromEnv(input.env)) : undefined),
    prompter: () =>
      (prompter ??= (async () => {
        const { createPrompter } = await import('./prompt.js');
        return createPrompter(io, input.signal);
      })()),
    processes: () => (processes ??= input.processes ? Promise.resolve(input.processes) : import('./process.js').then((m) => m.createProcessRunner(input.env, input.signal))),
    debug: (message) => io.emit({ level: 'debug', code: 'debug', message }),
  };
  return ctx;
}

/** The running sandbox's endpoints and dummy credentials, when one runs. */
async function findSandbox(env: NodeJS.ProcessEnv): Promise<(Target['sandbox'] & { clients: ClientSettings }) | undefined> {
  const { runningSandbox, sandboxCredentials } = await import('./sandbox/state.js');
  const s = runningSandbox(env);
  if (!s) return undefined;
  return {
    region: s.region,
    accountId: s.accountId,
    registryHost: s.registry?.host,
    clients: {
      region: s.region,
      endpoint: s.moto.url,
      serviceEndpoints: { lambda: s.emulator.url, codebuild: s.emulator.url, codepipeline: s.emulator.url },
      credentials: sandboxCredentials,
      // sgn's own loopback emulators: a corporate proxy could not reach them.
      direct: true,
    },
  };
}
