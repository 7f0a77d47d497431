/**
 * The deployer emulator's template renderer: sgn's own Jinja2 2.10 engine (src/rendering), the
 * one `sgn render` and `sgn lint` use, so that the sandbox applies what `sgn render` shows.
 * Values come from the deployspec as sgn's YAML loader reads it (ints stay ints, 1.0 stays a
 * float), and includes read the unzipped artifact as the previous templates left it. Jinja2's
 * failures become the exceptions the handler would raise; a construct sgn refuses to render
 * (it would not be sure to render it as Jinja2 does) fails the deploy with NotImplementedError.
 */
import { JinjaEnvironment } from '../rendering/jinja/engine.js';
import { JinjaError, type PyValue } from '../rendering/jinja/values.js';
import { loadYaml } from '../rendering/yaml.js';
import { PyError } from './py-error.js';
import type { TemplateRenderer } from './render-step.js';

const errorTypes: Record<JinjaError['kind'], string> = {
  syntax: 'TemplateSyntaxError',
  runtime: 'TypeError',
  undefined: 'UndefinedError',
  notfound: 'TemplateNotFound',
  refused: 'NotImplementedError',
};

/** Renders `name` from the artifact with the deployer's values (templating[cluster] and the built-ins). */
export const renderWithSgnJinja: TemplateRenderer = (_source, values, name, read) => {
  const vars = new Map<string, PyValue>();
  let spec: PyValue = null;
  try {
    spec = loadYaml(read('deployspec.yml') ?? '');
  } catch {
    // checkDeployspec read it already; a document only PyYAML reads keeps the plain values.
  }
  const cluster = String(values.cluster_name);
  const templating = spec instanceof Map ? spec.get('templating') : undefined;
  const forCluster = templating instanceof Map ? templating.get(cluster) : undefined;
  if (forCluster instanceof Map) for (const [k, v] of forCluster) if (typeof k === 'string') vars.set(k, v);
  for (const k of ['cluster_name', 'deploy_env', 'deploy_image', 'project']) vars.set(k, String(values[k]));
  if (spec instanceof Map) {
    vars.set('namespace', spec.get('namespace') ?? null);
    vars.set('docker_tag', spec.get('commitref') ?? null);
  }
  try {
    return new JinjaEnvironment({ load: read }).render(name, vars);
  } catch (e) {
    if (!(e instanceof JinjaError)) throw e;
    const where = e.kind === 'notfound' ? '' : ` (${e.file ?? name}${e.line ? `, line ${e.line}` : ''})`;
    throw new PyError(errorTypes[e.kind], `${e.message}${where}`);
  }
};
