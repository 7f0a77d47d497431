import { defineCommand, type Flags } from '../../cli/define.js';
import { UsageError } from '../../errors.js';
import type { CfgCompareOptions, CfgCompareResult } from '../../services/cfg/compare.js';
import type { TableModel } from '../../table.js';
import { validateCfgEnv, validateCfgProject } from './names.js';

export interface CfgDiffCommandOptions extends CfgCompareOptions {
  /** Exit 1 when the environments differ (git diff --exit-code). */
  exitCode: boolean;
}

export function parseCfgDiff(args: string[], flags: Flags): CfgDiffCommandOptions {
  const [project, envA, envB] = args;
  validateCfgProject(project);
  validateCfgEnv(envA);
  validateCfgEnv(envB);
  if (envA === envB) throw new UsageError('Compare two different environments.', `For example: sgn cfg diff ${project} staging production`);
  return { project, envA, envB, withValues: Boolean(flags.showValues), exitCode: Boolean(flags.exitCode) };
}

export const cfgDiff = defineCommand<CfgDiffCommandOptions, CfgCompareResult>({
  name: 'diff',
  arguments: '<project> <envA> <envB>',
  summary: 'keys that differ between two environments',
  description: 'Compares the keys two environments\' config files give the deployer: keys only in one, and keys whose values differ. Values stay hidden unless --show-values.',
  examples: ['sgn cfg diff web staging production', 'sgn cfg diff web staging production --show-values', 'sgn cfg diff web staging production --json | jq .onlyIn'],
  options: (cmd) => {
    cmd.option('--show-values', 'show the values (they are secrets)');
    cmd.option('--exit-code', 'exit 1 when the environments differ (like git diff --exit-code)');
  },
  json: true,
  parse: parseCfgDiff,
  execute: async (ctx, opts) => {
    const { cfgCompare } = await import('../../services/cfg/compare.js');
    const settings = ctx.settings();
    return cfgCompare({ s3: await ctx.api.s3(), settings: { configBucket: settings.configBucket, configKey: settings.configKey }, report: ctx.io, debug: ctx.debug }, opts);
  },
  exitCode: (result, opts) => (result.differs && opts.exitCode ? 1 : 0),
  toJson: ({ differs: _differs, ...doc }) => doc,
  render: async (ctx, result, opts) => {
    const { io } = ctx;
    const [a, b] = result.envs;
    const onlyA = result.onlyIn[a];
    const onlyB = result.onlyIn[b];
    if (!result.differs) {
      io.info(`${a} and ${b} of ${result.project} have the same ${result.same.length} keys and values.`);
      return 0;
    }
    const value = (k: string, env: string) => result.values?.[k]?.[env] ?? '-';
    const rows = [
      ...onlyA.map((k) => ({ k, status: `only in ${a}`, role: 'warn' as const })),
      ...onlyB.map((k) => ({ k, status: `only in ${b}`, role: 'warn' as const })),
      ...result.differ.map((k) => ({ k, status: 'differs', role: 'bad' as const })),
    ].sort((x, y) => x.k.localeCompare(y.k));
    const table: TableModel = {
      columns: [{ header: 'Key' }, { header: 'Status' }, ...(result.values ? [{ header: a }, { header: b }] : [])],
      rows: rows.map((r) => [r.k, { text: r.status, role: r.role }, ...(result.values ? [value(r.k, a), value(r.k, b)] : [])]),
    };
    const { printTable } = await import('../../table.js');
    await printTable(io, table);
    const summary = `${result.project}: ${onlyA.length} only in ${a}, ${onlyB.length} only in ${b}, ${result.differ.length} differ, ${result.same.length} the same.`;
    io.info(io.err.dim(summary + (result.values ? '' : ' Values are hidden; add --show-values to see them.')));
    return opts.exitCode ? 1 : 0;
  },
});
