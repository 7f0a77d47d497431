import type { CommandDef, Flags } from '../../cli/define.js';
import { jsonOption } from '../../cli/define.js';
import type { CfgCatOptions } from '../../services/cfg/read.js';
import { validateCfgEnv, validateCfgProject } from './names.js';
import { parseVersionId } from './version.js';

export function parseCfgCat(args: string[], flags: Flags): CfgCatOptions {
  const [project, env] = args;
  validateCfgProject(project);
  if (env !== undefined) validateCfgEnv(env);
  return { project, env, json: Boolean(flags.json), versionId: parseVersionId(flags.versionId) };
}

export const cfgCat: CommandDef = {
  name: 'cat',
  arguments: '<project> [env]',
  summary: 'print one config file',
  description:
    'Prints a config file exactly as stored (bytes untouched) on stdout. With --json, prints the keys and values as the deployer will see them: upper-cased keys, quotes stripped. Without env: the only environment the project has a config file for; with several, a choice on a terminal (scripts must name it).',
  examples: ['sgn cfg cat web production', 'sgn cfg cat web production --json | jq -r .DATABASE_URL', 'sgn cfg cat web production --version-id 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY'],
  options: (cmd) => {
    jsonOption(cmd);
    cmd.option('--version-id <id>', 'an older S3 object version (see `sgn cfg history`)');
  },
  run: async (ctx, args, flags) => {
    const opts = parseCfgCat(args, flags);
    const { cfgCat: run } = await import('../../services/cfg/read.js');
    return run(ctx, opts);
  },
};
