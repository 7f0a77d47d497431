import { resolve } from 'node:path';
import type { Context } from '../context.js';
import { UsageError, explainError } from '../errors.js';
import type { EnvTarget, RenderDeps } from '../services/render/render.js';

/** What render and lint share: where the checkout is and which project it is. */
export interface CheckoutOptions {
  project?: string;
  dir?: string;
}

/**
 * The project (--project, else git remote "origin") and, for each env, the cluster name the
 * deployer's kubeconfig has for it (setting `clusters`; sgn never reads those kubeconfigs).
 * No envs: the first `max` of the setting environments.
 */
export async function projectAndTargets(ctx: Context, opts: CheckoutOptions, envs: string[], max?: number): Promise<{ project: string; targets: EnvTarget[] }> {
  const { resolveProject } = await import('../services/logs/project.js');
  const dir = checkoutDir(ctx, opts);
  const project = await resolveProject(opts.project, { cwd: dir, processes: ctx.processes, debug: (m) => ctx.debug(m), hint: 'Pass the project: --project <name>.' });
  const s = ctx.settings();
  const chosen = envs.length ? envs : s.environments.slice(0, max);
  if (!chosen.length) throw new UsageError('No environment given, and the setting environments is empty.', 'Name one: sgn render staging');
  const sandbox = (await ctx.target()).sandbox;
  const missing = chosen.filter((env) => !s.clusters[env]);
  // The sandbox's deployer kubeconfigs name their context after the env.
  if (missing.length && !sandbox) {
    ctx.io.emit({
      level: 'warn',
      code: 'render.cluster-unknown',
      message: `No cluster name for ${missing.join(', ')} in the setting clusters: using the env name, so templating[<cluster>] and SGN_CLUSTER_NAME may differ from the deployer's. Set it: sgn config set clusters ${missing.map((e) => `${e}=<kubeconfig context>`).join(',')}`,
    });
  }
  return { project, targets: chosen.map((env) => ({ env, clusterName: s.clusters[env] ?? env })) };
}

export function checkoutDir(ctx: Context, opts: CheckoutOptions): string {
  return opts.dir === undefined ? ctx.cwd : resolve(ctx.cwd, opts.dir);
}

/** The checkout folder, the clock, and the deployer's registry (setting ecrRegistry, else the account's ECR). */
export async function renderDeps(ctx: Context, opts: CheckoutOptions): Promise<RenderDeps> {
  const { checkoutFolder } = await import('../services/render/checkout.js');
  return {
    folder: checkoutFolder(checkoutDir(ctx, opts)),
    now: () => ctx.now(),
    registry: async () => {
      const s = ctx.settings();
      if (s.ecrRegistry) return s.ecrRegistry;
      try {
        const [target, region] = await Promise.all([ctx.target(), ctx.api.region()]);
        const account = target.sandbox?.accountId ?? (await (await ctx.api.sts()).getCallerIdentity()).Account;
        return `${account}.dkr.ecr.${region}.amazonaws.com`;
      } catch (e) {
        ctx.debug(`registry: ${(e as Error).message}`);
        // Say why (the taxonomy's sentence names the service and the host that failed).
        const known = explainError(e, 'asking STS for the account');
        const why = (known?.message ?? (e as Error).message).replace(/\.$/, '');
        ctx.io.emit({
          level: 'warn',
          code: 'render.registry-unknown',
          message: `Could not ask AWS for the account (${why}), so the image shows ACCOUNT.dkr.ecr.REGION.amazonaws.com. Set it: sgn config set ecrRegistry <host>, or log in to AWS.`,
        });
        return 'ACCOUNT.dkr.ecr.REGION.amazonaws.com';
      }
    },
  };
}
