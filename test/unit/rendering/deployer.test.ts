import assert from 'node:assert/strict';
import { acmFor, planDeploy, pyDatetime, type DeployTarget } from '../../../src/rendering/deployer.js';
import { loadYaml } from '../../../src/rendering/yaml.js';

// Manifests are untyped JSON; the assertions below walk into them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

// The deployer's steps after rendering, checked against pipeline-contract.md ("Rendering").
const registry = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const now = new Date('2026-11-30T02:20:03.123Z');
const target = (over: Partial<DeployTarget> = {}): DeployTarget => ({ project: 'my_app', env: 'production', clusterName: 'production.domain.com', registry, now, ...over });
const folder = (files: Record<string, string>) => ({ read: (p: string) => files[p] });

const deployment = (name: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: ${name}
          image: SGN_DEPLOY_IMAGE
${extra}`;

describe('deployer steps after rendering (pipeline-contract.md)', () => {
  it('Given a list-valued spec entry, When planned, Then each file is rendered and applied in list order', () => {
    const plan = planDeploy(
      folder({
        'deployspec.yml': 'commitref: git-3f9c2a1\nnamespace: app\nspec:\n  deploy:\n    - deploy/a.yml\n    - deploy/b.yml\n',
        'deploy/a.yml': deployment('a'),
        'deploy/b.yml': deployment('b'),
      }),
      target(),
    );
    assert.deepEqual(plan.findings, []);
    assert.deepEqual(plan.manifests.map((m) => [m.specKey, m.file]), [['namespace', 'deployspec.yml'], ['deploy', 'deploy/a.yml'], ['deploy', 'deploy/b.yml']]);
    assert.deepEqual(plan.manifests[0].manifest, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
  });

  it('Given spec keys in any order, When planned, Then objects come in the deployer\'s apply order (configmap, service, stateful_service, deploy, extra_deploy, stateful, ingress, cron, pdb, servicemonitor)', () => {
    const keys = ['servicemonitor', 'pdb', 'cron', 'ingress', 'stateful', 'extra_deploy', 'deploy', 'stateful_service', 'service', 'configmap'];
    const kinds: Record<string, string> = { servicemonitor: 'ServiceMonitor', pdb: 'PodDisruptionBudget', cron: 'CronJob', ingress: 'Ingress', stateful: 'StatefulSet', extra_deploy: 'Deployment', deploy: 'Deployment', stateful_service: 'Service', service: 'Service', configmap: 'ConfigMap' };
    const files: Record<string, string> = { 'deployspec.yml': `commitref: c1\nnamespace: ns\nspec:\n${keys.map((k) => `  ${k}: ${k}.yml`).join('\n')}\n  cron_env: [production]\n` };
    for (const k of keys) {
      const workload = ['deploy', 'extra_deploy', 'stateful'].includes(k);
      files[`${k}.yml`] = workload ? deployment(k).replace('kind: Deployment', `kind: ${kinds[k]}`) : `apiVersion: v1\nkind: ${kinds[k]}\nmetadata:\n  name: ${k}\n  namespace: ns\n`;
    }
    const plan = planDeploy(folder(files), target());
    assert.deepEqual(plan.manifests.map((m) => m.specKey).slice(1), [...keys].reverse());
  });

  it('Given SGN_DEPLOY_IMAGE in deploy, extra_deploy and stateful files only, When planned, Then it becomes <registry>/<project>:<commitref> there and nowhere else', () => {
    const plan = planDeploy(
      folder({
        'deployspec.yml': 'commitref: git-3f9c2a1\nnamespace: app\nspec:\n  configmap: cm.yml\n  deploy: d.yml\n',
        'cm.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {image: SGN_DEPLOY_IMAGE}\n',
        'd.yml': deployment('d'),
      }),
      target(),
    );
    const [, cm, d] = plan.manifests.map((m) => m.manifest as Json);
    assert.equal(cm.data.image, 'SGN_DEPLOY_IMAGE');
    assert.equal(d.spec.template.spec.containers[0].image, `${registry}/my_app:git-3f9c2a1`);
  });

  it('Given a Deployment with an env list, When planned, Then the deployer\'s 13 entries are appended after it, in its order, with its values', () => {
    const plan = planDeploy(
      folder({ 'deployspec.yml': 'commitref: git-3f9c2a1\nnamespace: app\nspec:\n  deploy: d.yml\n', 'd.yml': deployment('d', '          env:\n            - {name: OWN, value: "1"}\n') }),
      target(),
    );
    const env = (plan.manifests[1].manifest as Json).spec.template.spec.containers[0].env;
    assert.deepEqual(env, [
      { name: 'OWN', value: '1' },
      { name: 'DEPLOY_TS', value: '1796005203.123' },
      { name: 'AWS_METADATA_SERVICE_TIMEOUT', value: '5' },
      { name: 'COMMITREF', value: 'git-3f9c2a1' },
      { name: 'AWS_METADATA_SERVICE_NUM_ATTEMPTS', value: '20' },
      { name: 'APPLICATION_NAME', value: 'my_app' },
      { name: 'DEPLOYMENT_GROUP_NAME', value: 'production' },
      { name: 'MY_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'MY_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'MY_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'MY_CPU_REQUEST', valueFrom: { resourceFieldRef: { containerName: 'd', resource: 'requests.cpu' } } },
      { name: 'MY_CPU_LIMIT', valueFrom: { resourceFieldRef: { containerName: 'd', resource: 'limits.cpu' } } },
      { name: 'MY_MEM_REQUEST', valueFrom: { resourceFieldRef: { containerName: 'd', resource: 'requests.memory' } } },
      { name: 'MY_MEM_LIMIT', valueFrom: { resourceFieldRef: { containerName: 'd', resource: 'limits.memory' } } },
    ]);
    assert.equal((plan.manifests[1].manifest as Json).metadata.annotations['kubernetes.io/change-cause'], 'git-3f9c2a1 2026-11-30 02:20:03.123000');
  });

  it('Given envsecret: true, When planned, Then every container and init container gets envFrom secretRef <project, _ as ->-<env>', () => {
    const withInit = deployment('d', '      initContainers:\n        - name: init\n          image: busybox\n          envFrom:\n            - configMapRef: {name: base}\n');
    const plan = planDeploy(folder({ 'deployspec.yml': 'commitref: c\nnamespace: app\nenvsecret: true\nspec:\n  deploy: d.yml\n', 'd.yml': withInit }), target());
    const pod = (plan.manifests[1].manifest as Json).spec.template.spec;
    assert.deepEqual(pod.containers[0].envFrom, [{ secretRef: { name: 'my-app-production' } }]);
    assert.deepEqual(pod.initContainers[0].envFrom, [{ configMapRef: { name: 'base' } }, { secretRef: { name: 'my-app-production' } }]);
    assert.equal(plan.secretName, 'my-app-production');
    // Init containers get no env entries: injectEnv only walks containers.
    assert.equal(pod.initContainers[0].env, undefined);
  });

  it('Given envsecret set to anything but the boolean true, When planned, Then no envFrom is added (the deployer tests `is True`)', () => {
    const plan = planDeploy(folder({ 'deployspec.yml': 'commitref: c\nnamespace: app\nenvsecret: "true"\nspec:\n  deploy: d.yml\n', 'd.yml': deployment('d') }), target());
    assert.equal((plan.manifests[1].manifest as Json).spec.template.spec.containers[0].envFrom, undefined);
    assert.equal(plan.secretName, undefined);
    assert.ok(plan.findings.some((f) => f.rule === 'deployspec.envsecret-type'));
  });

  it('Given an ingress with the three placeholders, When planned, Then SGN_DEPLOY_ENV, SGN_DEPLOY_ACM (by cluster) and SGN_CLUSTER_NAME are replaced', () => {
    const plan = planDeploy(
      folder({
        'deployspec.yml': 'commitref: c\nnamespace: app\nacm:\n  - {cluster: [staging.domain.com], arn: arn-staging}\n  - {cluster: production.domain.com, arn: arn-prod}\nspec:\n  ingress: i.yml\n',
        'i.yml': 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n  annotations:\n    env: SGN_DEPLOY_ENV\n    cert: SGN_DEPLOY_ACM\n    cluster: SGN_CLUSTER_NAME\n    image: SGN_DEPLOY_IMAGE\n',
      }),
      target(),
    );
    assert.deepEqual((plan.manifests[1].manifest as Json).metadata.annotations, { env: 'production', cert: 'arn-prod', cluster: 'production.domain.com', image: 'SGN_DEPLOY_IMAGE' });
  });

  it('Given acm entries, Then the arn is the last entry whose cluster list holds the name or whose cluster string contains it, else empty', () => {
    const acm = loadYaml('- {cluster: [a.example, b.example], arn: first}\n- {cluster: xb.example.com, arn: second}\n- {arn: no-cluster}\n- {cluster: [b.exam], arn: not-exact}\n');
    assert.equal(acmFor(acm, 'a.example'), 'first');
    assert.equal(acmFor(acm, 'b.example'), 'second');
    assert.equal(acmFor(acm, 'c.example'), '');
    assert.equal(acmFor(undefined, 'a.example'), '');
  });

  it('Given templating for the cluster, When rendered, Then its values are there and the built-ins win over them', () => {
    const plan = planDeploy(
      folder({
        'deployspec.yml': 'commitref: git-1\nnamespace: ns\ntemplating:\n  production.domain.com: {replicas: 3, namespace: wrong, project: wrong}\n  staging: {replicas: 1}\nspec:\n  configmap: c.yml\n',
        'c.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  r: "{{ replicas }}"\n  values: "{{ [cluster_name, deploy_env, namespace, deploy_image, docker_tag, project]|join(\' \') }}"\n',
      }),
      target(),
    );
    assert.deepEqual((plan.manifests[1].manifest as Json).data, { r: '3', values: `production.domain.com production ns ${registry}/my_app:git-1 git-1 my_app` });
  });

  it('Given cron_env, When planned, Then cron files are applied only in the envs it lists (a string cron_env matches as a substring, as in Python)', () => {
    const files = (cronEnv: string) => ({
      'deployspec.yml': `commitref: c\nnamespace: ns\nspec:\n  cron: cj.yml\n  cron_env: ${cronEnv}\n`,
      'cj.yml': 'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: cj}\nspec: {schedule: "* * * * *"}\n',
    });
    const applied = (cronEnv: string, env: string) => planDeploy(folder(files(cronEnv)), target({ env })).manifests.some((m) => m.specKey === 'cron');
    assert.equal(applied('[production]', 'production'), true);
    assert.equal(applied('[production]', 'staging'), false);
    assert.equal(applied('preproduction', 'production'), true);
  });

  it('Given --tag, When planned, Then it replaces the commitref everywhere the deployer uses it', () => {
    const plan = planDeploy(folder({ 'deployspec.yml': 'commitref: COMMITREF\nnamespace: ns\nspec:\n  deploy: d.yml\n', 'd.yml': deployment('d') }), target({ commitref: 'git-9' }));
    const d = plan.manifests[1].manifest as Json;
    assert.equal(d.spec.template.spec.containers[0].image, `${registry}/my_app:git-9`);
    assert.equal(d.metadata.annotations['kubernetes.io/change-cause'].split(' ')[0], 'git-9');
    assert.equal(d.spec.template.spec.containers[0].env.find((e: Json) => e.name === 'COMMITREF').value, 'git-9');
  });

  it('Given a template that includes one rendered before it, When planned, Then it sees the rendered text (the deployer overwrites each file as it renders)', () => {
    const plan = planDeploy(
      folder({
        'deployspec.yml': 'commitref: c\nnamespace: ns\nspec:\n  configmap: [a.yml, b.yml]\n',
        'a.yml': '{% raw %}{{ literal }}{% endraw %}',
        'b.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n  x: "{% include \'a.yml\' %}"\n',
      }),
      target(),
    );
    // a.yml renders to "{{ literal }}"; b.yml includes that text as a template: it prints nothing.
    assert.equal((plan.manifests.find((m) => m.file === 'b.yml')!.manifest as Json).data.x, '');
  });

  it('pyDatetime prints Python\'s str(datetime): microseconds only when not zero', () => {
    assert.equal(pyDatetime(new Date('2026-01-02T03:04:05.000Z')), '2026-01-02 03:04:05');
    assert.equal(pyDatetime(new Date('2026-01-02T03:04:05.007Z')), '2026-01-02 03:04:05.007000');
  });
});
