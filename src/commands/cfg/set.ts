import { defineCommand, type Flags } from '../../cli/define.js';
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import type { CfgWriteResult } from '../../services/cfg/events.js';
import type { CfgSetOptions } from '../../services/cfg/write.js';
import { cfgWriteDeps } from './deps.js';
import { checkKey, validateCfgEnv, validateCfgProject } from './names.js';

function noRepeats(keys: string[]): void {
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k.toUpperCase())) throw new UsageError(`${k.toUpperCase()} is named twice.`, 'Keys ignore case; name each key once.');
    seen.add(k.toUpperCase());
  }
}

export function parseCfgSet(args: string[], _flags: Flags): CfgSetOptions {
  const [project, env, ...pairs] = args;
  validateCfgProject(project);
  validateCfgEnv(env);
  if (pairs.length === 0) throw new UsageError('Give at least one KEY=VALUE.', `For example: sgn cfg set ${project} ${env} LOG_LEVEL=debug`);
  const set = pairs.map((pair) => {
    const i = pair.indexOf('=');
    if (i <= 0) throw new UsageError(`"${pair.length > 40 ? pair.slice(0, 40) + '...' : pair}" is not KEY=VALUE.`, `For example: sgn cfg set ${project} ${env} LOG_LEVEL=debug`);
    return { key: checkKey(pair.slice(0, i)), value: pair.slice(i + 1) };
  });
  noRepeats(set.map((s) => s.key));
  return { project, env, set, unset: [] };
}

export function parseCfgUnset(args: string[], _flags: Flags): CfgSetOptions {
  const [project, env, ...keys] = args;
  validateCfgProject(project);
  validateCfgEnv(env);
  if (keys.length === 0) throw new UsageError('Name at least one KEY to remove.', `For example: sgn cfg unset ${project} ${env} OLD_FLAG`);
  keys.forEach(checkKey);
  noRepeats(keys);
  return { project, env, set: [], unset: keys };
}

/** set and unset: one service, a conditional write re-applied on the newest version. */
async function executeSetKeys(ctx: Context, opts: CfgSetOptions): Promise<CfgWriteResult> {
  const { cfgSetKeys } = await import('../../services/cfg/write.js');
  return cfgSetKeys(await cfgWriteDeps(ctx), opts);
}

export const cfgSet = defineCommand<CfgSetOptions, CfgWriteResult>({
  name: 'set',
  arguments: '<project> <env> <KEY=VALUE...>',
  summary: 'set keys without an editor (for scripts)',
  description:
    'Sets keys in a config file without an editor: each key\'s line is rewritten in place (or added), the rest of the file keeps its bytes. Validated like edit, written only on top of the version just read (if someone writes in between, it is re-applied on their version). Creates the file for a configured environment. Values are never printed. --json prints what was written (key, status, version, the keys that changed).',
  examples: ['sgn cfg set web staging LOG_LEVEL=debug', 'sgn cfg set web production FEATURE_X=on CACHE_TTL=300', 'sgn cfg set web staging "GREETING=hello world"', 'sgn cfg set web staging LOG_LEVEL=info --json | jq -r .versionId'],
  json: true,
  parse: parseCfgSet,
  execute: executeSetKeys,
  toJson: async (result) => (await import('../render/cfg.js')).cfgWriteJson(result),
  render: async (ctx, result) => (await import('../render/cfg.js')).renderCfgWrite(ctx.io, result, 'set'),
});

export const cfgUnset = defineCommand<CfgSetOptions, CfgWriteResult>({
  name: 'unset',
  arguments: '<project> <env> <KEY...>',
  summary: 'remove keys without an editor (for scripts)',
  description:
    'Removes keys (and their continuation lines) from a config file; comments and every other line keep their bytes. Conditional like set. Keys that are not there are fine (nothing is uploaded when nothing changes). --json prints what was written.',
  examples: ['sgn cfg unset web staging OLD_FLAG', 'sgn cfg unset web production FEATURE_X CACHE_TTL', 'sgn cfg unset web staging OLD_FLAG --json'],
  json: true,
  parse: parseCfgUnset,
  execute: executeSetKeys,
  toJson: async (result) => (await import('../render/cfg.js')).cfgWriteJson(result),
  render: async (ctx, result) => (await import('../render/cfg.js')).renderCfgWrite(ctx.io, result, 'unset'),
});
