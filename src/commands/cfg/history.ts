import type { CommandDef, Flags } from '../../cli/define.js';
import { jsonOption } from '../../cli/define.js';
import { UsageError } from '../../errors.js';
import type { CfgHistoryOptions } from '../../services/cfg/read.js';
import { validateCfgEnv, validateCfgProject } from './names.js';

export function parseCfgHistory(args: string[], flags: Flags): CfgHistoryOptions {
  const [project, env] = args;
  validateCfgProject(project);
  if (env !== undefined) validateCfgEnv(env);
  const limit = flags.limit === undefined ? 20 : Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit takes a positive whole number, not "${String(flags.limit)}".`, 'For example: --limit 50');
  return { project, env, json: Boolean(flags.json), limit };
}

export const cfgHistory: CommandDef = {
  name: 'history',
  arguments: '<project> [env]',
  summary: 'versions of a config file (S3 object versions)',
  description: 'The versions S3 keeps of a config file, newest first, with deletions. Needs a versioned bucket (it says so when the bucket is not).',
  examples: ['sgn cfg history web production', 'sgn cfg history web production --json | jq -r ".[1].versionId"'],
  options: (cmd) => {
    cmd.option('-n, --limit <n>', 'show at most this many versions (default 20)');
    jsonOption(cmd);
  },
  run: async (ctx, args, flags) => {
    const opts = parseCfgHistory(args, flags);
    const { cfgHistory: run } = await import('../../services/cfg/read.js');
    return run(ctx, opts);
  },
};
