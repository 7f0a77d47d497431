import type { CommandDef, Flags } from '../../cli/define.js';
import { jsonOption } from '../../cli/define.js';
import { UsageError } from '../../errors.js';
import type { LsDeployedOptions } from '../../services/deployed.js';
import { validateName } from '../../names.js';

export function parseLsDeployed(flags: Flags): LsDeployedOptions {
  const envs = ((flags.env as string[] | undefined) ?? []).flatMap((e) => e.split(',')).map((e) => e.trim()).filter(Boolean);
  if (flags.project !== undefined) validateName(flags.project as string, 'project');
  for (const e of envs) validateName(e, 'environment');
  if (flags.json && flags.wide) throw new UsageError('--wide is for the table; --json already has every attribute.', 'Drop one of the two flags.');
  return { project: flags.project as string | undefined, envs, wide: Boolean(flags.wide), json: Boolean(flags.json) };
}

export const lsDeployed: CommandDef = {
  name: 'deployed',
  summary: 'what is deployed where, and what waits for promotion',
  description: 'What is deployed where (the deploy table in DynamoDB): one row per project, a column per environment (tag and age), and a status: in sync, "<env> ahead" (waiting for promotion), or only in one env.',
  examples: ['sgn ls deployed', 'sgn ls deployed --project web', 'sgn ls deployed --env production --wide', 'sgn ls deployed --json | jq \'.[] | select(.status == "ahead") | .project\''],
  options: (cmd) => {
    cmd.option('-p, --project <name>', 'only this project (a Query, not a Scan)');
    cmd.option('-e, --env <name>', 'only these environments (repeatable or comma-separated)', (v: string, prev: string[] = []) => [...prev, v]);
    cmd.option('-w, --wide', 'add absolute deploy times and artifact keys');
    jsonOption(cmd);
  },
  run: async (ctx, _args, flags) => {
    const opts = parseLsDeployed(flags);
    const { lsDeployed: run } = await import('../../services/deployed.js');
    return run(ctx, opts);
  },
};
