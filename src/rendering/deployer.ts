/**
 * What the deployer does with an artifact folder for one environment (roffe/k8s-deployer
 * handler.py: checkDeployspec, renderTemplates, runDeploySpec, injectEnv, injectAnnotation,
 * create_ingress, getAcmFromDeployspec), as pure code: the manifests it applies, in its order,
 * after its own substitutions and injections. `sgn render` prints them, `sgn lint` checks them,
 * and the sandbox's deployer emulator applies them, so all three agree by construction.
 *
 * Problems are collected as findings instead of stopping at the first: the deployer stops at
 * the first exception, so every `error` finding is a deploy that fails (or does something else
 * than intended); `warning`s are what it lets through silently.
 */
import { pyTime } from '../python-repr.js';
import { JinjaEnvironment } from './jinja/engine.js';
import { JinjaError, PyTuple, pyStr, type PyValue } from './jinja/values.js';
import { loadYaml, toPlain, YamlError } from './yaml.js';

export interface ArtifactFolder {
  /** A file of the folder (path relative to it, '/' separated), or undefined when absent. */
  read(path: string): string | undefined;
}

export interface DeployTarget {
  project: string;
  /** The environment deployed to (`envTo`). */
  env: string;
  /** The name of the kubeconfig's current context for the env (sgn's `clusters` setting). */
  clusterName: string;
  /** The deployer's DOCKER_REGISTRY: `<account>.dkr.ecr.<region>.amazonaws.com`. */
  registry: string;
  /** Replaces the deployspec's commitref (`sgn render --tag`). */
  commitref?: string;
  /** The deploy time: DEPLOY_TS and the change-cause annotation. */
  now: Date;
}

export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  /** A stable name of the rule, e.g. `deployspec.missing-key`. */
  rule: string;
  file: string;
  line?: number;
  message: string;
}

/** One object the deployer sends to the cluster. */
export interface AppliedManifest {
  /** The deployspec `spec` key it comes from (`deploy`, `service`, ...); `namespace` for the namespace. */
  specKey: string;
  /** The template file it was rendered from. */
  file: string;
  /** The object as sent (plain JSON data). */
  manifest: Record<string, unknown>;
  /** The rendered text the object was parsed from (after the deployer's substitutions). */
  text?: string;
}

export interface DeployPlan {
  commitref?: string;
  namespace?: string;
  envsecret: boolean;
  /** The Secret the deployer makes from the config file (not printed: it holds config values). */
  secretName?: string;
  manifests: AppliedManifest[];
  /** Every template rendered, by file (including those never applied, e.g. cron outside cron_env). */
  rendered: Map<string, string>;
  findings: Finding[];
}

/** The deployer's apply order, and the kind each spec key must hold. */
export const applyOrder = ['configmap', 'service', 'stateful_service', 'deploy', 'extra_deploy', 'stateful', 'ingress', 'cron', 'pdb', 'servicemonitor'] as const;
export const expectedKind: Record<string, string> = {
  configmap: 'ConfigMap',
  service: 'Service',
  stateful_service: 'Service',
  deploy: 'Deployment',
  extra_deploy: 'Deployment',
  stateful: 'StatefulSet',
  ingress: 'Ingress',
  cron: 'CronJob',
  pdb: 'PodDisruptionBudget',
  servicemonitor: 'ServiceMonitor',
};
const knownTopKeys = new Set(['commitref', 'namespace', 'spec', 'envsecret', 'templating', 'acm']);
const workloadKeys = new Set(['deploy', 'extra_deploy', 'stateful']);

/** The Secret (and secretRef) name of a project in an env: `<project with _ as ->-<env>`. */
export function secretNameFor(project: string, env: string): string {
  return `${project.replace(/_/g, '-')}-${env}`;
}

/** Python's str(datetime.datetime.now()) in UTC (the Lambda's zone): `2026-11-30 02:20:03.123000`. */
export function pyDatetime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const base = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  return d.getUTCMilliseconds() ? `${base}.${p(d.getUTCMilliseconds() * 1000, 6)}` : base;
}

/** handler.py's getAcmFromDeployspec: the arn of the last entry whose cluster holds the name. */
export function acmFor(acm: PyValue | undefined, clusterName: string): string {
  let arn: PyValue = '';
  if (!Array.isArray(acm)) return '';
  for (const entry of acm) {
    if (!(entry instanceof Map) || !entry.has('cluster')) continue;
    const cluster = entry.get('cluster');
    const matches = typeof cluster === 'string' ? cluster.includes(clusterName) : Array.isArray(cluster) ? cluster.some((c) => c === clusterName) : false;
    if (matches) arn = entry.has('arn') ? entry.get('arn')! : '';
  }
  return pyStr(arn);
}

/** handler.py's inplace_change: str.replace of every occurrence. */
const replaceAll = (text: string, from: string, to: string) => text.split(from).join(to);

const isMap = (v: unknown): v is Map<PyValue, PyValue> => v instanceof Map;

/** A spec entry's files: a string, or a list of them (handler.py's isinstance(x, (list, tuple))). */
function entryFiles(v: PyValue): PyValue[] {
  return Array.isArray(v) ? v : v instanceof PyTuple ? v.items : [v];
}

/** Renders and prepares what the deployer applies for one env from an artifact folder. */
export function planDeploy(folder: ArtifactFolder, target: DeployTarget, opts: { undefinedSeverity?: Severity } = {}): DeployPlan {
  const findings: Finding[] = [];
  const plan: DeployPlan = { envsecret: false, manifests: [], rendered: new Map(), findings };
  const add = (severity: Severity, rule: string, file: string, message: string, line?: number) => findings.push({ severity, rule, file, message, ...(line ? { line } : {}) });

  const specText = folder.read('deployspec.yml');
  if (specText === undefined) {
    add('error', 'deployspec.missing', 'deployspec.yml', 'There is no deployspec.yml: the deployer fails with "Missing deployspec.yml".');
    return plan;
  }
  let spec: PyValue;
  try {
    spec = loadYaml(specText);
  } catch (e) {
    add('error', 'yaml.error', 'deployspec.yml', e instanceof YamlError || e instanceof JinjaError ? e.message : String(e), e instanceof YamlError ? e.line : undefined);
    return plan;
  }
  if (!isMap(spec)) {
    add('error', 'deployspec.missing-key', 'deployspec.yml', 'deployspec.yml is not a mapping of keys (commitref, namespace, spec).');
    return plan;
  }
  const lineOfKey = (key: string) => {
    const i = specText.split('\n').findIndex((l) => l.startsWith(`${key}:`));
    return i >= 0 ? i + 1 : undefined;
  };
  for (const key of spec.keys()) {
    if (typeof key !== 'string' || !knownTopKeys.has(key)) {
      add('warning', 'deployspec.unknown-key', 'deployspec.yml', `The deployer ignores the key "${pyStr(key)}" (it reads commitref, namespace, spec, envsecret, templating, acm).`, lineOfKey(pyStr(key)));
    }
  }
  for (const key of ['commitref', 'namespace', 'spec']) {
    if (!spec.has(key)) add('error', 'deployspec.missing-key', 'deployspec.yml', `deployspec.yml has no "${key}": the deployer fails (${key === 'commitref' ? '"Missing commitref in deployspec!"' : `KeyError '${key}'`}).`);
  }
  if (!spec.has('commitref') && target.commitref === undefined) return plan;
  const commitrefValue: PyValue = target.commitref ?? spec.get('commitref')!;
  const commitref = pyStr(commitrefValue);
  plan.commitref = commitref;
  if (typeof commitrefValue !== 'string') add('warning', 'deployspec.commitref-type', 'deployspec.yml', `commitref is not a string (${commitref}): quote it, or the COMMITREF env entry is not a string and the API server refuses the Deployment.`, lineOfKey('commitref'));
  const namespaceValue = spec.get('namespace');
  if (namespaceValue !== undefined) {
    if (typeof namespaceValue !== 'string') add('error', 'deployspec.namespace-type', 'deployspec.yml', 'namespace must be a string.', lineOfKey('namespace'));
    plan.namespace = pyStr(namespaceValue);
  }
  plan.envsecret = spec.get('envsecret') === true;
  if (spec.has('envsecret') && typeof spec.get('envsecret') !== 'boolean') {
    add('warning', 'deployspec.envsecret-type', 'deployspec.yml', `envsecret is ${pyStr(spec.get('envsecret')!)}, not true: the deployer only creates the Secret for the YAML boolean true.`, lineOfKey('envsecret'));
  }
  if (plan.envsecret) plan.secretName = secretNameFor(target.project, target.env);
  const specMap = spec.get('spec');
  if (specMap === undefined) return plan;
  if (!isMap(specMap)) {
    add('error', 'deployspec.spec-type', 'deployspec.yml', 'spec must be a mapping of kinds (deploy, service, ...) to template paths.', lineOfKey('spec'));
    return plan;
  }
  const namespace = plan.namespace ?? '';
  const deployImage = `${target.registry}/${target.project}:${commitref}`;

  // renderTemplates: every spec entry but cron_env, in the deployspec's order, each file overwritten.
  let values = new Map<string, PyValue>();
  const templating = spec.get('templating');
  if (templating !== undefined) {
    if (!isMap(templating)) add('error', 'deployspec.templating-type', 'deployspec.yml', 'templating must map cluster names to values.', lineOfKey('templating'));
    else {
      const forCluster = templating.get(target.clusterName);
      if (forCluster !== undefined) {
        if (!isMap(forCluster)) add('error', 'deployspec.templating-type', 'deployspec.yml', `templating["${target.clusterName}"] must be a mapping of names to values.`, lineOfKey('templating'));
        else for (const [k, v] of forCluster) if (typeof k === 'string') values.set(k, v);
      }
    }
  }
  values = new Map([
    ...values,
    ['cluster_name', target.clusterName],
    ['deploy_env', target.env],
    ['namespace', namespaceValue ?? null],
    ['deploy_image', deployImage],
    ['docker_tag', commitrefValue],
    ['project', target.project],
  ]);
  const written = new Map<string, string>();
  const read = (path: string) => written.get(path) ?? folder.read(path);
  const undefinedSeverity = opts.undefinedSeverity ?? 'warning';
  const env = new JinjaEnvironment(
    { load: read },
    { onUndefined: (message, file, line) => add(undefinedSeverity, 'template.undefined', file, `${message}: Jinja2 prints nothing here.`, line) },
  );
  const failed = new Set<string>();
  for (const [key, entry] of specMap) {
    if (key === 'cron_env') continue;
    for (const file of entryFiles(entry)) {
      if (typeof file !== 'string') {
        add('error', 'deployspec.spec-type', 'deployspec.yml', `spec.${pyStr(key)} lists ${pyStr(file)}, which is not a template path.`);
        continue;
      }
      try {
        const text = env.render(file, values);
        written.set(normalize(file), text);
        plan.rendered.set(file, text);
      } catch (e) {
        failed.add(file);
        if (!(e instanceof JinjaError)) throw e;
        if (e.kind === 'notfound') add('error', 'template.missing', e.file && e.file !== e.message ? e.file : 'deployspec.yml', `Template "${e.message}" does not exist (the deployer fails with TemplateNotFound).`, e.file && e.file !== e.message ? e.line : lineOfKey('spec'));
        else if (e.kind === 'refused') add('error', 'template.refused', e.file ?? file, e.message, e.line);
        else add('error', 'template.error', e.file ?? file, `Jinja2 fails here: ${e.message}`, e.line);
      }
    }
  }

  plan.manifests.push({ specKey: 'namespace', file: 'deployspec.yml', manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });

  const cronEnv = specMap.get('cron_env');
  for (const key of specMap.keys()) {
    if (key !== 'cron_env' && (typeof key !== 'string' || !(applyOrder as readonly string[]).includes(key))) {
      add('warning', 'deployspec.unknown-key', 'deployspec.yml', `The deployer renders spec.${pyStr(key)} but never applies it (it applies ${applyOrder.join(', ')}).`);
    }
  }
  for (const key of applyOrder) {
    const entry = specMap.get(key);
    if (entry === undefined) continue;
    if (key === 'cron') {
      if (cronEnv === undefined) {
        add('error', 'cron.no-cron-env', 'deployspec.yml', 'spec.cron without spec.cron_env: the deployer applies no cron job anywhere (it only posts a Slack warning). List the envs in cron_env.');
        continue;
      }
      const listed = typeof cronEnv === 'string' ? cronEnv.includes(target.env) : Array.isArray(cronEnv) ? cronEnv.some((e) => e === target.env) : false;
      if (!listed) continue;
    }
    for (const file of entryFiles(entry)) {
      if (typeof file !== 'string' || failed.has(file)) continue;
      let text = read(normalize(file));
      if (text === undefined) continue;
      if (workloadKeys.has(key)) {
        text = replaceAll(text, 'SGN_DEPLOY_IMAGE', deployImage);
      } else if (key === 'ingress') {
        const raw = text;
        if (raw.includes('SGN_DEPLOY_ENV')) text = replaceAll(text, 'SGN_DEPLOY_ENV', target.env);
        if (raw.includes('SGN_DEPLOY_ACM')) text = replaceAll(text, 'SGN_DEPLOY_ACM', acmFor(spec.get('acm'), target.clusterName));
        if (raw.includes('SGN_CLUSTER_NAME')) text = replaceAll(text, 'SGN_CLUSTER_NAME', target.clusterName);
      }
      written.set(normalize(file), text);
      let doc: PyValue;
      try {
        doc = loadYaml(text);
      } catch (e) {
        add('error', 'yaml.error', file, `The rendered file is not valid YAML: ${(e as Error).message}`, e instanceof YamlError ? e.line : undefined);
        continue;
      }
      if (!isMap(doc)) {
        add('error', 'manifest.required', file, `The rendered file is ${doc === null ? 'empty' : 'not a mapping'}: the deployer fails on it.`);
        continue;
      }
      if (workloadKeys.has(key) && doc.get('kind') !== expectedKind[key]) {
        const kind = doc.get('kind');
        add('error', 'manifest.kind', file, `spec.${key} must hold a ${expectedKind[key]}, and this file holds ${typeof kind === 'string' ? `a ${kind}` : 'no kind'}: the deployer fails on it.`);
        continue;
      }
      const manifest = toPlain(doc) as Record<string, unknown>;
      try {
        if (workloadKeys.has(key)) injectDeployerFields(manifest, { project: target.project, env: target.env, commitref, commitrefValue: toPlain(commitrefValue), envsecret: plan.envsecret, now: target.now });
      } catch (e) {
        add('error', 'manifest.required', file, (e as Error).message);
        continue;
      }
      plan.manifests.push({ specKey: key, file, manifest, text });
    }
  }
  return plan;
}

const normalize = (path: string) =>
  path
    .split('/')
    .filter((p) => p && p !== '.')
    .join('/');

/** What the deployer's injectEnv and injectAnnotation need to know. */
export interface InjectionContext {
  project: string;
  env: string;
  /** str(deployspec['commitref']), for the change-cause. */
  commitref: string;
  /** deployspec['commitref'] as it is (the COMMITREF value). */
  commitrefValue: unknown;
  /** deployspec['envsecret'] is True. */
  envsecret: boolean;
  now: Date;
}

type Json = Record<string, unknown>;
const isJsonMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * handler.py's injectEnv and injectAnnotation on a Deployment or StatefulSet (plain JSON, changed
 * in place): 13 env entries appended to every container, envFrom secretRef on every container and
 * init container when envsecret, the change-cause annotation. Throws where the handler fails.
 */
export function injectDeployerFields(dep: Json, t: InjectionContext): void {
  const podSpec = getJson(dep, ['spec', 'template', 'spec']);
  const containers = isJsonMap(podSpec) ? podSpec.containers : undefined;
  if (!Array.isArray(containers)) throw new Error('spec.template.spec.containers is missing or not a list: the deployer fails injecting its env entries.');
  const ts = pyTime(t.now.getTime());
  for (const container of containers) {
    if (!isJsonMap(container)) throw new Error('A container is not a mapping.');
    if (!('name' in container)) throw new Error("A container has no name: the deployer fails (KeyError 'name').");
    if (!('env' in container)) container.env = [];
    const list = container.env;
    if (!Array.isArray(list)) throw new Error(`The env of container ${String(container.name)} is not a list: the deployer fails appending to it.`);
    const name = container.name;
    const field = (fieldPath: string) => ({ fieldRef: { fieldPath } });
    const resource = (res: string) => ({ resourceFieldRef: { containerName: name, resource: res } });
    list.push(
      { name: 'DEPLOY_TS', value: ts },
      { name: 'AWS_METADATA_SERVICE_TIMEOUT', value: '5' },
      { name: 'COMMITREF', value: t.commitrefValue },
      { name: 'AWS_METADATA_SERVICE_NUM_ATTEMPTS', value: '20' },
      { name: 'APPLICATION_NAME', value: t.project },
      { name: 'DEPLOYMENT_GROUP_NAME', value: t.env },
      { name: 'MY_NODE_NAME', valueFrom: field('spec.nodeName') },
      { name: 'MY_POD_NAME', valueFrom: field('metadata.name') },
      { name: 'MY_POD_IP', valueFrom: field('status.podIP') },
      { name: 'MY_CPU_REQUEST', valueFrom: resource('requests.cpu') },
      { name: 'MY_CPU_LIMIT', valueFrom: resource('limits.cpu') },
      { name: 'MY_MEM_REQUEST', valueFrom: resource('requests.memory') },
      { name: 'MY_MEM_LIMIT', valueFrom: resource('limits.memory') },
    );
  }
  if (t.envsecret && isJsonMap(podSpec)) {
    for (const listKey of ['containers', 'initContainers']) {
      if (!(listKey in podSpec)) continue;
      const list = podSpec[listKey];
      if (!Array.isArray(list)) throw new Error(`spec.template.spec.${listKey} is not a list.`);
      for (const c of list) {
        if (!isJsonMap(c)) throw new Error('A container is not a mapping.');
        if (!('envFrom' in c)) c.envFrom = [];
        if (!Array.isArray(c.envFrom)) throw new Error("A container's envFrom is not a list: the deployer fails appending to it.");
        c.envFrom.push({ secretRef: { name: secretNameFor(t.project, t.env) } });
      }
    }
  }
  if (!('metadata' in dep)) dep.metadata = {};
  const metadata = dep.metadata;
  if (!isJsonMap(metadata)) throw new Error('metadata is not a mapping.');
  if (!('annotations' in metadata)) metadata.annotations = {};
  const annotations = metadata.annotations;
  if (!isJsonMap(annotations)) throw new Error('metadata.annotations is not a mapping: the deployer fails adding kubernetes.io/change-cause.');
  annotations['kubernetes.io/change-cause'] = `${t.commitref} ${pyDatetime(t.now)}`;
}

function getJson(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const p of path) {
    if (!isJsonMap(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

