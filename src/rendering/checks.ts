/**
 * What a real API server (and the deployer's own code) requires of the objects sgn renders: the
 * kind each deployspec key must hold, names, a Deployment's selector matching its pod labels,
 * containers with names and images, a Service's ports, a CronJob's schedule. Pure: findings only.
 */
import { expectedKind, type AppliedManifest, type Finding } from './deployer.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const get = (v: unknown, path: string): unknown => path.split('.').reduce<unknown>((cur, p) => (isObj(cur) ? cur[p] : undefined), v);

/** The line of `key:` (the last part of a dotted path) in rendered text, for pointing at it. */
function lineOf(text: string | undefined, path: string): number | undefined {
  if (!text) return undefined;
  const key = path.split('.').pop()!;
  const i = text.split('\n').findIndex((l) => new RegExp(`^\\s*(- )?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`).test(l));
  return i >= 0 ? i + 1 : undefined;
}

function checkContainers(m: AppliedManifest, podSpecPath: string, add: (message: string, path?: string) => void): void {
  const containers = get(m.manifest, `${podSpecPath}.containers`);
  if (!Array.isArray(containers) || containers.length === 0) {
    add(`${podSpecPath}.containers must list at least one container.`, podSpecPath);
    return;
  }
  for (const [listName, list] of [['containers', containers], ['initContainers', get(m.manifest, `${podSpecPath}.initContainers`)]] as const) {
    if (!Array.isArray(list)) continue;
    list.forEach((c, i) => {
      const where = `${podSpecPath}.${listName}[${i}]`;
      if (!isObj(c)) return add(`${where} is not a mapping.`, listName);
      if (typeof c.name !== 'string' || c.name === '') add(`${where} has no name.`, listName);
      if (typeof c.image !== 'string' || c.image === '') add(`${where}${typeof c.name === 'string' ? ` (${c.name})` : ''} has no image.`, 'image');
    });
  }
}

/** The API server's and the deployer's requirements of one rendered object. */
export function checkManifest(m: AppliedManifest, namespace: string | undefined): Finding[] {
  const findings: Finding[] = [];
  const add = (message: string, path?: string, rule = 'manifest.required') =>
    findings.push({ severity: 'error', rule, file: m.file, message, ...(lineOf(m.text, path ?? '') ? { line: lineOf(m.text, path ?? '') } : {}) });
  const doc = m.manifest;
  const want = expectedKind[m.specKey];
  if (!want) return findings;
  if (doc.kind !== want) add(`spec.${m.specKey} must hold a ${want}, and this file holds ${typeof doc.kind === 'string' ? `a ${doc.kind}` : 'no kind'}.`, 'kind', 'manifest.kind');
  if (typeof doc.apiVersion !== 'string') add('apiVersion is missing.', 'apiVersion');
  const name = get(doc, 'metadata.name');
  if (typeof name !== 'string' || name === '') add('metadata.name is missing: the API server refuses the object (and the deployer fails logging it).', 'metadata');
  const ns = get(doc, 'metadata.namespace');
  if (ns !== undefined && namespace !== undefined && ns !== namespace) {
    add(`metadata.namespace is "${String(ns)}" but the deployer creates it in "${namespace}" (the deployspec's namespace): the API server refuses the object.`, 'namespace', 'manifest.namespace');
  }
  if (m.specKey === 'servicemonitor' && typeof ns !== 'string') add('metadata.namespace is missing: the deployer runs `kubectl -n <metadata.namespace> apply` and fails without it.', 'metadata');
  if (m.specKey === 'pdb' && !isObj(doc.spec)) add('spec is missing: the deployer fails building the PodDisruptionBudget.', 'spec');
  if (doc.kind !== want) return findings;
  if (want === 'Deployment' || want === 'StatefulSet') {
    const selector = get(doc, 'spec.selector.matchLabels');
    const labels = get(doc, 'spec.template.metadata.labels');
    if (!isObj(get(doc, 'spec.selector'))) add('spec.selector is missing: apps/v1 requires it (and it must match spec.template.metadata.labels).', 'spec');
    else if (isObj(selector)) {
      const mismatched = Object.entries(selector).filter(([k, v]) => !isObj(labels) || labels[k] !== v);
      if (mismatched.length) add(`spec.selector.matchLabels (${mismatched.map(([k, v]) => `${k}=${String(v)}`).join(', ')}) does not match spec.template.metadata.labels: the API server refuses the ${want}.`, 'matchLabels');
    }
    checkContainers(m, 'spec.template.spec', add);
    if (want === 'StatefulSet' && typeof get(doc, 'spec.serviceName') !== 'string') add('spec.serviceName is missing: a StatefulSet names its governing Service.', 'spec');
  }
  if (want === 'Service') {
    const type = get(doc, 'spec.type');
    const ports = get(doc, 'spec.ports');
    const headless = get(doc, 'spec.clusterIP') === 'None';
    if (type !== 'ExternalName' && !headless && (!Array.isArray(ports) || ports.length === 0)) add('spec.ports must list at least one port.', 'spec');
    if (Array.isArray(ports)) {
      ports.forEach((p, i) => {
        if (!isObj(p) || typeof p.port !== 'number') add(`spec.ports[${i}].port must be a number.`, 'ports');
      });
      if (ports.length > 1 && ports.some((p) => !isObj(p) || typeof p.name !== 'string')) add('Every port of a Service with several ports needs a name.', 'ports');
    }
  }
  if (want === 'CronJob') {
    if (typeof get(doc, 'spec.schedule') !== 'string') add('spec.schedule is missing.', 'spec');
    checkContainers(m, 'spec.jobTemplate.spec.template.spec', add);
  }
  return findings;
}
