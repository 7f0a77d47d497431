import { defineCommand, flagReader, type Flags } from '../cli/define.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { DeployOptions } from '../services/deploy/plan.js';
import type { DeployResult } from '../services/deploy/deploy.js';
import { validateName } from '../names.js';

export function parseDeploy(args: string[], flags: Flags): DeployOptions {
  const [project, env] = args;
  validateName(project, 'project');
  validateName(env, 'environment');
  const f = flagReader(flags);
  const from = f.string('from');
  const tag = f.string('tag');
  if (tag !== undefined) {
    if (from !== undefined) throw new UsageError('--tag and --from contradict each other: --tag deploys a build, --from promotes what another env runs.', 'Drop one of the two flags.');
    validateTag(tag);
  }
  if (from !== undefined) {
    validateName(from, 'environment');
    if (from === env) throw new UsageError(`--from ${from} names the target environment itself.`, 'Promote from another environment, e.g. --from staging.');
  }
  return {
    project,
    env,
    from,
    yes: f.boolean('yes'),
    dryRun: f.boolean('dryRun'),
    force: f.boolean('force'),
    logs: f.boolean('logs'),
    breakLock: f.boolean('breakLock'),
    ...(tag !== undefined ? { release: { kind: 'release' as const, tag } } : {}),
    ...(f.boolean('skipChecks') ? { skipChecks: true } : {}),
  };
}

/** A build tag as the pipeline writes it (`git-3f9c2a1`): no spaces, slashes or colons. */
export function validateTag(tag: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(tag)) throw new UsageError(`"${tag}" is not a build tag.`, 'Tags look like git-3f9c2a1; `sgn releases <project>` lists them.');
}

/** Builds the deploy's narrow dependencies from the composition root (shared by deploy and rollback). */
export async function executeDeploy(ctx: Context, opts: DeployOptions): Promise<DeployResult> {
  const [{ deploy }, { deployReporter }, { hostname }, cacheMod, { deferred }] = await Promise.all([
    import('../services/deploy/deploy.js'),
    import('./render/deploy.js'),
    import('node:os'),
    import('../services/releases/artifact-cache.js'),
    import('../aws/apis.js'),
  ]);
  const { api } = ctx;
  // Each service's requests leave as soon as its own SDK module has loaded (the region needs STS's);
  // all of them start loading now, in the order the plan needs them.
  for (const load of [api.dynamo, api.s3, api.ecr]) load().catch(() => undefined);
  const region = await api.region();
  const [db, sts, ecr, s3] = [deferred(api.dynamo), deferred(api.sts), deferred(api.ecr), deferred(api.s3)];
  const canPick = ctx.io.canPrompt;
  return deploy(
    {
      db,
      sts,
      ecr,
      s3,
      cache: cacheMod.fileArtifactCache(cacheMod.artifactCacheDir(ctx.env)),
      pick: canPick ? async (question, choices) => (await ctx.prompter()).select(question, choices) : undefined,
      region,
      lambda: () => api.lambda({ forLongInvoke: true }),
      // On the long-invoke client: asked early, it also opens the connection the invoke then reuses.
      functionTimeout: async (name, signal) => (await (await api.lambda({ forLongInvoke: true })).getFunctionConfiguration({ FunctionName: name }, { abortSignal: signal })).Timeout,
      logs: () => api.logs(),
      settings: ctx.settings(),
      gate: async (input) => {
        const [{ openPromotionGate, gateOff }, { setTimeout: delay }] = await Promise.all([import('../services/deploy/gate.js'), import('node:timers/promises')]);
        const settings = ctx.settings();
        if (!settings.promotionGate) return async () => gateOff;
        const deps = { codepipeline: await api.codepipeline(), settings, region, now: ctx.now, signal: ctx.signal, sleep: (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }), onRetry: (m: string) => ctx.debug(m) };
        return openPromotionGate(deps, input);
      },
      report: deployReporter(ctx.io, ctx.now),
      confirm: async (question, noTtyHint) => (await ctx.prompter()).confirm(question, { default: false, noTtyHint }),
      now: ctx.now,
      signal: ctx.signal,
      host: { name: hostname(), pid: process.pid },
    },
    opts,
  );
}

export const deployCommand = defineCommand<DeployOptions, DeployResult>({
  name: 'deploy',
  arguments: '<project> <env>',
  summary: 'promote what the source environment runs to <env>, and prove it took effect',
  // One paragraph per line: commander wraps each at word boundaries for the terminal's width.
  description: [
    'Promote a project: deploy what its source environment runs to <env> through the deployer Lambda, then verify the deploy record. The source is --from, else the setting promoteFrom of <env> (production: staging).',
    'Shows the plan first. Protected environments (setting "protected") ask for confirmation, or take --yes. A lock in the deploy table keeps two people from promoting the same project to <env> at once. The invoke waits as long as the deployer runs and is never sent twice (only throttling is retried). Exit code 0 only when the target record shows the new tag and a newer time.',
    'The plan shows what the pipeline\'s integration tests said about the tag; a protected env is refused when they failed, have not finished or never ran, unless --skip-checks (the setting promotionGate turns the gate off).',
  ].join('\n\n'),
  examples: [
    'sgn deploy web production',
    'sgn deploy web production --dry-run',
    'sgn deploy web production --logs',
    'sgn deploy web production --yes --json   # in CI',
    'sgn deploy api qa --from staging',
    'sgn deploy web production --tag git-3f9c2a1   # a build from `sgn releases web`',
    'sgn --sandbox deploy web production',
    'sgn --sandbox deploy worker production   # refused: its integration tests failed',
  ],
  options: (cmd) => {
    cmd.option('--from <env>', 'source environment (default: the setting promoteFrom of <env>)');
    cmd.option('-y, --yes', 'deploy without asking (scripts, CI)');
    cmd.option('--dry-run', 'show the plan and the exact payload; invoke nothing');
    cmd.option('--force', 'deploy even when <env> already runs the same tag, or its image is missing from ECR');
    cmd.option('--logs', 'stream the deployer\'s log lines of this deploy while it runs');
    cmd.option('--tag <tag>', 'deploy this build (`sgn releases <project>`) instead of what the source env runs');
    cmd.option('--skip-checks', 'promote even when the integration tests of the tag failed or have not finished');
    cmd.option('--break-lock', 'take over the lock an interrupted deploy left (only once its deployer has finished)');
  },
  json: true,
  parse: parseDeploy,
  execute: executeDeploy,
  render: async (ctx, result) => (await import('./render/deploy.js')).renderDeploy(ctx.io, result),
});
