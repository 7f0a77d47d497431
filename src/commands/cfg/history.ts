import { defineCommand, type Flags } from '../../cli/define.js';
import { SgnError, UsageError } from '../../errors.js';
import type { CfgHistoryOptions, CfgHistoryResult } from '../../services/cfg/read.js';
import type { TableModel } from '../../table.js';
import { formatBytes } from '../../bytes.js';
import { formatAge } from '../../time.js';
import { validateCfgEnv, validateCfgProject } from './names.js';
import { cfgReadDeps } from './deps.js';

export function parseCfgHistory(args: string[], flags: Flags): CfgHistoryOptions {
  const [project, env] = args;
  validateCfgProject(project);
  if (env !== undefined) validateCfgEnv(env);
  const limit = flags.limit === undefined ? 20 : Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit takes a positive whole number, not "${String(flags.limit)}".`, 'For example: --limit 50');
  return { project, env, limit };
}

export const cfgHistory = defineCommand<CfgHistoryOptions, CfgHistoryResult>({
  name: 'history',
  arguments: '<project> [env]',
  summary: 'versions of a config file (S3 object versions)',
  description: 'The versions S3 keeps of a config file, newest first, with deletions. Needs a versioned bucket (it says so when the bucket is not).',
  examples: ['sgn cfg history web production', 'sgn cfg history web production --json | jq -r ".[1].versionId"'],
  options: (cmd) => {
    cmd.option('-n, --limit <n>', 'show at most this many versions (default 20)');
  },
  json: true,
  parse: parseCfgHistory,
  execute: async (ctx, opts) => {
    const { cfgHistory: run } = await import('../../services/cfg/read.js');
    return run(await cfgReadDeps(ctx), opts);
  },
  toJson: (result) => result.versions.map((e) => ({ ...e, lastModified: e.lastModified?.toISOString() ?? null })),
  render: async (ctx, result) => {
    const { ref, versions } = result;
    if (versions.length === 0) {
      throw new SgnError(`There is no config file for ${ref.project} in ${ref.env} (s3://${ref.bucket}/${ref.key}), now or in its history.`, { hint: `See what exists: sgn cfg ls ${ref.project}` });
    }
    const now = ctx.now();
    const table: TableModel = {
      columns: [{ header: 'Version' }, { header: 'Modified' }, { header: 'When' }, { header: 'Size' }, { header: '' }],
      rows: versions.map((e) => [
        e.versionId,
        e.lastModified?.toISOString().replace(/\.\d+Z$/, 'Z') ?? '?',
        e.lastModified ? formatAge(e.lastModified, now) : '?',
        e.size === null ? '-' : formatBytes(e.size, 'binary'),
        e.deleted ? { text: e.latest ? 'deleted (current)' : 'deleted', role: 'bad' } : e.latest ? { text: 'current', role: 'good' } : '',
      ]),
    };
    const { printTable } = await import('../../table.js');
    await printTable(ctx.io, table);
    if (result.more) ctx.io.info(ctx.io.err.dim(`Showing the newest ${versions.length}; --limit shows more.`));
    if (ctx.io.stderrIsTTY && versions.length > 1) ctx.io.info(ctx.io.err.dim(`See one: sgn cfg cat ${ref.project} ${ref.env} --version-id <id>. Bring one back: sgn cfg restore ${ref.project} ${ref.env} --version-id <id>`));
  },
});
