import type { CommandDef, Flags } from '../../cli/define.js';
import { jsonOption } from '../../cli/define.js';
import { UsageError } from '../../errors.js';
import type { CfgDiffOptions } from '../../services/cfg/read.js';
import { validateCfgEnv, validateCfgProject } from './names.js';

export function parseCfgDiff(args: string[], flags: Flags): CfgDiffOptions {
  const [project, envA, envB] = args;
  validateCfgProject(project);
  validateCfgEnv(envA);
  validateCfgEnv(envB);
  if (envA === envB) throw new UsageError('Compare two different environments.', `For example: sgn cfg diff ${project} staging production`);
  return { project, envA, envB, showValues: Boolean(flags.showValues), json: Boolean(flags.json), exitCode: Boolean(flags.exitCode) };
}

export const cfgDiff: CommandDef = {
  name: 'diff',
  arguments: '<project> <envA> <envB>',
  summary: 'keys that differ between two environments',
  description: 'Compares the keys two environments\' config files give the deployer: keys only in one, and keys whose values differ. Values stay hidden unless --show-values.',
  examples: ['sgn cfg diff web staging production', 'sgn cfg diff web staging production --show-values', 'sgn cfg diff web staging production --json | jq .onlyIn'],
  options: (cmd) => {
    cmd.option('--show-values', 'show the values (they are secrets)');
    cmd.option('--exit-code', 'exit 1 when the environments differ (like git diff --exit-code)');
    jsonOption(cmd);
  },
  run: async (ctx, args, flags) => {
    const opts = parseCfgDiff(args, flags);
    const { cfgDiff: run } = await import('../../services/cfg/read.js');
    return run(ctx, opts);
  },
};
