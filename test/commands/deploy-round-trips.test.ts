import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { cliEnv, resetMoto } from '../helpers/aws.js';
import { runSgn, sgnBin } from '../helpers/cli.js';
import { codepipelineServer } from '../helpers/codepipeline.js';
import { deployClients, deployerEmulator, deployNames } from '../helpers/deployer.js';
import { waveProxies, type WaveProxies } from '../helpers/wave-proxy.js';
import type { CodepipelineEmulator } from '../../src/sandbox/codepipeline-emulator.js';
import { createDeployTable, putDeployRecords } from '../../src/sandbox/fixtures.js';
import { artifactKey, gitTag, putKubeConfigs, seedProject, type DeployClients } from '../../src/sandbox/fixtures-deploy.js';
import { gitCommit } from '../../src/sandbox/fixtures-pipelines.js';

/** A CLI run whose stderr the test can wait on, line by line, without any clock. */
function startSgn(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [sgnBin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    waiters.forEach((w) => w());
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    get stderr() {
      return stderr;
    },
    get stdout() {
      return stdout;
    },
    /** Resolves once stderr matches; fails (naming what it holds) if the run ends first or never gets there. */
    stderrMatches: (re: RegExp, what: string, failAfterMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!re.test(stderr)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`never printed ${what}; stderr so far:\n${stderr}`));
        }, failAfterMs);
        waiters.add(check);
        check();
      }),
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}

const names = (w: WaveProxies, wave: number) =>
  w.requests
    .filter((r) => r.wave === wave)
    .map((r) => r.name)
    .sort();

describe('sgn deploy: sequential round trips, counted at loopback proxies that hold every request until the test releases it', function () {
  this.timeout(120_000);
  let clients: DeployClients;
  let cp: CodepipelineEmulator;
  let control: Awaited<ReturnType<typeof deployerEmulator>>['control'];
  let motoUrl: string;
  let emulatorUrl: string;
  let pipelineUrl: string;
  const now = Date.now();
  const prodTag = gitTag('trip-1');
  const stagingTag = gitTag('trip-2');

  before(async function () {
    this.timeout(300_000);
    const e = await deployerEmulator();
    motoUrl = e.motoUrl;
    emulatorUrl = e.url;
    control = e.control;
    clients = deployClients(motoUrl);
    const served = await codepipelineServer();
    cp = served.emulator;
    pipelineUrl = served.url;
  });

  beforeEach(async () => {
    await resetMoto(motoUrl);
    await control.reset();
    cp.reset();
    await createDeployTable(clients.dynamodb, deployNames.table);
    await putKubeConfigs(clients.s3, deployNames.configBucket, ['staging', 'production']);
    await seedProject(clients, { table: deployNames.table }, {
      project: 'trip',
      builds: [prodTag, stagingTag],
      deployed: { staging: { tag: stagingTag, at: new Date(now - 600_000) }, production: { tag: prodTag, at: new Date(now - 86_400_000) } },
    });
    // The pipeline built staging's tag and its integration tests passed: the gate reads all of it.
    cp.createPipeline('trip');
    const id = cp.startExecution('trip', { at: new Date(now - 900_000), revision: { id: gitCommit('trip-2'), summary: 'commit trip-2' } });
    for (let i = 0; i < 3; i++) cp.advance(id);
    cp.finishStage(id, { status: 'Succeeded' });
  });
  afterEach(async () => control.idle());

  /** The CLI's environment with every AWS request through the wave proxies; `home` shares caches between runs. */
  const proxied = async (home?: NodeJS.ProcessEnv) => {
    const w = await waveProxies([motoUrl, emulatorUrl, pipelineUrl]);
    const direct = home ?? cliEnv(motoUrl);
    const env = { ...direct, AWS_ENDPOINT_URL: w.url(motoUrl), AWS_ENDPOINT_URL_LAMBDA: w.url(emulatorUrl), AWS_ENDPOINT_URL_CODEPIPELINE: w.url(pipelineUrl) };
    return { w, env, direct };
  };
  /** Releases the plan's two round trips and waits for the lock's write, which stays held. */
  const untilLockWrite = async (w: Awaited<ReturnType<typeof proxied>>['w']) => {
    await w.arrived(['GetItem', 'GetItem', 'GetCallerIdentity', 'HeadObject', 'ListPipelineExecutions', 'GetFunctionConfiguration', 'DescribeImages', 'Query', 'Query']);
    await w.release();
    await w.arrived(['GetObject', 'DescribeImages', 'GetPipelineState', 'ListActionExecutions']);
    await w.release();
    await w.arrived(['TransactWriteItems']);
  };
  const planShown = /Promote trip: staging -> production[\s\S]*you +arn:/;
  const record = async (envName: string) =>
    (await clients.dynamodb.send(new GetItemCommand({ TableName: deployNames.table, Key: { Application: { S: 'trip' }, Env: { S: envName } }, ConsistentRead: true }))).Item;

  it('given staging ahead and its tests passed, when deployed with --yes, then the plan is shown after two round trips and the whole deploy takes five', async () => {
    const { w, env } = await proxied();
    const run = startSgn(['--debug', 'deploy', 'trip', 'production', '--yes'], env);
    try {
      // Round trip 1: everything that needs only the names (leftover temporary records: two Queries;
      // one image of the repository opens the ECR connection for the image check).
      await w.arrived(['GetItem', 'GetItem', 'GetCallerIdentity', 'HeadObject', 'ListPipelineExecutions', 'GetFunctionConfiguration', 'DescribeImages', 'Query', 'Query']);
      assert.doesNotMatch(run.stderr, /Promote/);
      await w.release();
      // Round trip 2: what needs the source record (artifact, image) and the tag's execution.
      await w.arrived(['GetObject', 'DescribeImages', 'GetPipelineState', 'ListActionExecutions']);
      assert.doesNotMatch(run.stderr, /Promote/);
      await w.release();
      // The plan, with nothing more answered.
      await run.stderrMatches(planShown, 'the plan');
      assert.match(run.stderr, /tests +✓ IntegrationTests passed/);
      // Round trip 3: the lock, written only if both records are still those of the plan.
      await w.arrived(['TransactWriteItems']);
      await w.release();
      // Round trip 4: the one invoke.
      await w.arrived(['Invoke']);
      await w.release();
      // Round trip 5: verification, lock release and the history item, together.
      await w.arrived(['GetItem', 'DeleteItem', 'PutItem']);
      await w.passThrough();
      assert.equal(await run.exited, 0, run.stderr);
    } finally {
      run.kill();
      await w.stop();
    }
    assert.deepEqual(names(w, 1), ['DescribeImages', 'GetCallerIdentity', 'GetFunctionConfiguration', 'GetItem', 'GetItem', 'HeadObject', 'ListPipelineExecutions', 'Query', 'Query']);
    assert.deepEqual(names(w, 2), ['DescribeImages', 'GetObject', 'GetPipelineState', 'ListActionExecutions']);
    assert.deepEqual(names(w, 3), ['TransactWriteItems']);
    assert.deepEqual(names(w, 4), ['Invoke']);
    assert.deepEqual(names(w, 5), ['DeleteItem', 'GetItem', 'PutItem']);
    assert.equal(w.requests.length, 18, 'no other request');
    assert.match(run.stderr, new RegExp(`✓ Deployed trip ${stagingTag} to production`));
    // --debug: the request timeline, one line per request when it ends.
    assert.match(run.stderr, /\[debug\] request dynamodb TransactWriteItems \d+-\d+ ms\n/);
    assert.match(run.stderr, /\[debug\] request lambda Invoke \d+-\d+ ms\n/);
    assert.equal(run.stderr.match(/\[debug\] request [a-z0-9]+ [A-Za-z]+ \d+-\d+ ms/g)?.length, 18, 'one line per request');
    assert.equal((await record('production'))!.Tag.S, stagingTag);
    assert.equal(await record('sgn:lock:production'), undefined, 'the lock is released');
    assert.equal((await control.invocations()).length, 1);
  });

  it('given a staging record whose artifact is the build of another tag, known to the artifact cache, then the plan still takes two round trips', async () => {
    // The record says trip-3, the artifact behind it is the build of trip-2 (issue 16).
    await putDeployRecords(clients.dynamodb, deployNames.table, [{ project: 'trip', env: 'staging', tag: gitTag('trip-3'), deployed: new Date(now - 60_000), objectKey: artifactKey('trip', stagingTag) }]);
    const { w, env, direct } = await proxied();
    // A first plan, straight to the servers, fills the artifact cache of this HOME.
    const first = await runSgn(['deploy', 'trip', 'production', '--dry-run'], { env: { ...direct, AWS_ENDPOINT_URL_CODEPIPELINE: pipelineUrl } });
    assert.equal(first.code, 0, first.stderr);
    const run = startSgn(['deploy', 'trip', 'production', '--dry-run'], env);
    try {
      await w.arrived(['GetItem', 'GetItem', 'GetCallerIdentity', 'HeadObject', 'ListPipelineExecutions', 'DescribeImages', 'Query', 'Query']);
      await w.release();
      // The artifact (its ETag, against the cache), and image and tests of both tags at once.
      await w.arrived(['HeadObject', 'DescribeImages', 'DescribeImages', 'GetPipelineState', 'ListActionExecutions']);
      await w.release();
      await run.stderrMatches(/Dry run: nothing was invoked/, 'the dry run');
      await w.passThrough();
      assert.equal(await run.exited, 0, run.stderr);
    } finally {
      run.kill();
      await w.stop();
    }
    assert.equal(Math.max(...w.requests.map((r) => r.wave)), 2, 'no third round trip');
    assert.match(run.stderr, new RegExp(`-> ${stagingTag} \\(the staging record says ${gitTag('trip-3')}\\)`));
    assert.match(run.stderr, /tests +✓ IntegrationTests passed/, 'the gate judged the artifact\'s tag');
  });

  it('given staging redeployed between the plan and the lock, then the lock is not taken, nothing is invoked and it names the change', async () => {
    const { w, env } = await proxied();
    const run = startSgn(['deploy', 'trip', 'production', '--yes'], env);
    try {
      await untilLockWrite(w);
      // While the lock's write is held: the pipeline deploys a new build to staging.
      await putDeployRecords(clients.dynamodb, deployNames.table, [{ project: 'trip', env: 'staging', tag: gitTag('trip-4'), deployed: new Date() }]);
      await w.passThrough();
      assert.equal(await run.exited, 5, run.stderr);
    } finally {
      run.kill();
      await w.stop();
    }
    assert.match(run.stderr, new RegExp(`The records of trip changed since the plan: staging runs ${gitTag('trip-4')}, production runs ${prodTag}\\.`));
    assert.equal((await control.invocations()).length, 0);
    assert.equal(await record('sgn:lock:production'), undefined, 'no lock was written');
    assert.ok(!w.requests.some((r) => r.name === 'Invoke'));
  });

  it('given production brought to staging\'s tag between the plan and the lock, then it says so and exits 0 without invoking', async () => {
    const { w, env } = await proxied();
    const run = startSgn(['deploy', 'trip', 'production', '--yes'], env);
    try {
      await untilLockWrite(w);
      await putDeployRecords(clients.dynamodb, deployNames.table, [{ project: 'trip', env: 'production', tag: stagingTag, deployed: new Date() }]);
      await w.passThrough();
      assert.equal(await run.exited, 0, run.stderr);
    } finally {
      run.kill();
      await w.stop();
    }
    assert.match(run.stderr, new RegExp(`production already runs ${stagingTag} .*nothing to do`));
    assert.equal((await control.invocations()).length, 0);
    assert.equal(await record('sgn:lock:production'), undefined);
  });
});
