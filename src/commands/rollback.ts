import { defineCommand, flagReader, type Flags } from '../cli/define.js';
import type { DeployOptions } from '../services/deploy/plan.js';
import type { DeployResult } from '../services/deploy/deploy.js';
import { validateName } from '../names.js';
import { executeDeploy, validateTag } from './deploy.js';

export function parseRollback(args: string[], flags: Flags): DeployOptions {
  const [project, env] = args;
  validateName(project, 'project');
  validateName(env, 'environment');
  const f = flagReader(flags);
  const to = f.string('to');
  if (to !== undefined) validateTag(to);
  return {
    project,
    env,
    yes: f.boolean('yes'),
    dryRun: f.boolean('dryRun'),
    force: f.boolean('force'),
    logs: f.boolean('logs'),
    breakLock: f.boolean('breakLock'),
    release: { kind: 'rollback', ...(to !== undefined ? { tag: to } : {}) },
  };
}

export const rollbackCommand = defineCommand<DeployOptions, DeployResult>({
  name: 'rollback',
  arguments: '<project> <env>',
  summary: 'deploy the release <env> ran before (or --to <tag>), and prove it took effect',
  description: [
    'Roll <env> back to the build it ran before its current one (from `sgn history`),',
    'or to any build with --to <tag> (`sgn releases <project>` lists them). On a',
    'terminal with no history yet, pick the build from a list.',
    '',
    'Goes through the unchanged deployer: sgn writes a temporary source record',
    '(Env "sgn:rollback:<tag>@<env>") pointing at the build\'s artifact, invokes the',
    'deployer from it, and deletes it on every exit path. Same plan, confirmation,',
    'lock, single invoke and verification as `sgn deploy`. Refused when the build\'s',
    'artifact or its image in ECR is gone.',
  ].join('\n'),
  examples: [
    'sgn rollback web production',
    'sgn rollback web production --to git-3f9c2a1',
    'sgn rollback web production --dry-run',
    'sgn rollback web production --to git-3f9c2a1 --yes --json   # in CI',
    'sgn --sandbox rollback web production',
  ],
  options: (cmd) => {
    cmd.option('--to <tag>', 'the build to deploy (default: what <env> ran before, from the history)');
    cmd.option('-y, --yes', 'roll back without asking (scripts, CI)');
    cmd.option('--dry-run', 'show the plan and the exact payload; write and invoke nothing');
    cmd.option('--force', 'deploy even when <env> already runs that tag');
    cmd.option('--logs', 'stream the deployer\'s log lines while it runs');
    cmd.option('--break-lock', 'take over the lock an interrupted deploy left (only once its deployer has finished)');
  },
  json: true,
  parse: parseRollback,
  execute: executeDeploy,
  render: async (ctx, result) => (await import('./render/deploy.js')).renderDeploy(ctx.io, result),
});
