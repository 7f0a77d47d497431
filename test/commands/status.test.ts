import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CodePipelineClient, ListActionExecutionsCommand, ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientConfig, cliEnv, motoServer } from '../helpers/aws.js';
import { runSgn, sgnBin, type CliResult } from '../helpers/cli.js';
import { codebuildServer } from '../helpers/codebuild.js';
import { codepipelineServer } from '../helpers/codepipeline.js';
import { plain, runSgnInPty } from '../helpers/pty.js';
import { parseStatus } from '../../src/commands/status.js';
import { UsageError } from '../../src/errors.js';
import type { CodepipelineEmulator } from '../../src/sandbox/codepipeline-emulator.js';
import type { CodebuildEmulator } from '../../src/sandbox/codebuild-emulator.js';
import { createDeployTable, putDeployRecords } from '../../src/sandbox/fixtures.js';
import { gitTag } from '../../src/sandbox/fixtures-deploy.js';
import { codestarSummary, gitCommit, seedFinishedExecution } from '../../src/sandbox/fixtures-pipelines.js';
import type { StatusModel } from '../../src/services/status/model.js';

const table = 'status_test_deploys';
const minutes = (n: number) => new Date(Date.now() - n * 60_000);

/** The CLI as a running process whose output a test waits on before it moves the pipeline. */
function startSgn(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [sgnBin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers: { re: RegExp; resolve: (at: number) => void }[] = [];
  const check = () => {
    for (const w of [...watchers]) {
      if (w.re.test(stdout)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(performance.now());
      }
    }
  };
  child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), check()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return {
    done,
    /** Resolves (with the time it saw it) once stdout matches. */
    waitFor: (re: RegExp) =>
      Promise.race([
        new Promise<number>((resolve) => {
          watchers.push({ re, resolve });
          check();
        }),
        done.then((r) => {
          throw new Error(`sgn ended (exit ${r.code}) before stdout matched ${re}:\n${r.stdout}\n${r.stderr}`);
        }),
      ]),
  };
}

describe('sgn status', () => {
  describe('parse', () => {
    it('given no flags, then five executions, no watch', () => {
      assert.deepEqual(parseStatus([], {}), { project: undefined, limit: 5, watch: false, wait: false, exitStatus: false, intervalMs: 2000, json: false });
    });
    it('given --wait, then it watches; --interval in seconds', () => {
      assert.deepEqual(parseStatus(['web'], { wait: true, exitStatus: true, interval: '3' }), { project: 'web', limit: 5, watch: true, wait: true, exitStatus: true, intervalMs: 3000, json: false });
    });
    it('given a bad limit, --exit-status without --watch, or a bad project, then a usage error', () => {
      assert.throws(() => parseStatus(['web'], { limit: '0' }), UsageError);
      assert.throws(() => parseStatus(['web'], { limit: 'ten' }), /--limit takes a number/);
      assert.throws(() => parseStatus(['web'], { exitStatus: true }), /add --watch/);
      assert.throws(() => parseStatus(['web'], { interval: '0.5', watch: true }), /--interval takes seconds/);
      assert.throws(() => parseStatus(['../etc'], {}), /not a valid project name/);
    });
  });

  describe('against moto and the emulators', function () {
    this.timeout(120_000);
    let cp: CodepipelineEmulator;
    let cb: CodebuildEmulator;
    let cpUrl: string;
    let env: NodeJS.ProcessEnv;
    let logs: CloudWatchLogsClient;
    let db: DynamoDBClient;
    const seeded: Record<string, { executionId: string; buildId?: string }> = {};

    before(async () => {
      const moto = await motoServer();
      const served = await codepipelineServer();
      cp = served.emulator;
      cpUrl = served.url;
      const cbServed = await codebuildServer();
      cb = cbServed.emulator;
      cp.reset();
      logs = new CloudWatchLogsClient(clientConfig(moto.url));
      db = new DynamoDBClient(clientConfig(moto.url));
      env = cliEnv(moto.url, { AWS_ENDPOINT_URL_CODEPIPELINE: served.url, AWS_ENDPOINT_URL_CODEBUILD: cbServed.url, SGN_TABLE: table });
      await createDeployTable(db, table);
      // shop: production runs shop-1, staging runs shop-2 (whose integration tests failed); a
      // broken build in between; shop-3 is in its Build stage now.
      await putDeployRecords(db, table, [
        { project: 'shop', env: 'staging', tag: gitTag('shop-2'), deployed: minutes(30) },
        { project: 'shop', env: 'production', tag: gitTag('shop-1'), deployed: minutes(2 * 1440) },
      ]);
      const deps = { codepipeline: cp, codebuild: cb, logs };
      seeded.one = await seedFinishedExecution(deps, { pipeline: 'shop', commit: { sha: gitCommit('shop-1'), message: 'Add the basket' }, startedAt: minutes(2 * 1440 + 60), outcome: { status: 'Succeeded' } });
      seeded.broken = await seedFinishedExecution(deps, { pipeline: 'shop', commit: { sha: gitCommit('shop-broken'), message: 'Upgrade the bundler\n\nLong body' }, startedAt: minutes(1440), outcome: { status: 'Failed', stage: 'Build' } });
      seeded.two = await seedFinishedExecution(deps, {
        pipeline: 'shop',
        commit: { sha: gitCommit('shop-2'), message: 'Pay with vouchers' },
        startedAt: minutes(40),
        outcome: { status: 'Failed', stage: 'IntegrationTests', error: { code: 'JobFailed', message: '2 of 40 tests failed' } },
      });
      const running = cp.startExecution('shop', { at: minutes(2), revision: { id: gitCommit('shop-3'), summary: codestarSummary('Faster search') } });
      cp.advance(running, { at: minutes(1.9), next: { externalExecutionId: 'shop:00000000-1111-2222-3333-444444444444' } });
      seeded.running = { executionId: running };
    });
    after(() => {
      logs.destroy();
      db.destroy();
    });

    it('given succeeded, failed and running executions, when piped, then one screen: envs with the integration result and promotion, executions newest first with stages and failures', async () => {
      const res = await runSgn(['status', 'shop'], { env });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stderr, '');
      const lines = res.stdout.split('\n');
      const expect = [
        /^shop · pipeline shop · us-east-1$/,
        /^$/,
        /^Environments$/,
        new RegExp(`^  staging     ${gitTag('shop-2')}  30m ago  ✗ integration tests failed \\(execution ${seeded.two.executionId.slice(0, 8)}\\)$`),
        new RegExp(`^  production  ${gitTag('shop-1')}  2d ago   waiting for promotion: staging runs ${gitTag('shop-2')}$`),
        /^$/,
        /^Executions \(newest first\)$/,
        new RegExp(`^  ● InProgress ${gitCommit('shop-3').slice(0, 7)}  Faster search +2m ago$`),
        /^ {6}✓ Source 6\.0s › ● Build 1m5\ds › · Deploy › · IntegrationTests$/,
        new RegExp(`^  ✗ Failed     ${gitCommit('shop-2').slice(0, 7)}  Pay with vouchers +40m ago$`),
        /^ {6}✓ Source 4\.0s › ✓ Build \S+ › ✓ Deploy 41\.0s › ✗ IntegrationTests 3m06s$/,
        /^ {6}IntegrationTests failed: 2 of 40 tests failed$/,
        new RegExp(`^ {6}see: aws codepipeline list-action-executions --pipeline-name shop --filter pipelineExecutionId=${seeded.two.executionId}$`),
        new RegExp(`^  ✗ Failed     ${gitCommit('shop-broken').slice(0, 7)}  Upgrade the bundler +1d ago$`),
        /^ {6}✓ Source 4\.0s › ✗ Build \S+ › · Deploy › · IntegrationTests$/,
        /^ {6}Build failed: Build terminated with state: FAILED\. Error while executing command: make shop\. Reason: exit status 2$/,
        new RegExp(`^ {6}see: sgn logs tail --build ${seeded.broken.buildId} --failed$`),
        new RegExp(`^  ✓ Succeeded  ${gitCommit('shop-1').slice(0, 7)}  Add the basket +2d ago$`),
        /^ {6}✓ Source 4\.0s › ✓ Build \S+ › ✓ Deploy 41\.0s › ✓ IntegrationTests 3m06s$/,
        /^$/,
      ];
      assert.equal(lines.length, expect.length, res.stdout);
      expect.forEach((re, i) => assert.match(lines[i], re, `line ${i + 1}`));
      assert.ok(!/\u001b\[/.test(res.stdout), 'no colour when piped'); // eslint-disable-line no-control-regex
    });

    it('given a terminal, then the same screen, in colour', async () => {
      const res = await runSgnInPty(['status', 'shop', '--limit', '2'], { env, steps: [] });
      assert.equal(res.code, 0, res.output);
      assert.match(res.output, /\u001b\[3\dm/, 'coloured'); // eslint-disable-line no-control-regex
      const screen = plain(res.output);
      assert.match(screen, /Environments\n {2}staging {5}git-\w{7} {2}30m ago {2}✗ integration tests failed/);
      assert.match(screen, /● InProgress \w{7} {2}Faster search/);
      assert.match(screen, /✗ Failed {5}\w{7} {2}Pay with vouchers/);
      assert.ok(!screen.includes('Upgrade the bundler'), '--limit 2 shows two executions');
    });

    it('given --json, then the model matches what the emulator holds: ids, statuses, commits and each stage', async () => {
      const res = await runSgn(['status', 'shop', '--json'], { env });
      assert.equal(res.code, 0, res.stderr);
      const model = JSON.parse(res.stdout) as StatusModel;
      const client = new CodePipelineClient(clientConfig(cpUrl));
      try {
        const held = (await client.send(new ListPipelineExecutionsCommand({ pipelineName: 'shop', maxResults: 5 }))).pipelineExecutionSummaries!;
        assert.deepEqual(
          model.executions.map((e) => [e.id, e.status, e.commit?.sha, e.startedAt]),
          held.map((h) => [h.pipelineExecutionId, h.status, h.sourceRevisions?.[0]?.revisionId, h.startTime?.toISOString()]),
        );
        for (const e of model.executions) {
          const actions = (await client.send(new ListActionExecutionsCommand({ pipelineName: 'shop', filter: { pipelineExecutionId: e.id } }))).actionExecutionDetails!;
          for (const s of e.stages) {
            const a = actions.find((x) => x.stageName === s.name);
            assert.equal(s.status, a ? a.status : e.status === 'InProgress' ? 'Pending' : 'NotRun', `${e.id} ${s.name}`);
            if (a) assert.equal(s.startedAt, a.startTime?.toISOString());
            if (a && a.status !== 'InProgress') assert.equal(s.endedAt, a.lastUpdateTime?.toISOString());
          }
        }
      } finally {
        client.destroy();
      }
      assert.deepEqual(model.stages, ['Source', 'Build', 'Deploy', 'IntegrationTests']);
      assert.deepEqual(
        model.environments.map((e) => [e.env, e.tag, e.waiting?.tag]),
        [
          ['staging', gitTag('shop-2'), undefined],
          ['production', gitTag('shop-1'), gitTag('shop-2')],
        ],
      );
      assert.deepEqual(
        model.integration.map((i) => [i.env, i.tag, i.result, i.execution?.id]),
        [['staging', gitTag('shop-2'), 'failed', seeded.two.executionId]],
      );
    });

    it('given an unknown pipeline, then close names; given no access, then the permission is named (exit 4)', async () => {
      const typo = await runSgn(['status', 'shopp'], { env });
      assert.equal(typo.code, 1);
      assert.match(typo.stderr, /No pipeline named shopp in us-east-1\./);
      assert.match(typo.stderr, /Close names that exist: shop\./);
      cp.denyAccess('GetPipelineState');
      const denied = await runSgn(['status', 'shop'], { env });
      assert.equal(denied.code, 4, denied.stderr);
      assert.match(denied.stderr, /codepipeline:GetPipelineState/);
    });

    it('given a pipeline with other stage names and an execution without a source revision, then they are shown as they are and the integration result says there is no such stage', async () => {
      cp.createPipeline('legacy', {
        stages: [
          { name: 'Checkout', actions: [{ name: 'Checkout', category: 'Source', provider: 'S3' }] },
          { name: 'Compile', actions: [{ name: 'Compile', category: 'Build', provider: 'CodeBuild' }] },
        ],
      });
      const id = cp.startExecution('legacy', { at: minutes(10), trigger: { triggerType: 'StartPipelineExecution', triggerDetail: 'arn:aws:iam::123456789012:user/ana' } });
      cp.advance(id, { at: minutes(9) });
      cp.finishStage(id, { at: minutes(8), status: 'Succeeded' });
      await putDeployRecords(db, table, [{ project: 'legacy', env: 'staging', tag: 'git-abcdef0', deployed: minutes(5) }]);
      const res = await runSgn(['status', 'legacy'], { env });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /staging {5}git-abcdef0 {2}5m ago {3}\? the pipeline has no IntegrationTests stage/);
      assert.match(res.stdout, /✓ Succeeded {2}\(no commit\) +10m ago by ana\n {6}✓ Checkout 1m00s › ✓ Compile 1m00s\n/);
      assert.match(res.stderr, /! Pipeline legacy has no stage named Build \(setting buildStage\); its stages are Checkout, Compile\./);
      const renamed = await runSgn(['-c', 'integrationStage=compile', 'status', 'legacy', '--json'], { env });
      assert.equal((JSON.parse(renamed.stdout) as StatusModel).integration[0].result, 'no-execution');
    });

    describe('--watch', () => {
      for (const end of ['Succeeded', 'Failed'] as const) {
        it(`given an execution the test drives to ${end}, when piped, then every stage change is printed once, in order, and --exit-status exits ${end === 'Succeeded' ? 0 : 1}`, async () => {
          const pipeline = `watch-${end.toLowerCase()}`;
          cp.createPipeline(pipeline);
          const id = cp.startExecution(pipeline, { revision: { id: gitCommit(pipeline), summary: codestarSummary('Watch me') } });
          const sgn = startSgn(['status', pipeline, '--watch', '--exit-status', '--interval', '1'], env);
          // Each step waits for the line of the one before: no event can overtake another.
          await sgn.waitFor(/● Source running\n/);
          cp.advance(id, { next: { externalExecutionId: `${pipeline}:11111111-2222-3333-4444-555555555555` } });
          await sgn.waitFor(/● Build running\n/);
          cp.advance(id);
          await sgn.waitFor(/● Deploy running\n/);
          cp.advance(id);
          await sgn.waitFor(/● IntegrationTests running\n/);
          if (end === 'Succeeded') cp.finishStage(id, { status: 'Succeeded' });
          else cp.finishStage(id, { status: 'Failed', error: { code: 'JobFailed', message: '1 of 9 tests failed' } });
          const res = await sgn.done;
          assert.equal(res.code, end === 'Succeeded' ? 0 : 1, res.stderr);
          const lines = res.stdout.trimEnd().split('\n');
          assert.match(lines[0], new RegExp(`^Execution ${id} of ${pipeline}: ${gitCommit(pipeline).slice(0, 7)} Watch me, started \\d+s ago$`));
          const rest = lines.slice(1).map((l) => l.replace(/ (in|after) \d+\.\ds/, ' $1 T'));
          const tail =
            end === 'Succeeded'
              ? ['✓ IntegrationTests succeeded in T', `✓ Execution ${id.slice(0, 8)} succeeded in T`]
              : ['✗ IntegrationTests failed after T: 1 of 9 tests failed', `  see: aws codepipeline list-action-executions --pipeline-name ${pipeline} --filter pipelineExecutionId=${id}`, `✗ Execution ${id.slice(0, 8)} failed after T`];
          assert.deepEqual(rest, ['● Source running', '✓ Source succeeded in T', '● Build running', '✓ Build succeeded in T', '● Deploy running', '✓ Deploy succeeded in T', '● IntegrationTests running', ...tail]);
        });
      }

      it('given --wait and no running execution, then it waits for the next one and follows it', async () => {
        const pipeline = 'watch-next';
        cp.createPipeline(pipeline);
        const old = cp.startExecution(pipeline, { at: minutes(60) });
        cp.stopExecution(old, { at: minutes(59) });
        const sgn = startSgn(['status', pipeline, '--wait', '--interval', '1'], env);
        const child = await Promise.race([sgn.waitFor(/Execution/), new Promise<'none'>((r) => setTimeout(() => r('none'), 2500))]);
        assert.equal(child, 'none', 'nothing followed before the next execution starts');
        const id = cp.startExecution(pipeline, { revision: { id: gitCommit('next') } });
        await sgn.waitFor(new RegExp(`Execution ${id}`));
        cp.stopExecution(id);
        const res = await sgn.done;
        assert.equal(res.code, 0);
        assert.match(res.stderr, /Waiting for the next execution of pipeline watch-next/);
        assert.match(res.stdout, /■ Execution \w{8} stopped\n$/);
      });

      it('given a terminal, then the execution is redrawn in place until it ends', async () => {
        const pipeline = 'watch-tty';
        cp.createPipeline(pipeline);
        const id = cp.startExecution(pipeline, { revision: { id: gitCommit(pipeline), summary: 'Redraw me' } });
        const res = await runSgnInPty(['status', pipeline, '--watch', '--interval', '1'], {
          env,
          steps: [
            { waitFor: /● Source/, then: () => cp.advance(id) },
            { waitFor: /✓ Source[^\n]*● Build/, then: () => cp.finishStage(id, { status: 'Failed', error: { code: 'JobFailed', message: 'boom' } }) },
          ],
        });
        assert.equal(res.code, 0, res.output);
        assert.match(res.output, /\u001b\[\d+A\u001b\[J/, 'moves the cursor up and clears to redraw'); // eslint-disable-line no-control-regex
        assert.match(plain(res.output), /✗ Execution \w{8} failed after/);
      });
    });
  });
});
