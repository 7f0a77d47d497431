import { defineCommand, flagReader, type Flags } from '../../cli/define.js';
import type { CfgWriteResult } from '../../services/cfg/events.js';
import type { CfgEditOptions } from '../../services/cfg/edit.js';
import { cfgWriteDeps, terminalConfirm, terminalChooseEnv } from './deps.js';
import { validateCfgEnv, validateCfgProject } from './names.js';

export function parseCfgEdit(args: string[], flags: Flags): CfgEditOptions {
  const [project, env] = args;
  validateCfgProject(project);
  if (env !== undefined) validateCfgEnv(env);
  const f = flagReader(flags);
  const fromFile = f.string('fromFile');
  return { project, env, yes: f.boolean('yes'), showValues: f.boolean('showValues'), ...(fromFile !== undefined ? { fromFile } : {}) };
}

export const cfgEdit = defineCommand<CfgEditOptions, CfgWriteResult>({
  name: 'edit',
  arguments: '<project> [env]',
  summary: 'edit in $EDITOR, validate, diff, confirm, upload safely',
  description:
    'Opens the config file in $VISUAL / $EDITOR (else editor, nano, vi) from a private temp file that is removed afterwards, checks it with the deployer\'s parsing rules (errors name the line), shows a diff, asks, and uploads only if nobody changed the file meanwhile. If someone did, shows their change and re-applies yours on top. A file that does not exist yet is created the same way. Diffs hide values unless --show-values. An edit that is refused or conflicts is kept in a private file (its path is printed); --from-file resumes it. Line endings, final newline, encryption (SSE-KMS), content type, metadata and tags of the object are kept. --json prints what was written (key, status, version, the keys that changed).',
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
  json: true,
  parse: parseCfgEdit,
  execute: async (ctx, opts) => {
    const [{ cfgEdit: run }, { editorCommand }, { stateHome }, { tmpdir }, { join }] = await Promise.all([
      import('../../services/cfg/edit.js'),
      import('../../services/cfg/editor.js'),
      import('../../files.js'),
      import('node:os'),
      import('node:path'),
    ]);
    return run(
      {
        ...(await cfgWriteDeps(ctx)),
        chooseEnv: terminalChooseEnv(ctx),
        confirm: terminalConfirm(ctx),
        editor: editorCommand(ctx.env),
        processes: await ctx.processes(),
        tempRoot: ctx.env.TMPDIR || tmpdir(),
        keptEditsDir: join(stateHome(ctx.env), 'edits'),
      },
      opts,
    );
  },
  toJson: async (result) => (await import('../render/cfg.js')).cfgWriteJson(result),
  render: async (ctx, result) => (await import('../render/cfg.js')).renderCfgWrite(ctx.io, result, 'edit'),
});
