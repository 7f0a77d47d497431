/**
 * How the deployer's kubernetes client (6.0.0, python-base's config/kube_config.py) loads the
 * env's kube config: `new_client_from_config(config_file=...)` with no context, so the file's
 * `current-context` picks the context, then its cluster and (if named and present) its user.
 * Every gap raises ConfigException with the client's own wording, e.g. "Invalid kube-config
 * file. Expected object with name production in kube-config/contexts list". The context's name
 * is what the deployer renders as `cluster_name`.
 */
import { isDict, PyError, pyIn, pyTypeName } from './py-error.js';
import { pyYamlLoad } from './pyyaml.js';

const configException = (message: string) => new PyError('ConfigException', `Invalid kube-config file. ${message}`);

/** python-base's ConfigNode: a value with its path, for the messages. */
class ConfigNode {
  constructor(
    readonly name: string,
    readonly value: unknown,
  ) {}

  safeGet(key: string): unknown {
    if (isDict(this.value)) return this.value[key];
    // `key in self.value` on anything else: a str answers by substring, None raises.
    if (pyIn(key, this.value) && typeof this.value === 'string') throw new PyError('TypeError', 'string indices must be integers');
    return undefined;
  }

  /** `node[key]`: a missing or empty value is a ConfigException. */
  get(key: string): unknown {
    const v = this.safeGet(key);
    const falsy = v === undefined || v === null || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0) || (isDict(v) && Object.keys(v).length === 0);
    if (falsy) throw configException(`Expected key ${key} in ${this.name}`);
    return isDict(v) || Array.isArray(v) ? new ConfigNode(`${this.name}/${key}`, v) : v;
  }

  getWithName(name: unknown, safe = false): ConfigNode | undefined {
    if (!Array.isArray(this.value)) throw configException(`Expected ${this.name} to be a list`);
    let result: unknown;
    for (const v of this.value) {
      if (!pyIn('name', v)) throw configException(`Expected all values in ${this.name} list to have 'name' key`);
      if (isDict(v) && v.name === name) {
        if (result !== undefined) throw configException(`Expected only one object with name ${String(name)} in ${this.name} list`);
        result = v;
      }
    }
    if (result !== undefined) return new ConfigNode(`${this.name}[name=${String(name)}]`, result);
    if (safe) return undefined;
    throw configException(`Expected object with name ${String(name)} in ${this.name} list`);
  }
}

export interface KubeContext {
  /** The current context's name: the deployer's `cluster_name`. */
  name: string;
  cluster: unknown;
}

/** Loads a kube config the way the deployer's client does; throws PyError like it. */
export async function loadKubeConfig(text: string, path: string): Promise<KubeContext> {
  const doc = await pyYamlLoad(text, path);
  if (!isDict(doc) && doc !== null) throw new PyError('TypeError', `argument of type '${pyTypeName(doc)}' is not iterable`);
  const config = new ConfigNode('kube-config', doc);
  const contextName = config.get('current-context');
  const contexts = config.get('contexts');
  if (!(contexts instanceof ConfigNode)) throw configException('Expected kube-config/contexts to be a list');
  const current = contexts.getWithName(contextName)!;
  const context = current.get('context');
  if (!(context instanceof ConfigNode)) throw new PyError('AttributeError', `'${pyTypeName(context)}' object has no attribute 'safe_get'`);
  const user = context.safeGet('user');
  const users = config.safeGet('users');
  if (user && users) {
    const list = config.get('users');
    if (list instanceof ConfigNode) list.getWithName(context.get('user'), true);
  }
  const clusters = config.get('clusters');
  if (!(clusters instanceof ConfigNode)) throw configException('Expected kube-config/clusters to be a list');
  const cluster = clusters.getWithName(context.get('cluster'))!.get('cluster');
  return { name: String((current.value as Record<string, unknown>).name), cluster: cluster instanceof ConfigNode ? cluster.value : cluster };
}
