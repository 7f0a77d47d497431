import type { CommandDef, Flags } from '../cli/define.js';
import { jsonOption } from '../cli/define.js';
import { UsageError } from '../errors.js';
import type { DeployOptions } from '../services/deploy/plan.js';
import { validateName } from './names.js';

export function parseDeploy(args: string[], flags: Flags): DeployOptions {
  const [project, env] = args;
  validateName(project, 'project');
  validateName(env, 'environment');
  const from = flags.from as string | undefined;
  if (from !== undefined) {
    validateName(from, 'environment');
    if (from === env) throw new UsageError(`--from ${from} names the target environment itself.`, 'Promote from another environment, e.g. --from staging.');
  }
  return {
    project,
    env,
    from,
    yes: Boolean(flags.yes),
    dryRun: Boolean(flags.dryRun),
    force: Boolean(flags.force),
    logs: Boolean(flags.logs),
    json: Boolean(flags.json),
  };
}

export const deployCommand: CommandDef = {
  name: 'deploy',
  arguments: '<project> <env>',
  summary: 'promote what the source environment runs to <env>, and prove it took effect',
  description: [
    'Promote a project: deploy what its source environment runs to <env> through',
    'the deployer Lambda, then verify the deploy record. The source is --from, else',
    'the setting promoteFrom of <env> (production: staging).',
    '',
    'Shows the plan first. Protected environments (setting "protected") ask for',
    'confirmation, or take --yes. A lock in the deploy table keeps two people from',
    'promoting the same project to <env> at once. The invoke waits as long as the',
    'deployer runs and is never sent twice (only throttling is retried).',
    'Exit code 0 only when the target record shows the new tag and a newer time.',
  ].join('\n'),
  examples: [
    'sgn deploy web production',
    'sgn deploy web production --dry-run',
    'sgn deploy web production --logs',
    'sgn deploy web production --yes --json   # in CI',
    'sgn deploy api qa --from staging',
    'sgn --sandbox deploy web production',
  ],
  options: (cmd) => {
    cmd.option('--from <env>', 'source environment (default: the setting promoteFrom of <env>)');
    cmd.option('-y, --yes', 'deploy without asking (scripts, CI)');
    cmd.option('--dry-run', 'show the plan and the exact payload; invoke nothing');
    cmd.option('--force', 'deploy even when <env> already runs the same tag');
    cmd.option('--logs', 'stream the deployer\'s log lines of this deploy while it runs');
    jsonOption(cmd);
  },
  run: async (ctx, args, flags) => {
    const opts = parseDeploy(args, flags);
    const { deploy } = await import('../services/deploy/deploy.js');
    return deploy(ctx, opts);
  },
};
