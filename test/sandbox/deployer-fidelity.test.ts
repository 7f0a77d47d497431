import assert from 'node:assert/strict';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { cliEnv, resetMoto } from '../helpers/aws.js';
import { runSgn } from '../helpers/cli.js';
import { deployClients, deployerEmulator, deployNames } from '../helpers/deployer.js';
import { createDeployTable } from '../../src/sandbox/fixtures.js';
import { artifactFiles, artifactKey, gitTag, putKubeConfigs, seedProject, type DeployClients } from '../../src/sandbox/fixtures-deploy.js';
import { writeZip } from '../../src/sandbox/zip.js';

// Issue 16, item 5: inputs for which the emulator answered "Success" where the deployer's own
// handler.py fails. Each case runs `sgn deploy` (the built CLI) against moto and the emulator;
// the expected exception type and message are the real handler's (PyYAML, Jinja2 2.10,
// kubernetes 6.0.0 as it pins them), and so are the record and the ECR tag it leaves: a failure
// before setlastDeploy leaves production's record and its ECR tag where they were.
describe('deployer emulator fails as handler.py fails (sgn deploy against moto and the emulator)', function () {
  this.timeout(120_000);
  let clients: DeployClients;
  let control: Awaited<ReturnType<typeof deployerEmulator>>['control'];
  let env: NodeJS.ProcessEnv;
  const now = Date.now();
  const oldTag = gitTag('fid-old');
  const newTag = gitTag('fid-new');

  before(async function () {
    this.timeout(300_000);
    const e = await deployerEmulator();
    control = e.control;
    clients = deployClients(e.motoUrl);
    env = cliEnv(e.motoUrl, { AWS_ENDPOINT_URL_LAMBDA: e.url });
  });

  beforeEach(async () => {
    await resetMoto(env.AWS_ENDPOINT_URL!);
    await control.reset();
    await createDeployTable(clients.dynamodb, deployNames.table);
    await putKubeConfigs(clients.s3, deployNames.configBucket, ['staging', 'production']);
    await seedProject(clients, { table: deployNames.table }, {
      project: 'shop',
      builds: [oldTag, newTag],
      deployed: { staging: { tag: newTag, at: new Date(now - 3600_000) }, production: { tag: oldTag, at: new Date(now - 86_400_000) } },
    });
  });
  afterEach(async () => control.idle());

  /** Replaces files of the staged build's artifact (null deletes one). */
  const patchArtifact = async (changes: Record<string, string | null>) => {
    const files = artifactFiles('shop', newTag).filter((f) => changes[f.name] !== null);
    for (const [name, text] of Object.entries(changes)) {
      if (text === null) continue;
      const at = files.findIndex((f) => f.name === name);
      if (at >= 0) files[at] = { name, data: Buffer.from(text) };
      else files.push({ name, data: Buffer.from(text) });
    }
    await clients.s3.send(new PutObjectCommand({ Bucket: deployNames.pipelineBucket, Key: artifactKey('shop', newTag), Body: writeZip(files) }));
  };
  const text = (name: string) => artifactFiles('shop', newTag).find((f) => f.name === name)!.data.toString();
  const record = async () =>
    (await clients.dynamodb.send(new GetItemCommand({ TableName: deployNames.table, Key: { Application: { S: 'shop' }, Env: { S: 'production' } }, ConsistentRead: true }))).Item!;
  const digest = async (tag: string) => (await clients.ecr.send(new DescribeImagesCommand({ repositoryName: 'shop', imageIds: [{ imageTag: tag }] }))).imageDetails?.[0]?.imageDigest;

  /** Deploys with sgn and checks what the real handler leaves: its exception, the old record, the old ECR tag. */
  const deployFails = async (errorType: string, message: string | RegExp) => {
    const before = await record();
    const productionDigest = await digest('production');
    const res = await runSgn(['deploy', 'shop', 'production', '--yes'], { env });
    assert.equal(res.code, 1, res.stderr);
    const [inv] = await control.invocations();
    assert.equal(inv.outcome, 'error');
    if (typeof message === 'string') assert.equal(inv.errorMessage, message);
    else assert.match(inv.errorMessage!, message);
    assert.match(res.stderr, new RegExp(`\\[ERROR\\] ${errorType}: `), 'the deployer\'s exception type is in the log tail sgn shows');
    assert.deepEqual(await record(), before, 'production\'s record is untouched');
    assert.equal(await digest('production'), productionDigest, 'the production tag still names the old image');
    assert.equal(productionDigest, await digest(oldTag));
    return { res, logs: inv };
  };
  const logText = async () => {
    const { CloudWatchLogsClient, FilterLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
    const { clientConfig } = await import('../helpers/aws.js');
    const logs = new CloudWatchLogsClient(clientConfig(env.AWS_ENDPOINT_URL!));
    return ((await logs.send(new FilterLogEventsCommand({ logGroupName: deployNames.logGroup }))).events ?? []).map((e) => e.message).join('');
  };

  it('given a deployspec without namespace, then KeyError \'namespace\' before the cluster is touched', async () => {
    await patchArtifact({ 'deployspec.yml': `commitref: ${newTag}\nenvsecret: true\nspec:\n  deploy: deploy/deployment.yml\n` });
    await deployFails('KeyError', "'namespace'");
    assert.doesNotMatch(await logText(), /Namespace "/);
  });

  it('given a deployspec without spec, then KeyError \'spec\' after the namespace was created', async () => {
    await patchArtifact({ 'deployspec.yml': `commitref: ${newTag}\nnamespace: shop\n` });
    await deployFails('KeyError', "'spec'");
    const logs = await logText();
    assert.match(logs, /Namespace "shop" created/);
    assert.doesNotMatch(logs, /Rendering /);
  });

  it('given a template listed in spec but missing from the zip, then TemplateNotFound naming it as written', async () => {
    await patchArtifact({ 'deploy/service.yml': null });
    await deployFails('TemplateNotFound', 'deploy/service.yml');
    assert.doesNotMatch(await logText(), /Service "shop"|Deployment "shop"/);
  });

  it('given a template with a tab-indented line, then ScannerError with the file, line and column, after the Service was applied', async () => {
    await patchArtifact({ 'deploy/deployment.yml': text('deploy/deployment.yml').replace('  replicas: 2', '\treplicas: 2') });
    await deployFails('ScannerError', /^while scanning for the next token\nfound character '\\t' that cannot start any token\n {2}in "\/tmp\/tmp[a-z0-9_]+\/deploy\/deployment\.yml", line 9, column 1$/);
    const logs = await logText();
    assert.match(logs, /Service "shop" created/);
    assert.doesNotMatch(logs, /Deployment "shop"/);
  });

  it('given a deployspec with a tab after a key, then ScannerError on deployspec.yml before anything else', async () => {
    await patchArtifact({ 'deployspec.yml': `commitref: ${newTag}\nnamespace:\tshop\nspec:\n  deploy: deploy/deployment.yml\n` });
    await deployFails('ScannerError', /^while scanning for the next token\nfound character '\\t' that cannot start any token\n {2}in "\/tmp\/tmp[a-z0-9_]+\/deployspec\.yml", line 2, column 11$/);
    assert.doesNotMatch(await logText(), /Namespace "/);
  });

  it('given a kube config whose current context is not among its contexts, then ConfigException in the client\'s words', async () => {
    const kubeconf = [
      'apiVersion: v1',
      'kind: Config',
      'current-context: production.domain.com',
      'clusters:',
      '- name: staging.domain.com',
      '  cluster:',
      '    server: https://api.staging.domain.com',
      'contexts:',
      '- name: staging.domain.com',
      '  context:',
      '    cluster: staging.domain.com',
      '    user: deployer',
      'users:',
      '- name: deployer',
      '  user:',
      '    token: not-a-secret',
      '',
    ].join('\n');
    await clients.s3.send(new PutObjectCommand({ Bucket: deployNames.configBucket, Key: 'k8s_deployer/production/config', Body: kubeconf }));
    await deployFails('ConfigException', 'Invalid kube-config file. Expected object with name production.domain.com in kube-config/contexts list');
    assert.doesNotMatch(await logText(), /Namespace "/);
  });

  it('given a Service without ports, then the API server\'s 422 (ApiException), and nothing recorded', async () => {
    await patchArtifact({ 'deploy/service.yml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: shop\nspec:\n  selector:\n    app: shop\n' });
    await deployFails('ApiException', /^\(422\)\nReason: Unprocessable Entity\n[\s\S]*"message":"Service \\"shop\\" is invalid: spec\.ports: Required value"/);
  });

  it('given the sandbox\'s own artifact, then every object passes and the deploy records the artifact\'s commitref and moves the tag', async () => {
    const res = await runSgn(['deploy', 'shop', 'production', '--yes'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.equal((await record()).Tag.S, newTag);
    assert.equal(await digest('production'), await digest(newTag));
    const logs = await logText();
    assert.match(logs, /Service "shop" created[\s\S]*Deployment "shop" created[\s\S]*deployment "shop" successfully rolled out/);
    assert.match(logs, /image: \d{12}\.dkr\.ecr\.us-east-1\.amazonaws\.com\/shop:git-[0-9a-f]{7}/, 'the rendered template is logged, as the handler logs it');
  });
});
