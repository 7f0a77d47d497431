import type { CommandDef, Flags } from '../../cli/define.js';
import type { CfgEditOptions } from '../../services/cfg/edit.js';
import { validateCfgEnv, validateCfgProject } from './names.js';

export function parseCfgEdit(args: string[], flags: Flags): CfgEditOptions {
  const [project, env] = args;
  validateCfgProject(project);
  if (env !== undefined) validateCfgEnv(env);
  return { project, env, yes: Boolean(flags.yes), showValues: Boolean(flags.showValues), ...(flags.fromFile !== undefined ? { fromFile: String(flags.fromFile) } : {}) };
}

export const cfgEdit: CommandDef = {
  name: 'edit',
  arguments: '<project> [env]',
  summary: 'edit in $EDITOR, validate, diff, confirm, upload safely',
  description:
    'Opens the config file in $VISUAL / $EDITOR (else editor, nano, vi) from a private temp file that is removed afterwards, checks it with the deployer\'s parsing rules (errors name the line), shows a diff, asks, and uploads only if nobody changed the file meanwhile. If someone did, shows their change and re-applies yours on top. A file that does not exist yet is created the same way. Diffs hide values unless --show-values. An edit that is refused or conflicts is kept in a private file (its path is printed); --from-file resumes it. Line endings, final newline, encryption (SSE-KMS), content type, metadata and tags of the object are kept.',
  examples: [
    'sgn cfg edit web production',
    'EDITOR="code --wait" sgn cfg edit web staging',
    'EDITOR=./fix-config.sh sgn cfg edit web staging --yes',
    'sgn cfg edit web production --from-file ~/.local/state/sgn/edits/web-production-20260101T120000.ini',
  ],
  options: (cmd) => {
    cmd.option('-y, --yes', 'upload without asking (needed without a terminal)');
    cmd.option('--show-values', 'show config values in diffs (hidden by default: keys and line numbers only)');
    cmd.option('--from-file <path>', 'resume an edit that sgn kept after a refusal or conflict (it prints the path)');
  },
  run: async (ctx, args, flags) => {
    const opts = parseCfgEdit(args, flags);
    const { cfgEdit: run } = await import('../../services/cfg/edit.js');
    return run(ctx, opts);
  },
};
