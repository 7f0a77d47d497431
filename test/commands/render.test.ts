import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseAllDocuments } from 'yaml';
import { writeDemoSources } from '../../src/sandbox/demo-projects.js';
import { clientConfig, cliEnv, motoServer, resetMoto } from '../helpers/aws.js';
import { runSgn } from '../helpers/cli.js';

// sgn render and sgn lint, the built CLI as a subprocess, against moto (STS for the registry's
// account, S3 for the config files envsecret needs), in checkouts of the sandbox's demo sources.
const registry = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const clusters = 'clusters=staging=staging,production=production';

describe('sgn render / sgn lint (CLI against moto)', function () {
  this.timeout(120_000);
  let url: string;
  let dir: string;
  let folders: Record<string, string>;
  let s3: S3Client;

  before(async () => {
    url = (await motoServer()).url;
    await resetMoto(url);
    s3 = new S3Client(clientConfig(url));
    await s3.send(new CreateBucketCommand({ Bucket: 'k8s-deployer-config' }));
    dir = mkdtempSync(join(tmpdir(), 'sgn-render-'));
    folders = writeDemoSources(dir, { web: 'git-1a2b3c4', worker: 'git-2b3c4d5', billing: 'git-5d6e7f8' });
    // web is a git checkout whose origin names the project.
    execFileSync('git', ['init', '-q', folders.web]);
    execFileSync('git', ['-C', folders.web, 'remote', 'add', 'origin', 'git@github.com:team/web.git']);
  });
  after(() => {
    s3?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('Given the web checkout (list-valued deploy, ingress with the three placeholders, envsecret), When `sgn render production`, Then stdout holds the objects in apply order with the deployer\'s substitutions and injections', async () => {
    const r = await runSgn(['render', 'production', '-c', clusters], { env: cliEnv(url), cwd: folders.web });
    assert.equal(r.code, 0, r.stderr);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    assert.deepEqual(
      docs.map((d) => `${d.kind}/${d.metadata.name}`),
      ['Namespace/web', 'ConfigMap/web-settings', 'Service/web', 'Deployment/web', 'Deployment/web-assets', 'Ingress/web', 'PodDisruptionBudget/web'],
    );
    const [web, assets] = docs.filter((d) => d.kind === 'Deployment');
    for (const d of [web, assets]) {
      const c = d.spec.template.spec.containers[0];
      assert.equal(c.image, `${registry}/web:git-1a2b3c4`);
      assert.deepEqual(c.envFrom, [{ secretRef: { name: 'web-production' } }]);
      assert.deepEqual(c.env.slice(-13).map((e: { name: string }) => e.name), ['DEPLOY_TS', 'AWS_METADATA_SERVICE_TIMEOUT', 'COMMITREF', 'AWS_METADATA_SERVICE_NUM_ATTEMPTS', 'APPLICATION_NAME', 'DEPLOYMENT_GROUP_NAME', 'MY_NODE_NAME', 'MY_POD_NAME', 'MY_POD_IP', 'MY_CPU_REQUEST', 'MY_CPU_LIMIT', 'MY_MEM_REQUEST', 'MY_MEM_LIMIT']);
      assert.match(d.metadata.annotations['kubernetes.io/change-cause'], /^git-1a2b3c4 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    }
    assert.equal(web.spec.replicas, 3);
    const ingress = docs.find((d) => d.kind === 'Ingress');
    assert.deepEqual(ingress.metadata.annotations, {
      'alb.ingress.kubernetes.io/certificate-arn': 'arn:aws:acm:us-east-1:123456789012:certificate/7c1d-production-web',
      'alb.ingress.kubernetes.io/tags': 'env=production,cluster=production',
    });
    assert.match(r.stderr, /Secret web-production/);
    assert.doesNotMatch(r.stdout, /SGN_/);
  });

  it('Given --tag and --json, When rendering staging, Then the JSON document carries the manifests with that tag and the staging values', async () => {
    const r = await runSgn(['render', 'staging', '--tag', 'git-9f8e7d6', '--json', '-c', clusters], { env: cliEnv(url), cwd: folders.web });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.commitref, 'git-9f8e7d6');
    assert.equal(out.project, 'web');
    const web = out.manifests.find((m: { file: string }) => m.file === 'deploy/deployment.yml').manifest;
    assert.equal(web.spec.template.spec.containers[0].image, `${registry}/web:git-9f8e7d6`);
    assert.equal(web.spec.replicas, 1);
    assert.deepEqual(web.spec.template.spec.containers[0].env[1], { name: 'FEATURE_FLAGS', value: 'beta,new-checkout' });
  });

  it('Given a template error, When rendering, Then exit 1 naming the file and line, nothing on stdout, and a hint to lint', async () => {
    writeFileSync(join(folders.worker, 'deploy/deployment.yml'), 'apiVersion: apps/v1\nkind: Deployment\n{% if replicas %}\nmetadata: {}\n');
    const r = await runSgn(['render', 'staging', '--project', 'worker', '-c', clusters], { env: cliEnv(url), cwd: folders.worker });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /deploy\/deployment\.yml:\d+: Jinja2 fails here/);
    assert.match(r.stderr, /sgn lint staging/);
  });

  it('Given a folder without deployspec.yml, When rendering, Then a usage error (exit 2)', async () => {
    const r = await runSgn(['render', 'staging', '--project', 'web'], { env: cliEnv(url), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no deployspec\.yml/);
  });

  it('Given billing (cron without cron_env) and a config file in staging only, When `sgn lint`, Then exit 1 with the cron error and the missing production config, file by file on stdout', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'k8s-deployer-config', Key: 'billing/staging/config', Body: 'A=1\n' }));
    const r = await runSgn(['lint', '--project', 'billing', '-c', clusters], { env: cliEnv(url), cwd: folders.billing });
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2, r.stdout);
    assert.match(lines[0], /^deployspec\.yml: error spec\.cron without spec\.cron_env.*\[cron\.no-cron-env\]$/);
    assert.match(lines[1], /^deployspec\.yml: error envsecret is true but billing has no config file in production.*\[envsecret\.no-config\] \(production\)$/);
    assert.match(r.stderr, /2 errors in billing \(staging, production\)/);
    const json = await runSgn(['lint', '--project', 'billing', '--json', '-c', clusters], { env: cliEnv(url), cwd: folders.billing });
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout).findings.map((f: { rule: string; envs: string[] }) => [f.rule, f.envs]), [['cron.no-cron-env', ['staging', 'production']], ['envsecret.no-config', ['production']]]);
  });

  it('Given the web checkout with config files in both envs, When `sgn lint`, Then no findings and exit 0', async () => {
    for (const env of ['staging', 'production']) await s3.send(new PutObjectCommand({ Bucket: 'k8s-deployer-config', Key: `web/${env}/config`, Body: 'A=1\n' }));
    const r = await runSgn(['lint', '-c', clusters], { env: cliEnv(url), cwd: folders.web });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /No problems in web \(staging, production\)/);
  });
});
