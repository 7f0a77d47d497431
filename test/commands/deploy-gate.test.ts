import assert from 'node:assert/strict';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { cliEnv, resetMoto } from '../helpers/aws.js';
import { runSgn } from '../helpers/cli.js';
import { codepipelineServer } from '../helpers/codepipeline.js';
import { deployClients, deployerEmulator, deployNames } from '../helpers/deployer.js';
import type { CodepipelineEmulator } from '../../src/sandbox/codepipeline-emulator.js';
import { createDeployTable } from '../../src/sandbox/fixtures.js';
import { gitTag, putKubeConfigs, seedProject, type DeployClients } from '../../src/sandbox/fixtures-deploy.js';
import { gitCommit } from '../../src/sandbox/fixtures-pipelines.js';

describe('sgn deploy: the promotion gate (integration tests of the tag), against moto, the deployer and CodePipeline emulators', function () {
  this.timeout(120_000);
  let env: NodeJS.ProcessEnv;
  let clients: DeployClients;
  let cp: CodepipelineEmulator;
  let control: Awaited<ReturnType<typeof deployerEmulator>>['control'];
  let motoUrl: string;
  const now = Date.now();
  const prodTag = gitTag('gate-1');
  const stagingTag = gitTag('gate-2');

  before(async function () {
    this.timeout(300_000);
    const e = await deployerEmulator();
    motoUrl = e.motoUrl;
    control = e.control;
    clients = deployClients(motoUrl);
    const served = await codepipelineServer();
    cp = served.emulator;
    env = cliEnv(motoUrl, { AWS_ENDPOINT_URL_LAMBDA: e.url, AWS_ENDPOINT_URL_CODEPIPELINE: served.url });
  });

  beforeEach(async () => {
    await resetMoto(motoUrl);
    await control.reset();
    cp.reset();
    await createDeployTable(clients.dynamodb, deployNames.table);
    await putKubeConfigs(clients.s3, deployNames.configBucket, ['staging', 'production']);
    await seedProject(clients, { table: deployNames.table }, {
      project: 'gate',
      builds: [prodTag, stagingTag],
      deployed: { staging: { tag: stagingTag, at: new Date(now - 600_000) }, production: { tag: prodTag, at: new Date(now - 86_400_000) } },
    });
    cp.createPipeline('gate');
    // production's tag went through the whole pipeline long ago.
    passAll(run('gate-1', 2 * 86_400_000));
  });
  afterEach(async () => control.idle());

  /** Starts an execution of the commit behind gitTag(name), `agoMs` ago. */
  const run = (name: string, agoMs: number) => cp.startExecution('gate', { at: new Date(now - agoMs), revision: { id: gitCommit(name), summary: `commit ${name}` } });
  /** Moves an execution to its IntegrationTests stage (running). */
  const toTests = (id: string) => {
    for (let i = 0; i < 3; i++) cp.advance(id);
    return id;
  };
  const passAll = (id: string) => cp.finishStage(toTests(id), { status: 'Succeeded' });
  const production = async () => (await clients.dynamodb.send(new GetItemCommand({ TableName: deployNames.table, Key: { Application: { S: 'gate' }, Env: { S: 'production' } }, ConsistentRead: true }))).Item?.Tag?.S;
  const invocations = async () => (await control.invocations()).filter((i) => i.project === 'gate');

  it('given the tag staging runs failed its integration tests, then production is refused (exit 1) naming the execution and how to see it, and nothing is invoked', async () => {
    const id = toTests(run('gate-2', 900_000));
    cp.finishStage(id, { status: 'Failed', error: { code: 'JobFailed', message: '4 of 50 tests failed' } });
    const res = await runSgn(['deploy', 'gate', 'production', '--yes'], { env });
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, new RegExp(`tests +✗ IntegrationTests failed \\(execution ${id}: 4 of 50 tests failed\\)`));
    assert.match(res.stderr, new RegExp(`Error: gate ${stagingTag} failed its integration tests \\(IntegrationTests\\) in execution ${id} of pipeline gate: 4 of 50 tests failed; sgn deploys nothing to protected production\\.`));
    assert.match(res.stderr, /Hint: See it: `sgn status gate` or `aws codepipeline list-action-executions --pipeline-name gate --filter pipelineExecutionId=[\w-]+`\. To promote it anyway: --skip-checks/);
    assert.equal((await invocations()).length, 0);
    assert.equal(await production(), prodTag);
    const json = await runSgn(['deploy', 'gate', 'production', '--yes', '--json'], { env });
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).error.code, 'deploy.gate');
  });

  it('given failed integration tests and --skip-checks, then it deploys, saying so', async () => {
    cp.finishStage(toTests(run('gate-2', 900_000)), { status: 'Failed' });
    const res = await runSgn(['deploy', 'gate', 'production', '--yes', '--skip-checks'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, new RegExp(`! Integration tests of ${stagingTag}: IntegrationTests failed .*\\(--skip-checks: promoting anyway\\)\\.`));
    assert.equal(await production(), stagingTag);
    assert.equal((await invocations()).length, 1);
  });

  it('given failed integration tests and the setting promotionGate off, then it deploys without reading CodePipeline', async () => {
    cp.finishStage(toTests(run('gate-2', 900_000)), { status: 'Failed' });
    const res = await runSgn(['-c', 'promotionGate=false', 'deploy', 'gate', 'production', '--yes'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /tests +- not checked \(setting promotionGate is off\)/);
    assert.deepEqual(cp.calls(), {}, 'no CodePipeline request');
    assert.equal(await production(), stagingTag);
  });

  it('given integration tests still running, then production is refused with the way to wait for them', async () => {
    const id = toTests(run('gate-2', 300_000));
    const res = await runSgn(['deploy', 'gate', 'production', '--yes'], { env });
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, new RegExp(`gate ${stagingTag} has not finished its integration tests \\(IntegrationTests\\) in execution ${id} of pipeline gate`));
    assert.match(res.stderr, /`sgn status gate --watch --exit-status && sgn deploy gate production`/);
    assert.equal((await invocations()).length, 0);
  });

  it('given no execution built the tag (older than the history), then the plan says so and it deploys with a warning', async () => {
    const res = await runSgn(['deploy', 'gate', 'production', '--yes'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, new RegExp(`tests +! no execution of pipeline gate built ${stagingTag} \\(older ones leave the history\\): not checked`));
    assert.match(res.stderr, new RegExp(`! Integration tests of ${stagingTag}: no execution of pipeline gate built`));
    assert.equal(await production(), stagingTag);
  });

  it('given passed integration tests, then the plan shows them passed and it deploys', async () => {
    passAll(run('gate-2', 900_000));
    // A newer execution of another commit does not matter: the gate reads the tag's own.
    cp.finishStage(toTests(run('gate-3', 60_000)), { status: 'Failed' });
    const res = await runSgn(['deploy', 'gate', 'production', '--yes'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /tests +✓ IntegrationTests passed \(execution [\w-]+\)/);
    assert.ok(!/! Integration tests/.test(res.stderr));
    assert.equal(await production(), stagingTag);
  });

  it('given a pipeline without the integration stage, then the gate says it found none and lets it through', async () => {
    cp.reset();
    cp.createPipeline('gate', { stages: [{ name: 'Source', actions: [{ name: 'Source', category: 'Source', provider: 'S3' }] }, { name: 'Build', actions: [{ name: 'Build', category: 'Build', provider: 'CodeBuild' }] }] });
    const id = run('gate-2', 600_000);
    cp.advance(id);
    cp.finishStage(id, { status: 'Succeeded' });
    const res = await runSgn(['deploy', 'gate', 'production', '--yes'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /! Integration tests of git-\w+: pipeline gate has no IntegrationTests stage: not checked/);
  });
});
