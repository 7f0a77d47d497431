import type { CommandDef, Flags } from '../../cli/define.js';
import { UsageError } from '../../errors.js';
import type { CfgRestoreOptions } from '../../services/cfg/write.js';
import { validateCfgEnv, validateCfgProject } from './names.js';
import { parseVersionId } from './version.js';

export function parseCfgRestore(args: string[], flags: Flags): CfgRestoreOptions {
  const [project, env] = args;
  validateCfgProject(project);
  validateCfgEnv(env);
  const versionId = parseVersionId(flags.versionId);
  if (!versionId) throw new UsageError('Say which version to restore with --version-id <id>.', `List them with: sgn cfg history ${project} ${env}`);
  return { project, env, versionId, yes: Boolean(flags.yes), showValues: Boolean(flags.showValues) };
}

export const cfgRestore: CommandDef = {
  name: 'restore',
  arguments: '<project> <env>',
  summary: 'make an older version the current config file',
  description: 'Shows the diff from the current file to an older version and, once confirmed, uploads that version\'s bytes as the newest version, only if nobody changed the file meanwhile. The object\'s encryption and content type stay.',
  examples: ['sgn cfg history web production', 'sgn cfg restore web production --version-id 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY', 'sgn cfg restore web production --version-id 3HL4kqtJ... --yes'],
  options: (cmd) => {
    cmd.option('--version-id <id>', 'the version to restore (see `sgn cfg history`)');
    cmd.option('-y, --yes', 'restore without asking (needed without a terminal)');
    cmd.option('--show-values', 'show config values in the diff (hidden by default: keys and line numbers only)');
  },
  run: async (ctx, args, flags) => {
    const opts = parseCfgRestore(args, flags);
    const { cfgRestore: run } = await import('../../services/cfg/write.js');
    return run(ctx, opts);
  },
};
