import type { CommandDef, Flags } from '../../cli/define.js';
import { jsonOption } from '../../cli/define.js';
import type { CfgLsOptions } from '../../services/cfg/read.js';
import { validateCfgProject } from './names.js';

export function parseCfgLs(args: string[], flags: Flags): CfgLsOptions {
  const [project] = args;
  if (project !== undefined) validateCfgProject(project);
  return { project, json: Boolean(flags.json) };
}

export const cfgLs: CommandDef = {
  name: 'ls',
  arguments: '[project]',
  summary: 'projects and environments that have config files',
  description: 'Projects and environments that have a config file in the config bucket, with last-modified time and size. The deployer\'s own kube configs (k8s_deployer/) are never listed.',
  examples: ['sgn cfg ls', 'sgn cfg ls web', "sgn cfg ls --json | jq -r '.[] | \"\\(.project)/\\(.env)\"'"],
  options: jsonOption,
  run: async (ctx, args, flags) => {
    const opts = parseCfgLs(args, flags);
    const { cfgLs: run } = await import('../../services/cfg/read.js');
    return run(ctx, opts);
  },
};
