import { defineCommand, type Flags } from '../cli/define.js';
import type { Context } from '../context.js';
import { validateName } from '../names.js';
import type { LintResult } from '../services/render/render.js';
import { projectAndTargets, renderDeps, type CheckoutOptions } from './checkout-deps.js';

export interface LintCommandOptions extends CheckoutOptions {
  envs: string[];
  strict: boolean;
}

export function parseLint(args: string[], flags: Flags): LintCommandOptions {
  for (const env of args) validateName(env, 'environment');
  const project = flags.project as string | undefined;
  if (project !== undefined) validateName(project, 'project');
  return { envs: [...new Set(args)], project, dir: flags.dir as string | undefined, strict: Boolean(flags.strict) };
}

export async function executeLint(ctx: Context, opts: LintCommandOptions): Promise<LintResult> {
  const { project, targets } = await projectAndTargets(ctx, opts, opts.envs);
  const [{ lintProject }, { configExistsIn }, deps] = await Promise.all([import('../services/render/render.js'), import('../services/render/config-exists.js'), renderDeps(ctx, opts)]);
  const s = ctx.settings();
  // S3 only when a deployspec has envsecret: true.
  const configExists = async (p: string, env: string) => configExistsIn(await ctx.api.s3(), s.configBucket, s.configKey)(p, env);
  return lintProject({ ...deps, configExists }, { project, envs: targets, strict: opts.strict });
}

/** Findings on stdout (one per line, like a compiler), the summary on stderr; exit 1 on an error. */
export async function renderLint(ctx: Context, result: LintResult): Promise<number> {
  const { io } = ctx;
  const { findingPlace } = await import('../services/render/render.js');
  for (const f of result.findings) {
    const level = f.severity === 'error' ? io.out.red('error') : io.out.yellow('warning');
    const envs = f.envs.length < result.envs.length ? io.out.dim(` (${f.envs.join(', ')})`) : '';
    io.print(`${findingPlace(f)}: ${level} ${f.message} ${io.out.dim(`[${f.rule}]`)}${envs}`);
  }
  const where = `${result.project} (${result.envs.join(', ')})`;
  if (result.errors) io.failure(`${result.errors} error${result.errors === 1 ? '' : 's'}${result.warnings ? `, ${result.warnings} warning${result.warnings === 1 ? '' : 's'}` : ''} in ${where}.`);
  else if (result.warnings) io.warn(`${result.warnings} warning${result.warnings === 1 ? '' : 's'} in ${where}; no errors.`);
  else io.success(`No problems in ${where}.`);
  return result.errors ? 1 : 0;
}

export const lintCommand = defineCommand<LintCommandOptions, LintResult>({
  name: 'lint',
  arguments: '[env...]',
  summary: 'catch a broken deployspec or template before the pipeline does',
  description: [
    'Renders this checkout for each [env] (default: every env of the setting',
    'environments) as `sgn render` does, and reports every problem with file and line:',
    'deployspec keys the deployer requires or ignores, missing templates, Jinja2',
    'errors, YAML errors, each document\'s kind against its spec key, what the API',
    'server requires (selector matching the pod labels, container names and images,',
    'Service ports), cron without cron_env, and envsecret: true without a config file',
    'for the env (read from the config bucket).',
    '',
    'Undefined values printed by a template are warnings (Jinja2 prints nothing for',
    'them); --strict makes them errors. Exit code 1 when there is an error.',
  ].join('\n'),
  examples: ['sgn lint', 'sgn lint production --strict', 'sgn lint --json | jq -r \'.findings[] | select(.severity == "error") | .message\''],
  options: (cmd) => {
    cmd.option('--project <name>', 'project name (default: the repository name of git remote "origin")');
    cmd.option('-C, --dir <folder>', 'the checkout (default: the current folder)');
    cmd.option('--strict', 'undefined values printed by templates are errors, not warnings');
  },
  json: true,
  parse: parseLint,
  execute: executeLint,
  render: renderLint,
  exitCode: (result) => (result.errors ? 1 : 0),
});
