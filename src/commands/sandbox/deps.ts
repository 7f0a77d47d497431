import type { Context } from '../../context.js';
import type { SandboxDeps } from '../../services/sandbox.js';

/** The sandbox service's dependencies, from the composition root. */
export async function sandboxDeps(ctx: Context): Promise<SandboxDeps> {
  return { env: ctx.env, settings: ctx.settings(), report: ctx.io, processes: await ctx.processes(), now: ctx.now };
}
