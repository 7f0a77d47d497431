import { Option } from 'commander';
import { defineCommand, flagReader, type Flags } from '../../cli/define.js';
import type { DeployedResult } from '../../services/deployed.js';
import type { LsDeployedCommandOptions } from '../render/deployed.js';
import { validateName } from '../../names.js';

export function parseLsDeployed(flags: Flags): LsDeployedCommandOptions {
  const f = flagReader(flags);
  const envs = f.strings('env').flatMap((e) => e.split(',')).map((e) => e.trim()).filter(Boolean);
  const project = f.string('project');
  if (project !== undefined) validateName(project, 'project');
  for (const e of envs) validateName(e, 'environment');
  return { project, envs, wide: f.boolean('wide') };
}

export const lsDeployed = defineCommand<LsDeployedCommandOptions, DeployedResult>({
  name: 'deployed',
  summary: 'what is deployed where, and what waits for promotion',
  description: 'What is deployed where (the deploy table in DynamoDB): one row per project, a column per environment (tag and age), and a status: in sync, "<env> ahead" (waiting for promotion), or only in one env. Deploys running now (holding their lock) are listed below the table.',
  examples: ['sgn ls deployed', 'sgn ls deployed --project web', 'sgn ls deployed --env production --wide', 'sgn ls deployed --json | jq \'.[] | select(.status == "ahead") | .project\''],
  options: (cmd) => {
    cmd.option('-p, --project <name>', 'only this project (a Query, not a Scan)');
    cmd.option('-e, --env <name>', 'only these environments (repeatable or comma-separated)', (v: string, prev: string[] = []) => [...prev, v]);
    cmd.addOption(new Option('-w, --wide', 'add absolute deploy times and artifact keys').conflicts('json'));
  },
  json: true,
  parse: (_args, flags) => parseLsDeployed(flags),
  execute: async (ctx, opts) => {
    const [{ lsDeployed: run }, db, target] = await Promise.all([import('../../services/deployed.js'), ctx.api.dynamo(), ctx.target()]);
    return run({ db, settings: ctx.settings(), region: target.clients.region ?? 'the current region', now: ctx.now }, opts);
  },
  toJson: async (result) => (await import('../../services/deployed.js')).deployedJson(result),
  render: async (ctx, result, opts) => (await import('../render/deployed.js')).renderDeployed(ctx, result, opts),
});

