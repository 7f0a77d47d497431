import assert from 'node:assert/strict';
import {
  CodePipelineClient,
  CreatePipelineCommand,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  ListPipelinesCommand,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-codepipeline';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { clientConfig, motoServer } from '../helpers/aws.js';
import { codebuildServer } from '../helpers/codebuild.js';
import { codepipelineServer } from '../helpers/codepipeline.js';
import type { CodepipelineEmulator } from '../../src/sandbox/codepipeline-emulator.js';
import type { CodebuildEmulator } from '../../src/sandbox/codebuild-emulator.js';
import { gitCommit, seedDemoPipelines, seedFinishedExecution } from '../../src/sandbox/fixtures-pipelines.js';
import { gitTag, seedDemoDeploys } from '../../src/sandbox/fixtures-deploy.js';
import { deployClients } from '../helpers/deployer.js';
import { tagMatchesCommit } from '../../src/services/status/model.js';

describe('CodePipeline emulator, through the AWS SDK', () => {
  let emulator: CodepipelineEmulator;
  let codebuild: CodebuildEmulator;
  let client: CodePipelineClient;
  let url: string;

  before(async () => {
    const served = await codepipelineServer();
    emulator = served.emulator;
    url = served.url;
    codebuild = (await codebuildServer()).emulator;
    client = new CodePipelineClient(clientConfig(served.url));
  });
  beforeEach(() => emulator.reset());
  after(() => client.destroy());

  it('given three executions, then ListPipelineExecutions is newest first, with the commit, trigger and times as dates', async () => {
    emulator.createPipeline('web');
    const t0 = Date.now() - 3_600_000;
    const ids = [0, 1, 2].map((i) => emulator.startExecution('web', { at: new Date(t0 + i * 60_000), revision: { id: gitCommit(`web-${i}`), summary: `commit ${i}` } }));
    const out = await client.send(new ListPipelineExecutionsCommand({ pipelineName: 'web' }));
    assert.deepEqual(out.pipelineExecutionSummaries?.map((e) => e.pipelineExecutionId), [...ids].reverse());
    const newest = out.pipelineExecutionSummaries![0];
    assert.equal(newest.status, 'InProgress');
    assert.deepEqual(newest.sourceRevisions, [{ actionName: 'Source', revisionId: gitCommit('web-2'), revisionSummary: 'commit 2' }]);
    assert.equal(newest.trigger?.triggerType, 'WebhookV2');
    assert.equal(newest.startTime?.getTime(), t0 + 120_000);
    const paged = await client.send(new ListPipelineExecutionsCommand({ pipelineName: 'web', maxResults: 2 }));
    assert.equal(paged.pipelineExecutionSummaries?.length, 2);
    const rest = await client.send(new ListPipelineExecutionsCommand({ pipelineName: 'web', maxResults: 2, nextToken: paged.nextToken }));
    assert.deepEqual(rest.pipelineExecutionSummaries?.map((e) => e.pipelineExecutionId), [ids[0]]);
    assert.equal(rest.nextToken, undefined);
  });

  it('given an execution driven to a failure in IntegrationTests, then GetPipelineState shows each stage with its latest execution and the error', async () => {
    emulator.createPipeline('web');
    const id = emulator.startExecution('web', { revision: { id: gitCommit('web-0') } });
    emulator.advance(id, { next: { externalExecutionId: 'web:1234abcd-0000-0000-0000-000000000000' } });
    emulator.advance(id);
    emulator.advance(id);
    emulator.finishStage(id, { status: 'Failed', error: { code: 'JobFailed', message: '2 tests failed' } });
    const state = await client.send(new GetPipelineStateCommand({ name: 'web' }));
    assert.deepEqual(
      state.stageStates?.map((s) => [s.stageName, s.latestExecution?.pipelineExecutionId, s.latestExecution?.status]),
      [
        ['Source', id, 'Succeeded'],
        ['Build', id, 'Succeeded'],
        ['Deploy', id, 'Succeeded'],
        ['IntegrationTests', id, 'Failed'],
      ],
    );
    assert.equal(state.stageStates![1].actionStates![0].latestExecution?.externalExecutionId, 'web:1234abcd-0000-0000-0000-000000000000');
    assert.deepEqual(state.stageStates![3].actionStates![0].latestExecution?.errorDetails, { code: 'JobFailed', message: '2 tests failed' });
    assert.equal(state.stageStates![0].actionStates![0].currentRevision?.revisionId, gitCommit('web-0'));
    assert.equal((await client.send(new GetPipelineExecutionCommand({ pipelineName: 'web', pipelineExecutionId: id }))).pipelineExecution?.status, 'Failed');
  });

  it('given a newer execution in Build, then GetPipelineState shows it in Source and Build while the older one still holds the later stages', async () => {
    emulator.createPipeline('web');
    const old = emulator.startExecution('web', { at: new Date(Date.now() - 600_000) });
    for (let i = 0; i < 3; i++) emulator.advance(old, { at: new Date(Date.now() - 500_000 + i * 1000) });
    emulator.finishStage(old, { status: 'Succeeded', at: new Date(Date.now() - 400_000) });
    const next = emulator.startExecution('web');
    emulator.advance(next);
    const state = await client.send(new GetPipelineStateCommand({ name: 'web' }));
    assert.deepEqual(
      state.stageStates?.map((s) => [s.latestExecution?.pipelineExecutionId, s.latestExecution?.status]),
      [
        [next, 'Succeeded'],
        [next, 'InProgress'],
        [old, 'Succeeded'],
        [old, 'Succeeded'],
      ],
    );
    assert.equal((await client.send(new GetPipelineExecutionCommand({ pipelineName: 'web', pipelineExecutionId: old }))).pipelineExecution?.status, 'Succeeded');
  });

  it('given two executions, then ListActionExecutions filtered by one gives its actions newest first with times, status and external ids', async () => {
    emulator.createPipeline('web');
    const t0 = Date.now() - 600_000;
    const a = emulator.startExecution('web', { at: new Date(t0) });
    emulator.advance(a, { at: new Date(t0 + 5000), next: { externalExecutionId: 'web:aaaaaaaa-0000-0000-0000-000000000000' } });
    emulator.finishStage(a, { at: new Date(t0 + 65_000), status: 'Failed', error: { code: 'JobFailed', message: 'Build terminated with state: FAILED' } });
    emulator.startExecution('web');
    const out = await client.send(new ListActionExecutionsCommand({ pipelineName: 'web', filter: { pipelineExecutionId: a } }));
    const details = out.actionExecutionDetails!;
    assert.deepEqual(
      details.map((d) => [d.stageName, d.status, d.startTime?.getTime(), d.lastUpdateTime?.getTime()]),
      [
        ['Build', 'Failed', t0 + 5000, t0 + 65_000],
        ['Source', 'Succeeded', t0, t0 + 5000],
      ],
    );
    assert.equal(details[0].output?.executionResult?.externalExecutionId, 'web:aaaaaaaa-0000-0000-0000-000000000000');
    assert.deepEqual(details[0].output?.executionResult?.errorDetails, { code: 'JobFailed', message: 'Build terminated with state: FAILED' });
    assert.equal(details[0].input?.actionTypeId?.provider, 'CodeBuild');
    assert.equal((await client.send(new ListActionExecutionsCommand({ pipelineName: 'web' }))).actionExecutionDetails?.length, 3);
  });

  it('given an unknown pipeline or execution, then the errors are the ones AWS names; ListPipelines lists the pipelines', async () => {
    emulator.createPipeline('web');
    emulator.createPipeline('api');
    await assert.rejects(client.send(new GetPipelineStateCommand({ name: 'nope' })), { name: 'PipelineNotFoundException' });
    await assert.rejects(client.send(new ListPipelineExecutionsCommand({ pipelineName: 'nope' })), { name: 'PipelineNotFoundException' });
    await assert.rejects(client.send(new GetPipelineExecutionCommand({ pipelineName: 'web', pipelineExecutionId: 'e0e0e0e0-0000-0000-0000-000000000000' })), { name: 'PipelineExecutionNotFoundException' });
    assert.deepEqual((await client.send(new ListPipelinesCommand({}))).pipelines?.map((p) => p.name), ['api', 'web']);
  });

  it('given denied access, then the call fails with AccessDeniedException naming the permission', async () => {
    emulator.createPipeline('web');
    emulator.denyAccess('GetPipelineState');
    await assert.rejects(client.send(new GetPipelineStateCommand({ name: 'web' })), (e: Error) => e.name === 'AccessDeniedException' && /codepipeline:GetPipelineState/.test(e.message));
    await client.send(new GetPipelineStateCommand({ name: 'web' }));
  });

  it('given the control endpoint, then a POST starts and advances an execution as the control functions do', async () => {
    emulator.createPipeline('web');
    const post = async (op: string, body: unknown) => (await fetch(`${url}/_sgn/codepipeline/${op}`, { method: 'POST', body: JSON.stringify(body) })).json() as Promise<Record<string, unknown>>;
    const { executionId } = (await post('start', { pipeline: 'web', revision: { id: gitCommit('x') } })) as { executionId: string };
    assert.deepEqual(await post('advance', { executionId }), { status: 'InProgress', stage: 'Build', pipeline: 'web' });
    assert.deepEqual(await post('finish', { executionId, status: 'Failed' }), { status: 'Failed', stage: 'Build', pipeline: 'web' });
    assert.match(String((await post('advance', { executionId })).error), /already ended/);
  });

  it('given the demo, then every project has a pipeline; worker ran the tag staging runs and it failed in IntegrationTests; web has one running in Build', async () => {
    const logs = new CloudWatchLogsClient(clientConfig((await motoServer()).url));
    codebuild.reset();
    codebuild.createProject('web');
    const live = codebuild.startBuild({ project: 'web' });
    const demo = await seedDemoPipelines({ codepipeline: emulator, codebuild, logs }, { projects: ['web', 'worker', 'api', 'search', 'billing'], live: { project: 'web', buildId: () => live } });
    try {
      const worker = (await client.send(new ListPipelineExecutionsCommand({ pipelineName: 'worker' }))).pipelineExecutionSummaries!;
      assert.equal(worker[0].status, 'Failed');
      assert.ok(worker[0].sourceRevisions![0].revisionId!.startsWith(gitTag('worker-3').slice(4)));
      const state = await client.send(new GetPipelineStateCommand({ name: 'worker' }));
      assert.equal(state.stageStates![3].latestExecution?.status, 'Failed');
      const web = (await client.send(new ListPipelineExecutionsCommand({ pipelineName: 'web' }))).pipelineExecutionSummaries!;
      assert.equal(web[0].status, 'InProgress');
      assert.equal(emulator.describeExecution(demo.liveExecutionId()!)?.stage, 'Build');
      const webState = await client.send(new GetPipelineStateCommand({ name: 'web' }));
      assert.equal(webState.stageStates![1].actionStates![0].latestExecution?.externalExecutionId, live);
      assert.deepEqual(web.map((e) => e.status), ['InProgress', 'Succeeded', 'Failed', 'Succeeded', 'Succeeded', 'Succeeded']);
      // Every tag the deploy demo seeds was built by an execution of its pipeline, and only
      // worker's staging tag failed its integration tests.
      const seeds = await seedDemoDeploys(deployClients((await motoServer()).url), { table: `demo_check_${Date.now()}` });
      for (const seed of seeds) {
        const listed = (await client.send(new ListPipelineExecutionsCommand({ pipelineName: seed.project }))).pipelineExecutionSummaries!;
        for (const [env, d] of Object.entries(seed.deployed)) {
          const built = listed.find((e) => e.sourceRevisions?.some((r) => tagMatchesCommit(d.tag, r.revisionId)));
          assert.ok(built, `${seed.project} ${env} runs ${d.tag}, which no demo execution built`);
          assert.equal(built.status, seed.project === 'worker' && env === 'staging' ? 'Failed' : 'Succeeded', `${seed.project} ${env}`);
        }
      }
      const billing = (await client.send(new ListPipelineExecutionsCommand({ pipelineName: 'billing' }))).pipelineExecutionSummaries!;
      assert.deepEqual(billing[0].sourceRevisions, []);
      // The live build ends: the execution's Build succeeds, then the sandbox stops it (its demo never deploys).
      codebuild.finishBuild(live, { status: 'SUCCEEDED' });
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal(emulator.describeExecution(demo.liveExecutionId()!)?.status, 'Stopped');
    } finally {
      demo.stop();
      logs.destroy();
    }
  });

  it('given a finished execution seeded with a failed build, then its Build action names that build and the build FAILED', async () => {
    const logs = new CloudWatchLogsClient(clientConfig((await motoServer()).url));
    try {
      const seeded = await seedFinishedExecution({ codepipeline: emulator, codebuild, logs }, { pipeline: 'api', commit: { sha: gitCommit('api-x'), message: 'x' }, startedAt: new Date(Date.now() - 3_600_000), outcome: { status: 'Failed', stage: 'Build' } });
      assert.equal(codebuild.describeBuild(seeded.buildId!)?.buildStatus, 'FAILED');
      const details = (await client.send(new ListActionExecutionsCommand({ pipelineName: 'api', filter: { pipelineExecutionId: seeded.executionId } }))).actionExecutionDetails!;
      assert.equal(details[0].output?.executionResult?.externalExecutionId, seeded.buildId);
      assert.match(details[0].output?.executionResult?.errorDetails?.message ?? '', /FAILED/);
    } finally {
      logs.destroy();
    }
  });
});

describe('CodePipeline in moto (canary: drop the emulation once this fails)', () => {
  it('given a pipeline in moto, then moto still serves neither GetPipelineState nor ListActionExecutions, and its executions have no source revision and never run', async () => {
    const moto = await motoServer();
    const config = clientConfig(moto.url);
    const cp = new CodePipelineClient(config);
    try {
      // moto's CreatePipeline wants a role CodePipeline may assume; sgn has no IAM client, so the
      // role is created with IAM's query protocol directly (moto does not check signatures).
      const roleName = `canary-codepipeline-${Date.now()}`;
      const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'codepipeline.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
      const created = await fetch(moto.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0' },
        body: new URLSearchParams({ Action: 'CreateRole', Version: '2010-05-08', RoleName: roleName, AssumeRolePolicyDocument: policy }).toString(),
      });
      assert.equal(created.status, 200, await created.clone().text());
      const roleArn = /<Arn>([^<]+)<\/Arn>/.exec(await created.text())![1];
      const name = `canary-${Date.now()}`;
      const action = (n: string, category: string, provider: string, owner = 'AWS') => ({ name: n, actionTypeId: { category, owner, provider, version: '1' }, configuration: {} }) as never;
      await cp.send(
        new CreatePipelineCommand({
          pipeline: {
            name,
            roleArn,
            artifactStore: { type: 'S3', location: 'canary-artifacts' },
            stages: [
              { name: 'Source', actions: [action('Source', 'Source', 'S3')] },
              { name: 'Build', actions: [action('Build', 'Build', 'CodeBuild')] },
            ],
          },
        }),
      );
      await cp.send(new StartPipelineExecutionCommand({ name }));
      // Raw JSON 1.1 calls: moto answers ListPipelineExecutions with ISO timestamps, which the SDK
      // cannot even parse (it expects epoch seconds), another reason the reads are emulated.
      const call = async (op: string, body: unknown) => {
        const res = await fetch(moto.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': `CodePipeline_20150709.${op}`,
            authorization: 'AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/codepipeline/aws4_request, SignedHeaders=host, Signature=0',
          },
          body: JSON.stringify(body),
        });
        return { status: res.status, text: await res.text() };
      };
      const listed = await call('ListPipelineExecutions', { pipelineName: name });
      assert.equal(listed.status, 200, listed.text);
      const [summary] = (JSON.parse(listed.text) as { pipelineExecutionSummaries: { status: string; sourceRevisions: unknown[]; startTime: unknown }[] }).pipelineExecutionSummaries;
      assert.deepEqual([summary.status, summary.sourceRevisions, typeof summary.startTime], ['Succeeded', [], 'string'], 'moto now runs executions (or sends epoch times): check whether the emulation is still needed');
      for (const [op, body] of [
        ['GetPipelineState', { name }],
        ['ListActionExecutions', { pipelineName: name }],
      ] as const) {
        const res = await call(op, body);
        assert.notEqual(res.status, 200, `moto now serves ${op} (${res.text.slice(0, 200)}): serve it from moto and drop it from src/sandbox/codepipeline-emulator.ts`);
      }
    } finally {
      cp.destroy();
    }
  });
});
