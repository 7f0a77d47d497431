import { defineCommand, flagReader, type Flags } from '../../cli/define.js';
import { UsageError } from '../../errors.js';
import type { CfgWriteResult } from '../../services/cfg/events.js';
import type { CfgRestoreOptions } from '../../services/cfg/write.js';
import { cfgWriteDeps, terminalConfirm } from './deps.js';
import { validateCfgEnv, validateCfgProject } from './names.js';
import { parseVersionId } from './version.js';

export function parseCfgRestore(args: string[], flags: Flags): CfgRestoreOptions {
  const [project, env] = args;
  validateCfgProject(project);
  validateCfgEnv(env);
  const f = flagReader(flags);
  const versionId = parseVersionId(f.string('versionId'));
  if (!versionId) throw new UsageError('Say which version to restore with --version-id <id>.', `List them with: sgn cfg history ${project} ${env}`);
  return { project, env, versionId, yes: f.boolean('yes'), showValues: f.boolean('showValues') };
}

export const cfgRestore = defineCommand<CfgRestoreOptions, CfgWriteResult>({
  name: 'restore',
  arguments: '<project> <env>',
  summary: 'make an older version the current config file',
  description:
    'Shows the diff from the current file to an older version and, once confirmed, uploads that version\'s bytes as the newest version, only if nobody changed the file meanwhile. The object\'s encryption and content type stay. --json prints what was written (the version restored and the new version).',
  examples: [
    'sgn cfg history web production',
    'sgn cfg restore web production --version-id 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY',
    'sgn cfg restore web production --version-id 3HL4kqtJ... --yes',
    'sgn cfg restore web production --version-id 3HL4kqtJ... --yes --json | jq -r .versionId',
  ],
  options: (cmd) => {
    cmd.option('--version-id <id>', 'the version to restore (see `sgn cfg history`)');
    cmd.option('-y, --yes', 'restore without asking (needed without a terminal)');
    cmd.option('--show-values', 'show config values in the diff (hidden by default: keys and line numbers only)');
  },
  json: true,
  parse: parseCfgRestore,
  execute: async (ctx, opts) => {
    const { cfgRestore: run } = await import('../../services/cfg/write.js');
    return run({ ...(await cfgWriteDeps(ctx)), confirm: terminalConfirm(ctx) }, opts);
  },
  toJson: async (result) => (await import('../render/cfg.js')).cfgWriteJson(result),
  render: async (ctx, result) => (await import('../render/cfg.js')).renderCfgWrite(ctx.io, result, 'restore'),
});
