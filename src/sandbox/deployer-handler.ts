/**
 * The Kubernetes half of the deployer's manual deploy (roffe/k8s-deployer, src/handler.py:
 * checkDeployspec and runDeploySpec), for the deployer emulator. Its inputs are what the handler
 * has on disk by then (the unzipped artifact, the kube config); the cluster is a small in-memory
 * record of what was applied per environment, and `kubectl rollout status` is the emulator's
 * fault (a delay, an error) instead of a real rollout.
 *
 * It fails where the handler fails, with the same exception type and str(): a deployspec
 * without `namespace` or `spec` (KeyError), a `spec` template missing from the zip
 * (TemplateNotFound), YAML a tab breaks (ScannerError with the tmp file's path, line and column),
 * a kube config whose current context is not among its contexts (ConfigException), a Deployment
 * whose container has no name (KeyError 'name', from injectEnv), an object the API server refuses
 * (ApiException 422), and it goes as far as the handler before failing: the namespace exists
 * before a missing `spec` is noticed, Services are applied before a broken Deployment file.
 */
import { apiServerCauses, unprocessable } from './api-server.js';
import { loadKubeConfig } from './kubeconfig.js';
import { frame, getItem, isDict, PyError, pyIn, pyStr, pyTypeName, reprStr } from './py-error.js';
import { pyYamlLoad } from './pyyaml.js';
import { renderTemplates, templatePath, type TemplateRenderer } from './render-step.js';
import { injectDeployerFields } from '../rendering/deployer.js';

/** Line numbers of handler.py (the upstream file) for the traceback frames. */
export const frames = {
  handler: frame('lambda_handler', 1201, 'runManualDeploy(event, tmpdirname)'),
  manual: frame('runManualDeploy', 679, 'deployFromDB(item, event, tmpdirname)'),
  reraise: frame('deployFromDB', 1016, 'raise e'),
  checkDeployspec: frame('deployFromDB', 996, 'dep = checkDeployspec(tmpdirname)'),
  runDeploySpec: frame('deployFromDB', 998, 'runDeploySpec(deploy_name, dep, deploy_env, event, tmpdirname)'),
  setlastDeploy: frame('deployFromDB', 1000, 'setlastDeploy('),
  tagImage: frame('deployFromDB', 1004, "tagImage(deploy_name, dep['commitref'], deploy_env)"),
};
/** The frames every failure inside deployFromDB's try starts with. */
export const deployFrames = [frames.handler, frames.manual, frames.reraise];

/** What the cluster of each environment holds, as far as the deploys told it. */
export class Cluster {
  private readonly objects = new Map<string, Set<string>>();
  has(env: string, key: string): boolean {
    return this.objects.get(env)?.has(key) ?? false;
  }
  add(env: string, key: string): void {
    let set = this.objects.get(env);
    if (!set) this.objects.set(env, (set = new Set()));
    set.add(key);
  }
  clear(): void {
    this.objects.clear();
    this.applied.clear();
  }
  /** What the last deploy of a project to an env applied, in order (for `GET /_sgn/applied`). */
  private readonly applied = new Map<string, unknown[]>();
  beginDeploy(project: string, env: string): void {
    this.applied.set(`${project}\u0000${env}`, []);
  }
  record(project: string, env: string, obj: unknown): void {
    this.applied.get(`${project}\u0000${env}`)?.push(structuredClone(obj));
  }
  appliedBy(project: string, env: string): unknown[] | undefined {
    return this.applied.get(`${project}\u0000${env}`);
  }
}

const decoder = new TextDecoder('utf-8');

/** handler.py's checkDeployspec over the unzipped files. */
export async function checkDeployspec(files: ReadonlyMap<string, Buffer>, tmp: string): Promise<unknown> {
  const at = (line: number, code: string) => [...deployFrames, frames.checkDeployspec, frame('checkDeployspec', line, code)];
  const text = files.get('deployspec.yml');
  if (text === undefined) throw new PyError('Exception', 'Missing deployspec.yml\nPlease see DEPLOYSPEC.md', at(745, 'raise Exception("Missing deployspec.yml\\nPlease see DEPLOYSPEC.md")'));
  let spec: unknown;
  try {
    spec = await pyYamlLoad(decoder.decode(text), `${tmp}/deployspec.yml`);
    if (!pyIn('commitref', spec)) throw new PyError('Exception', 'Missing commitref in deployspec!', at(743, 'raise Exception("Missing commitref in deployspec!")'));
  } catch (e) {
    if (e instanceof PyError && e.frames.length === 0) throw new PyError(e.type, e.message, at(741, "deployspec = yaml.load(open(tmpdirname+'/deployspec.yml'))"));
    throw e;
  }
  return spec;
}

export interface SpecRun {
  project: string;
  env: string;
  /** handler's tmpdir (the paths in PyYAML's marks). */
  tmp: string;
  /** DOCKER_REGISTRY: `<account>.dkr.ecr.<region>.amazonaws.com`. */
  registry: string;
  /** The unzipped artifact (rendering replaces files in it). */
  files: Map<string, Buffer>;
  /** The env's kube config; undefined when the emulator has no config bucket (then the cluster is named after the env). */
  kubeconf?: Buffer;
  /** checkDeployspec's result. */
  deployspec: unknown;
  /** The env's app config file for the Secret; rejects with the download error's text. */
  appConfig: () => Promise<Buffer>;
  cluster: Cluster;
  log: { info(message: string): void; error(message: string): void };
  /** The rollout of the first Deployment/StatefulSet: waits, then fails when `error` is set. */
  rollout: (name: string) => Promise<void>;
  now: () => Date;
  render?: TemplateRenderer;
}

/** handler.py's runDeploySpec. Resolves when everything is applied and rolled out. */
export async function runDeploySpec(run: SpecRun): Promise<void> {
  const { files, tmp, env, log, cluster } = run;
  const dep = run.deployspec;
  const inRun = (line: number, code: string) => (e: unknown) => {
    if (e instanceof PyError && e.frames.length === 0) throw new PyError(e.type, e.message, [...deployFrames, frames.runDeploySpec, frame('runDeploySpec', line, code)]);
    throw e;
  };

  let clusterName = env;
  if (run.kubeconf) {
    const context = await loadKubeConfig(decoder.decode(run.kubeconf), `${tmp}/kubeconf`).catch(inRun(790, "client = k8sconfig.new_client_from_config(config_file=tmpdir+'/kubeconf')"));
    clusterName = context.name;
  }
  // injectEnv reads deployspec['envsecret'] itself: envFrom is added even when the Secret failed.
  const envsecretIsTrue = isDict(dep) && dep.envsecret === true;
  let useSecret = false;
  try {
    useSecret = getItem(dep, 'envsecret') === true;
  } catch {
    useSecret = false;
  }

  const namespace = (() => {
    try {
      return getItem(dep, 'namespace');
    } catch (e) {
      return inRun(803, "create_namespace(client, dep['namespace'])")(e);
    }
  })();
  const ns = pyStr(namespace);
  const nsKey = `Namespace/${ns}`;
  log.info(cluster.has(env, nsKey) ? `Namespace "${ns}" aready exists` : `Namespace "${ns}" created`);
  cluster.add(env, nsKey);
  cluster.beginDeploy(run.project, env);
  cluster.record(run.project, env, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });

  // renderTemplates
  const commitref = getItem(dep, 'commitref');
  const deployImage = `${run.registry}/${run.project}:${pyStr(commitref)}`;
  const renderAt = inRun(806, 'renderTemplates(active_context, deploy_name, deploy_env, dep, tmpdir)');
  let spec: Record<string, unknown>;
  try {
    const s = getItem(dep, 'spec');
    if (!isDict(s)) throw new PyError('AttributeError', `'${pyTypeName(s)}' object has no attribute 'items'`);
    spec = s;
    const templating = isDict(dep) && 'templating' in dep ? getItem(dep, 'templating') : undefined;
    const values = templating !== undefined && pyIn(clusterName, templating) ? getItem(templating, clusterName) : {};
    await renderTemplates({
      spec,
      files,
      values: isDict(values) ? values : {},
      builtins: { cluster_name: clusterName, deploy_env: env, namespace, deploy_image: deployImage, docker_tag: commitref, project: run.project },
      log: (m) => log.info(m),
      render: run.render,
    });
  } catch (e) {
    return renderAt(e);
  }

  if (useSecret) await createSecret(run, ns).catch((e: unknown) => log.error(`Failed to create secret: ${e instanceof Error ? e.message : String(e)}`));

  const paths = (kind: string): string[] => {
    const entry = spec[kind];
    if (entry === undefined) return [];
    return (Array.isArray(entry) ? entry : [entry]).map((name) => {
      try {
        return templatePath(name, files);
      } catch {
        return `\u0000missing:${String(name)}`; // os.path.isfile is false: the handler skips it
      }
    });
  };
  /** yaml.load of a rendered file, inside handler function `fn` at `line`. */
  const load = async (path: string, fn: string, line: number, code: string) => {
    try {
      return await pyYamlLoad(decoder.decode(files.get(path)), `${tmp}/${path}`);
    } catch (e) {
      if (e instanceof PyError && !e.frames.length) throw new PyError(e.type, e.message, [frame(fn, line, code)]);
      throw e;
    }
  };
  const apply = (kind: string, obj: unknown, created: string, replaced: string) => {
    const name = pyStr(getItem(getItem(obj, 'metadata'), 'name'));
    const causes = apiServerCauses(kind, obj);
    if (causes.length) throw unprocessable(kind, obj, causes, run.now());
    const key = `${kind}/${ns}/${name}`;
    log.info(cluster.has(env, key) ? `${replaced} "${name}" ${kind === 'Service' || kind === 'Ingress' ? 'patched' : 'replaced'}` : `${created} "${name}" created`);
    cluster.add(env, key);
    cluster.record(run.project, env, obj);
  };
  /** One call of runDeploySpec at `line`: a failure gets the frames down to it. */
  const step = async (line: number, code: string, body: () => Promise<void>) => {
    try {
      await body();
    } catch (e) {
      if (e instanceof PyError && e.frames[0] !== frames.handler) throw new PyError(e.type, e.message, [...deployFrames, frames.runDeploySpec, frame('runDeploySpec', line, code), ...e.frames]);
      throw e;
    }
  };

  for (const path of paths('configmap')) {
    if (path.startsWith('\u0000')) continue;
    await step(821, "create_configmap(client, dep, tmpdir + '/' + s)", async () => apply('ConfigMap', await load(path, 'create_configmap', 506, "cm = yaml.load(open(configmap_yaml, 'r'))"), 'Configmap', 'Configmap'));
  }
  for (const kind of ['service', 'stateful_service']) {
    for (const path of paths(kind)) {
      if (path.startsWith('\u0000')) continue;
      await step(833, "create_service(client, dep, tmpdir + '/' + s)", async () => apply('Service', await load(path, 'create_service', 483, "svc = yaml.load(open(service_yaml, 'r'))"), 'Service', 'Service'));
    }
  }
  for (const [kind, objectKind, label, line] of [
    ['deploy', 'Deployment', 'Deployment', 852],
    ['extra_deploy', 'Deployment', 'Deployment', 877],
    ['stateful', 'StatefulSet', 'Stateful set', 900],
  ] as const) {
    for (const path of paths(kind)) {
      if (!path.startsWith('\u0000')) {
        await step(line, objectKind === 'Deployment' ? 'create_deployment(' : 'create_stateful(', async () => {
          const text = decoder.decode(files.get(path)).split('SGN_DEPLOY_IMAGE').join(deployImage);
          files.set(path, Buffer.from(text, 'utf8'));
          const obj = await load(path, objectKind === 'Deployment' ? 'create_deployment' : 'create_stateful', objectKind === 'Deployment' ? 412 : 451, "dep = yaml.load(open(yamlPath, 'r'))");
          injectEnv(obj);
          // What the handler's injectEnv and injectAnnotation add (sgn's own code, as `sgn render` shows it).
          try {
            injectDeployerFields(obj as Record<string, unknown>, { project: run.project, env, commitref: pyStr(commitref), commitrefValue: commitref, envsecret: envsecretIsTrue, now: run.now() });
          } catch (e) {
            throw new PyError('AttributeError', (e as Error).message);
          }
          apply(objectKind, obj, label, label);
        });
      }
      await step(line + 4, 'rolloutStatus(', async () => {
        if (path.startsWith('\u0000')) throw new PyError('FileNotFoundError', `[Errno 2] No such file or directory: ${reprStr(`${tmp}/${path.slice('\u0000missing:'.length)}`)}`);
        const obj = await load(path, 'rolloutStatus', 685, "dep = yaml.load(open(tmpdirname + '/' + spec, 'r'))");
        const name = pyStr(getItem(getItem(obj, 'metadata'), 'name'));
        log.info(`Rolling out ${pyStr(getItem(obj, 'kind'))} ${name}`);
        await run.rollout(name);
        log.info(`${pyStr(getItem(obj, 'kind')).toLowerCase()} "${name}" successfully rolled out\n`);
      });
    }
  }
  for (const path of paths('ingress')) {
    if (path.startsWith('\u0000')) continue;
    await step(926, 'create_ingress(', async () => {
      const text = decoder.decode(files.get(path)).split('SGN_DEPLOY_ENV').join(env).split('SGN_DEPLOY_ACM').join(acmArn(dep, clusterName)).split('SGN_CLUSTER_NAME').join(clusterName);
      files.set(path, Buffer.from(text, 'utf8'));
      apply('Ingress', await load(path, 'create_ingress', 550, "ing = yaml.load(open(srcYaml, 'r'))"), 'Ingress', 'Ingress');
    });
  }
  if (spec.cron !== undefined && isDict(spec) && 'cron_env' in spec && pyIn(env, spec.cron_env)) {
    for (const path of paths('cron')) {
      if (path.startsWith('\u0000')) continue;
      await step(943, "create_cron(client, dep, tmpdir + '/' + s)", async () => apply('CronJob', await load(path, 'create_cron', 573, "cron = yaml.load(open(cron_yaml, 'r'))"), 'Cron', 'Cron'));
    }
  }
  for (const path of paths('pdb')) {
    if (path.startsWith('\u0000')) continue;
    await step(962, "create_pdb(client, dep, tmpdir + '/' + s)", async () => {
      const pdb = await load(path, 'create_pdb', 624, "pdb = yaml.load(open(pdb_yaml, 'r'))");
      for (const k of ['apiVersion', 'kind', 'metadata', 'spec']) getItem(pdb, k);
      apply('PodDisruptionBudget', pdb, 'PDB', 'PDB');
    });
  }
  for (const path of paths('servicemonitor')) {
    if (path.startsWith('\u0000')) continue;
    await step(970, 'create_servicemonitor(tmpdir, tmpdir + \'/\' + s)', async () => {
      const sm = await load(path, 'create_servicemonitor', 594, "dep = yaml.load(open(servicemonitor_yaml, 'r'))");
      const name = pyStr(getItem(getItem(sm, 'metadata'), 'name'));
      log.info(`Creating ${pyStr(getItem(sm, 'kind'))} ${name}`);
      log.info(`b'servicemonitor.monitoring.coreos.com/${name} ${cluster.has(env, `ServiceMonitor/${name}`) ? 'configured' : 'created'}\\n'`);
      cluster.add(env, `ServiceMonitor/${name}`);
      cluster.record(run.project, env, sm);
    });
  }
}

/** handler.py's injectEnv, as far as it can fail: the containers must be there, each with a name. */
function injectEnv(dep: unknown): void {
  const containers = getItem(getItem(getItem(getItem(dep, 'spec'), 'template'), 'spec'), 'containers');
  if (!Array.isArray(containers)) throw new PyError('TypeError', `'${pyTypeName(containers)}' object cannot be interpreted as an integer`);
  for (const c of containers) getItem(c, 'name');
}

/** handler.py's getAcmFromDeployspec: the arn of the last `acm` entry whose cluster holds the name. */
function acmArn(dep: unknown, clusterName: string): string {
  let arn = '';
  if (isDict(dep) && Array.isArray(dep.acm)) {
    for (const entry of dep.acm) {
      if (pyIn('cluster', entry) && pyIn(clusterName, getItem(entry, 'cluster'))) arn = pyStr(getItem(entry, 'arn'));
    }
  }
  return arn;
}

/**
 * handler.py's create_secret, as far as the sandbox goes: the env's config file must download
 * and be UTF-8 text. configparser's own refusals are not emulated here (the sandbox stays out
 * of sgn's services); `sgn cfg` checks files by those rules before they are uploaded.
 */
async function createSecret(run: SpecRun, ns: string): Promise<void> {
  const bytes = await run.appConfig();
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error("'utf-8' codec can't decode the config file: invalid continuation byte");
  }
  const name = `${run.project.replace(/_/g, '-')}-${run.env}`;
  const key = `Secret/${ns}/${name}`;
  run.log.info(run.cluster.has(run.env, key) ? `Replaced secret ${ns}/${name}` : `Created secret ${ns}/${name}`);
  run.cluster.add(run.env, key);
}
