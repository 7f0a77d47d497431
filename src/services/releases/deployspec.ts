import type * as Yaml from 'yaml';

type YamlModule = typeof Yaml;

/**
 * `deployspec.yml` as the deployer reads it (PyYAML `yaml.load`, i.e. YAML 1.1: `yes`/`on` are
 * booleans, a duplicate key keeps the last value), reduced to what sgn needs to plan a deploy.
 */
export interface Deployspec {
  /** The image tag the deployer deploys and writes as the target record's `Tag`. */
  commitref: string;
  namespace?: string;
  /** kind key -> template path(s), plus `cron_env`. */
  spec?: Record<string, unknown>;
  /** `envsecret` as Python's truthiness sees it: the env's config file becomes a Secret. */
  envsecret: boolean;
  /** The whole document, as JSON values. */
  doc: Record<string, unknown>;
}

export type DeployspecParse = { ok: true; deployspec: Deployspec } | { ok: false; reason: string };

/** Python's truthiness of a YAML value. */
export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && !(v instanceof Date)) return Object.keys(v).length > 0;
  return true;
}

const scalarText = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);

/** Parses the text of a deployspec; what the deployer could not use is a reason, never a throw. */
export async function parseDeployspec(text: string): Promise<DeployspecParse> {
  // yaml is CommonJS: bundled, its exports arrive on `default`.
  const mod = (await import('yaml')) as YamlModule & { default?: YamlModule };
  const parse = mod.default?.parse ?? mod.parse;
  let doc: unknown;
  try {
    doc = parse(text, { version: '1.1', uniqueKeys: false, maxAliasCount: 100 });
  } catch (e) {
    const first = ((e as Error).message ?? String(e)).split('\n')[0];
    return { ok: false, reason: `deployspec.yml is not valid YAML (${first})` };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { ok: false, reason: 'deployspec.yml is not a YAML mapping' };
  const d = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
  if (!('commitref' in d)) return { ok: false, reason: 'deployspec.yml has no commitref' };
  const commitref = scalarText(d.commitref);
  if (!commitref) return { ok: false, reason: 'the commitref of deployspec.yml is empty or not a scalar' };
  const spec = d.spec !== null && typeof d.spec === 'object' && !Array.isArray(d.spec) ? (d.spec as Record<string, unknown>) : undefined;
  return { ok: true, deployspec: { commitref, namespace: scalarText(d.namespace), spec, envsecret: pyTruthy(d.envsecret), doc: d } };
}
