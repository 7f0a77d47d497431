import type { Context } from '../../context.js';
import type { CfgWriteDeps, Confirm } from '../../services/cfg/write.js';

/** What every cfg write (edit, restore, set, unset) takes from the composition root. */
export async function cfgWriteDeps(ctx: Context): Promise<CfgWriteDeps> {
  const [{ cfgReporter }, s3] = await Promise.all([import('../render/cfg.js'), ctx.api.s3()]);
  return {
    s3,
    settings: cfgSettings(ctx),
    report: cfgReporter(ctx.io),
    debug: ctx.debug,
    signal: ctx.signal,
    now: ctx.now,
  };
}

/** Yes/no on the terminal; undefined when there is none to ask on (the services then refuse or need --yes). */
export function terminalConfirm(ctx: Context): Confirm | undefined {
  return ctx.io.canPrompt ? async (question, opts) => (await ctx.prompter()).confirm(question, opts) : undefined;
}

/** Which environment, asked on the terminal; undefined when there is none (the services then say to name one). */
export function terminalChooseEnv(ctx: Context): ((question: string, envs: string[]) => Promise<string>) | undefined {
  return ctx.io.canPrompt ? async (question, envs) => (await ctx.prompter()).select(question, envs.map((e) => ({ value: e, name: e }))) : undefined;
}

/** The settings every cfg command reads: where config files are, and the environments. */
export function cfgSettings(ctx: Context) {
  const { configBucket, configKey, environments } = ctx.settings();
  return { configBucket, configKey, environments };
}

/** What the cfg reads (cat, history) take from the composition root. */
export async function cfgReadDeps(ctx: Context) {
  return { s3: await ctx.api.s3(), settings: cfgSettings(ctx), chooseEnv: terminalChooseEnv(ctx), report: ctx.io, debug: ctx.debug };
}
