import { defineCommand, type Flags } from '../../cli/define.js';
import type { CfgLsOptions, CfgLsResult } from '../../services/cfg/read.js';
import type { TableModel } from '../../table.js';
import { formatBytes } from '../../bytes.js';
import { formatAge } from '../../time.js';
import { validateCfgProject } from './names.js';

export function parseCfgLs(args: string[], _flags: Flags): CfgLsOptions {
  const [project] = args;
  if (project !== undefined) validateCfgProject(project);
  return { project };
}

export const cfgLs = defineCommand<CfgLsOptions, CfgLsResult>({
  name: 'ls',
  arguments: '[project]',
  summary: 'projects and environments that have config files',
  description: 'Projects and environments that have a config file in the config bucket, with last-modified time and size. The deployer\'s own kube configs (k8s_deployer/) are never listed.',
  examples: ['sgn cfg ls', 'sgn cfg ls web', "sgn cfg ls --json | jq -r '.[] | \"\\(.project)/\\(.env)\"'"],
  json: true,
  parse: parseCfgLs,
  execute: async (ctx, opts) => {
    const { cfgLs: run } = await import('../../services/cfg/read.js');
    const settings = ctx.settings();
    return run({ s3: await ctx.api.s3(), settings: { configBucket: settings.configBucket, configKey: settings.configKey, environments: settings.environments }, report: ctx.io }, opts);
  },
  toJson: (result) => result.files.map((f) => ({ project: f.project, env: f.env, key: f.key, lastModified: f.lastModified?.toISOString() ?? null, size: f.size })),
  render: async (ctx, result) => {
    if (result.files.length === 0) {
      ctx.io.info(result.project ? `Project "${result.project}" has no config files in s3://${result.bucket}.` : `No config files in s3://${result.bucket}.`);
      return;
    }
    const now = ctx.now();
    const table: TableModel = {
      columns: [{ header: 'Project' }, { header: 'Env' }, { header: 'Modified' }, { header: 'Size' }],
      rows: result.files.map((f) => [f.project, f.env, f.lastModified ? formatAge(f.lastModified, now) : '?', formatBytes(f.size, 'binary')]),
    };
    const { printTable } = await import('../../table.js');
    await printTable(ctx.io, table);
  },
});
