import { defineCommand, type Flags } from '../cli/define.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { validateName } from '../names.js';
import type { RenderResult } from '../services/render/render.js';
import { projectAndTargets, renderDeps, type CheckoutOptions } from './checkout-deps.js';

export interface RenderCommandOptions extends CheckoutOptions {
  env?: string;
  tag?: string;
}

export function parseRender(args: string[], flags: Flags): RenderCommandOptions {
  const [env] = args;
  if (env !== undefined) validateName(env, 'environment');
  const project = flags.project as string | undefined;
  if (project !== undefined) validateName(project, 'project');
  const tag = flags.tag as string | undefined;
  if (tag !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag)) throw new UsageError(`"${tag}" is not an image tag.`, 'A tag has letters, digits, ".", "_" and "-", e.g. --tag git-3f9c2a1.');
  return { env, project, tag, dir: flags.dir as string | undefined };
}

export async function executeRender(ctx: Context, opts: RenderCommandOptions): Promise<RenderResult> {
  const { project, targets } = await projectAndTargets(ctx, opts, opts.env === undefined ? [] : [opts.env], 1);
  const [{ renderProject }, deps] = await Promise.all([import('../services/render/render.js'), renderDeps(ctx, opts)]);
  return renderProject(deps, { project, ...targets[0], tag: opts.tag });
}

/** The manifests as YAML documents on stdout; warnings and the Secret note on stderr. */
export async function renderRender(ctx: Context, result: RenderResult): Promise<number> {
  const { dumpYaml } = await import('../rendering/yaml.js');
  const { io } = ctx;
  io.print(result.manifests.map((m) => `# ${m.spec}: ${m.file}\n${dumpYaml(m.manifest)}`).join('---\n'));
  const { findingPlace } = await import('../services/render/render.js');
  for (const w of result.warnings) io.warn(`${findingPlace(w)}: ${w.message}`);
  if (result.secret) io.info(io.err.dim(`The deployer also creates Secret ${result.secret} in ${result.namespace} from the ${result.env} config file (not shown: it holds config values).`));
  io.info(io.err.dim(`${result.project} in ${result.env} (cluster ${result.cluster}), commitref ${result.commitref}: ${result.manifests.length} objects in the order the deployer applies them.`));
  return 0;
}

export const renderCommand = defineCommand<RenderCommandOptions, RenderResult>({
  name: 'render',
  arguments: '[env]',
  summary: 'print the Kubernetes manifests the deployer would apply for this checkout',
  description: [
    'Renders this checkout (the folder holding deployspec.yml) exactly as the',
    'deployer does for [env] (default: the first of the setting environments):',
    'Jinja2 with trim_blocks and lstrip_blocks, the values of templating[<cluster>]',
    'and the built-ins (cluster_name, deploy_env, namespace, deploy_image,',
    'docker_tag, project), then its own steps: SGN_DEPLOY_IMAGE, the ingress',
    'placeholders, the env entries and envFrom it adds to containers, the',
    'change-cause annotation. Prints YAML documents in its apply order.',
    '',
    'The project is --project, else the repository name of the git remote "origin".',
    'The cluster name of an env is the setting clusters (env=name,...). Constructs',
    'sgn cannot render exactly as Jinja2 2.10 does are refused, never approximated.',
  ].join('\n'),
  examples: [
    'sgn render staging',
    'sgn render production --tag git-3f9c2a1',
    'sgn render production --json | jq \'.manifests[].manifest.kind\'',
    'sgn config set clusters staging=staging.example.com,production=production.example.com',
  ],
  options: (cmd) => {
    cmd.option('--project <name>', 'project name (default: the repository name of git remote "origin")');
    cmd.option('--tag <commitref>', 'render for this commitref instead of the deployspec\'s (the image tag)');
    cmd.option('-C, --dir <folder>', 'the checkout (default: the current folder)');
  },
  json: true,
  parse: parseRender,
  execute: executeRender,
  render: renderRender,
});
