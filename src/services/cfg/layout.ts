/**
 * Where config files live in the bucket: the `configKey` setting (`{project}/{env}/config` by
 * default) turned into keys, listing prefixes and a key parser. The deployer's own kube configs
 * share the bucket under `k8s_deployer/`; nothing here ever produces or accepts such a key.
 */
import { SgnError, UsageError } from '../../errors.js';
import { fillPattern } from '../../settings/schema.js';

/** The deployer's kube configs (DEPLOY_CONFIG_FOLDER in its Terraform): never listed, printed or edited. */
export const deployerFolder = 'k8s_deployer/';

export interface ConfigLayout {
  pattern: string;
  /** The object key of a project's config for an environment. */
  keyFor(project: string, env: string): string;
  /** The project and environment of a key, when the key is a config file. */
  parse(key: string): { project: string; env: string } | undefined;
  /** The literal text before the first placeholder (listing starts there). */
  root: string;
  /** True when the key starts (after root) with `{project}/`, so projects are listing "folders". */
  projectIsFolder: boolean;
  /** The prefix every config key of a project starts with. */
  projectPrefix(project: string): string;
}

const namePart = '([A-Za-z0-9][A-Za-z0-9._-]*)';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Builds the layout of the `configKey` setting; a pattern without both placeholders is refused. */
export function configLayout(pattern: string): ConfigLayout {
  const count = (p: string) => pattern.split(`{${p}}`).length - 1;
  if (count('project') !== 1 || count('env') !== 1) {
    throw new SgnError(`The configKey setting "${pattern}" must contain {project} and {env} once each.`, { hint: "Set it with: sgn config set configKey '{project}/{env}/config'" });
  }
  const root = pattern.slice(0, Math.min(pattern.indexOf('{project}'), pattern.indexOf('{env}')));
  const order: string[] = [];
  const source = pattern
    .split(/(\{project\}|\{env\})/)
    .map((part) => {
      if (part === '{project}' || part === '{env}') {
        order.push(part.slice(1, -1));
        return namePart;
      }
      return escape(part);
    })
    .join('');
  const re = new RegExp(`^${source}$`);
  const layout: ConfigLayout = {
    pattern,
    root,
    projectIsFolder: pattern.startsWith('{project}/', root.length),
    keyFor: (project, env) => {
      const key = fillPattern(pattern, { project, env });
      assertNotDeployerKey(key);
      return key;
    },
    parse: (key) => {
      if (key.startsWith(deployerFolder)) return undefined;
      const m = re.exec(key);
      if (!m) return undefined;
      const values = Object.fromEntries(order.map((name, i) => [name, m[i + 1]]));
      if (values.project.includes('..') || values.env.includes('..')) return undefined;
      return { project: values.project, env: values.env };
    },
    projectPrefix: (project) => {
      const filled = fillPattern(pattern, { project });
      const prefix = filled.slice(0, filled.indexOf('{env}'));
      assertNotDeployerKey(prefix);
      return prefix;
    },
  };
  return layout;
}

/** Refuses any key (or prefix) under the deployer's kube-config folder, before any S3 call. */
export function assertNotDeployerKey(key: string): void {
  if (key.startsWith(deployerFolder)) {
    throw new UsageError(`sgn cfg never touches ${deployerFolder} (the deployer's cluster credentials live there).`, 'Pick an application project name; the deployer\'s kube configs are managed outside sgn.');
  }
}
