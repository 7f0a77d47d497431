import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { cliEnv, resetMoto } from '../helpers/aws.js';
import { runSgn, sgnBin } from '../helpers/cli.js';
import { deployClients, deployerEmulator, deployNames } from '../helpers/deployer.js';
import { createDeployTable, putDeployRecords } from '../../src/sandbox/fixtures.js';
import { artifactKey, expireImage, gitTag, putKubeConfigs, seedProject, type DeployClients } from '../../src/sandbox/fixtures-deploy.js';
import { writeZip } from '../../src/sandbox/zip.js';

interface HistoryJson {
  current: { env: string; tag?: string }[];
  entries: { env: string; kind: string; fromTag?: string; toTag?: string; caller: string; result: string; requestId?: string; durationMs?: number }[];
}

describe('sgn rollback, deploy --tag, history (against moto and the deployer emulator)', function () {
  this.timeout(180_000);
  let motoUrl: string;
  let env: NodeJS.ProcessEnv;
  let clients: DeployClients;
  let control: Awaited<ReturnType<typeof deployerEmulator>>['control'];
  const [b1, b2, b3] = [1, 2, 3].map((i) => gitTag(`rb-app-${i}`));
  const now = Date.now();

  before(async function () {
    this.timeout(300_000);
    const e = await deployerEmulator();
    motoUrl = e.motoUrl;
    control = e.control;
    clients = deployClients(motoUrl);
    env = cliEnv(motoUrl, { AWS_ENDPOINT_URL_LAMBDA: e.url });
  });

  beforeEach(async () => {
    await resetMoto(motoUrl);
    await control.reset();
    await createDeployTable(clients.dynamodb, deployNames.table);
    await putKubeConfigs(clients.s3, deployNames.configBucket, ['staging', 'production']);
    // Given: three builds of app; staging runs the first, production nothing yet.
    await seedProject(clients, { table: deployNames.table }, { project: 'app', builds: [b1, b2, b3], deployed: { staging: { tag: b1, at: new Date(now - 3600_000) } } });
  });
  afterEach(async () => control.idle());

  const record = async (project: string, envName: string) =>
    (await clients.dynamodb.send(new GetItemCommand({ TableName: deployNames.table, Key: { Application: { S: project }, Env: { S: envName } }, ConsistentRead: true }))).Item;
  /** Temporary source records left in the table (read with the SDK, not with sgn). */
  const temporaries = async () =>
    (
      await clients.dynamodb.send(
        new QueryCommand({ TableName: deployNames.table, KeyConditionExpression: 'Application = :p AND begins_with(Env, :s)', ExpressionAttributeValues: { ':p': { S: 'app' }, ':s': { S: 'sgn:' } }, ConsistentRead: true }),
      )
    ).Items!.filter((i) => /^sgn:(rollback|release):/.test(i.Env.S!));
  const digest = async (tag: string) => (await clients.ecr.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{ imageTag: tag }] }))).imageDetails?.[0]?.imageDigest;
  const stagingRuns = (tag: string) => putDeployRecords(clients.dynamodb, deployNames.table, [{ project: 'app', env: 'staging', tag, deployed: new Date() }]);
  const invocations = async () => (await control.invocations()).filter((i) => i.project === 'app');
  const history = async (...args: string[]) => JSON.parse((await runSgn(['history', 'app', ...args, '--json'], { env })).stdout) as HistoryJson;
  /** Promotes b1 then b2 to production, as two pipeline runs and two `sgn deploy`s would. */
  const promoteTwice = async () => {
    assert.equal((await runSgn(['deploy', 'app', 'production', '--yes'], { env })).code, 0);
    await stagingRuns(b2);
    const second = await runSgn(['deploy', 'app', 'production', '--yes'], { env });
    assert.equal(second.code, 0, second.stderr);
  };

  it('given two promotions, when `rollback --yes`, then the record, its artifact and the ECR production tag are back on the earlier release, history has three entries, and no temporary record remains', async () => {
    await promoteTwice();
    const res = await runSgn(['rollback', 'app', 'production', '--yes', '--json'], { env });
    assert.equal(res.code, 0, res.stderr);
    const json = JSON.parse(res.stdout);
    assert.equal(json.status, 'deployed');
    assert.equal(json.kind, 'rollback');
    assert.equal(json.tag, b1);
    assert.equal(json.previous.tag, b2);
    assert.deepEqual(json.payload, { 'SGNRunDeploy.job': { Application: 'app', envFrom: `sgn:rollback:${b1}@production`, envTo: 'production' } });
    assert.match(res.stderr, new RegExp(`Roll back app in production\\n {2}tag +${b2} \\(\\d+s ago\\) -> ${b1} \\(built \\d+s ago, what production ran before\\)`));
    assert.match(res.stderr, new RegExp(`✓ Rolled back app production to ${b1} in [\\d.]+s \\(was ${b2}\\)\\.`));

    const prod = (await record('app', 'production'))!;
    assert.equal(prod.Tag.S, b1);
    assert.equal(prod.objectKey.S, artifactKey('app', b1));
    assert.equal(await digest('production'), await digest(b1), 'the production tag is on the earlier image again');
    assert.deepEqual(await temporaries(), []);

    const h = await history('production');
    assert.deepEqual(
      h.entries.map((e) => [e.kind, e.fromTag ?? null, e.toTag, e.result]),
      [
        ['rollback', b2, b1, 'deployed'],
        ['promote', b1, b2, 'deployed'],
        ['promote', null, b1, 'deployed'],
      ],
    );
    for (const e of h.entries) {
      assert.match(e.caller, /^arn:aws:(iam|sts)::\d+:/);
      assert.match(e.requestId ?? '', /^[0-9a-f-]{36}$/);
    }
    assert.equal(new Set(h.entries.map((e) => e.requestId)).size, 3);
    assert.equal(json.requestId, h.entries[0].requestId);
    const listed = JSON.parse((await runSgn(['ls', 'deployed', '--project', 'app', '--json'], { env })).stdout);
    assert.deepEqual(Object.keys(listed[0].environments).sort(), ['production', 'staging'], '`ls deployed` shows neither history nor temporary items');

    const table = await runSgn(['history', 'app'], { env });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout.split('\n')[0], /^WHEN\tENV\tCHANGE\tSOURCE\tRESULT\tTOOK\tBY\tREQUEST$/);
    assert.match(table.stdout, new RegExp(`\\tproduction\\t${b2} -> ${b1}\\trollback\\tdeployed\\t`));
    assert.match(table.stderr, new RegExp(`app now: production ${b1} \\(\\d+s ago\\), staging ${b2}`));
  });

  it('given a release from two builds back, when `deploy --tag`, then production runs it and history says release', async () => {
    await stagingRuns(b3);
    assert.equal((await runSgn(['deploy', 'app', 'production', '--yes'], { env })).code, 0);
    const res = await runSgn(['deploy', 'app', 'production', '--tag', b1, '--yes'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, new RegExp(`Deploy a release of app in production\\n {2}tag +${b3} .*-> ${b1}`));
    assert.equal((await record('app', 'production'))!.Tag.S, b1);
    assert.equal((await history()).entries[0].kind, 'release');
    assert.deepEqual(await temporaries(), []);
  });

  it('given the deployer fails during the rollback, then exit 1 with what the failure left, history says failed, and no temporary record remains', async () => {
    await promoteTwice();
    await control.setFault('app', { error: 'error rolling out! Manually rollback the Deployment to restore it!' });
    const res = await runSgn(['rollback', 'app', 'production', '--yes'], { env });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /It failed during the rollout: the cluster may run/);
    assert.deepEqual(await temporaries(), []);
    assert.equal((await history('production')).entries[0].result, 'failed');
  });

  it('given Ctrl-C (SIGINT) during the invoke, then exit 130 and no temporary record remains', async () => {
    await promoteTwice();
    await control.setFault('app', { delayMs: 8000 });
    const child = spawn(process.execPath, [sgnBin, 'rollback', 'app', 'production', '--yes'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // When: the deployer has started this invocation (and the temporary record was read by it).
    for (let i = 0; i < 300 && !(await invocations()).some((x) => x.envFrom?.startsWith('sgn:rollback:') && !x.outcome); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await temporaries()).length, 1, 'the temporary record exists while the deployer runs');
    child.kill('SIGINT');
    assert.equal(await closed, 130, stderr);
    assert.match(stderr, /Interrupted: sgn stopped waiting, but the deployer may still be running/);
    assert.deepEqual(await temporaries(), [], 'deleted on Ctrl-C');
  });

  it('given a deploy and a rollback of app/production started together, then exactly one invocation, and the other exits 5 naming the holder', async () => {
    await promoteTwice();
    await stagingRuns(b3);
    await control.setFault('app', { delayMs: 5000 });
    const before = (await invocations()).length;
    const [a, b] = await Promise.all([runSgn(['deploy', 'app', 'production', '--yes'], { env }), runSgn(['rollback', 'app', 'production', '--yes'], { env })]);
    assert.equal((await invocations()).length - before, 1, `exactly one invocation\n${a.stderr}\n${b.stderr}`);
    assert.deepEqual([a.code, b.code].sort(), [0, 5]);
    const refused = a.code === 5 ? a : b;
    assert.match(refused.stderr, /app is already being deployed to production by arn:aws:(iam|sts)::\d+:\S+ on \S+ \(pid \d+\)/);
    assert.deepEqual(await temporaries(), []);
  });

  it('given the release image was expired, then the rollback is refused (exit 1) naming the image, and nothing is invoked', async () => {
    await promoteTwice();
    await expireImage(clients.ecr, 'app', b1);
    const before = (await invocations()).length;
    const res = await runSgn(['rollback', 'app', 'production', '--yes'], { env });
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`ECR repository "app" has no image tagged ${b1}`));
    assert.equal((await invocations()).length, before);
    assert.deepEqual(await temporaries(), []);
  });

  it('given the release artifact was deleted, then the rollback is refused (exit 1) naming the artifact, and nothing is invoked', async () => {
    await promoteTwice();
    await clients.s3.send(new DeleteObjectCommand({ Bucket: deployNames.pipelineBucket, Key: artifactKey('app', b1) }));
    const before = (await invocations()).length;
    const res = await runSgn(['rollback', 'app', 'production', '--yes'], { env: { ...env, XDG_CACHE_HOME: '/dev/null/no-cache' } });
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`The artifact of app ${b1} \\(s3://pipeline-artifacts/app/BuildArtif/\\w+\\) is gone`));
    assert.equal((await invocations()).length, before);
  });

  it('given an unknown tag, then exit 1 listing the nearest releases', async () => {
    const res = await runSgn(['rollback', 'app', 'production', '--to', 'git-nope', '--yes'], { env });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /git-nope is not a release of app; the nearest are git-\w+ \(built \d+s ago\)/);
    assert.match(res.stderr, /sgn releases app/);
  });

  it('given only the first deploy in the history, then "no earlier release" (exit 1); with no history and no terminal, then --to is asked for', async () => {
    assert.equal((await runSgn(['deploy', 'app', 'production', '--yes'], { env })).code, 0);
    const first = await runSgn(['rollback', 'app', 'production', '--yes'], { env });
    assert.equal(first.code, 1);
    assert.match(first.stderr, /app has no earlier release in production/);
    const none = await runSgn(['rollback', 'app', 'staging', '--yes'], { env });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /sgn has no history of app in staging/);
    assert.match(none.stderr, /sgn rollback app staging --to <tag>/);
  });

  it('given a temporary record left by a killed run, then the next run removes it and says so; a fresh one (maybe in use) is kept', async () => {
    const item = (tag: string, ageS: number) => ({
      Application: { S: 'app' },
      Env: { S: `sgn:rollback:${tag}@production` },
      Tag: { S: tag },
      bucketName: { S: deployNames.pipelineBucket },
      objectKey: { S: artifactKey('app', tag) },
      sgnTemporary: { BOOL: true },
      sgnCreated: { N: String(Math.floor(Date.now() / 1000) - ageS) },
      sgnCaller: { S: 'arn:aws:sts::123456789012:assumed-role/dev/bo' },
    });
    await clients.dynamodb.send(new PutItemCommand({ TableName: deployNames.table, Item: item(b3, 20 * 60) }));
    await clients.dynamodb.send(new PutItemCommand({ TableName: deployNames.table, Item: item(b2, 60) }));
    const res = await runSgn(['deploy', 'app', 'production', '--yes'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, new RegExp(`Removed the temporary source record sgn:rollback:${b3}@production \\(${b3}\\) that a run of arn:aws:sts::123456789012:assumed-role/dev/bo left 20m ago`));
    assert.deepEqual((await temporaries()).map((i) => i.Env.S), [`sgn:rollback:${b2}@production`]);
    assert.equal((await record('app', 'production'))!.Tag.S, b1, 'the promotion deployed staging, not the leftover');
    await clients.dynamodb.send(new DeleteItemCommand({ TableName: deployNames.table, Key: { Application: { S: 'app' }, Env: { S: `sgn:rollback:${b2}@production` } } }));
  });

  it('given --dry-run, then the plan and payload, and nothing is written or invoked', async () => {
    await promoteTwice();
    const before = (await invocations()).length;
    const res = await runSgn(['rollback', 'app', 'production', '--dry-run'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), { 'SGNRunDeploy.job': { Application: 'app', envFrom: `sgn:rollback:${b1}@production`, envTo: 'production' } });
    assert.equal((await invocations()).length, before);
    assert.deepEqual(await temporaries(), []);
  });

  describe('issue 16: the plan agrees with the deployer', () => {
    it('given a staging record whose Tag differs from its artifact\'s commitref, then the plan shows both and the deploy verifies the commitref', async () => {
      // The record says git-a0a0a01, the artifact is the build of b2 (a record written by hand).
      await putDeployRecords(clients.dynamodb, deployNames.table, [{ project: 'app', env: 'staging', tag: 'git-a0a0a01', deployed: new Date(), objectKey: artifactKey('app', b2) }]);
      const res = await runSgn(['deploy', 'app', 'production', '--yes', '--json'], { env });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, new RegExp(`The staging record says git-a0a0a01, but its artifact \\(s3://pipeline-artifacts/${artifactKey('app', b2)}\\) is the build of ${b2}: the deployer deploys and records ${b2}\\.`));
      assert.match(res.stderr, new RegExp(`-> ${b2} \\(the staging record says git-a0a0a01\\)`));
      const json = JSON.parse(res.stdout);
      assert.equal(json.tag, b2);
      assert.equal(json.recordTag, 'git-a0a0a01');
      assert.equal((await record('app', 'production'))!.Tag.S, b2);
    });

    it('given no kube config for production, then the failure is explained as before the cluster: nothing changed', async () => {
      assert.equal((await runSgn(['deploy', 'app', 'production', '--yes'], { env })).code, 0);
      await stagingRuns(b2);
      await clients.s3.send(new DeleteObjectCommand({ Bucket: deployNames.configBucket, Key: 'k8s_deployer/production/config' }));
      const res = await runSgn(['deploy', 'app', 'production', '--yes', '--json'], { env });
      assert.equal(res.code, 1);
      assert.match(res.stderr, new RegExp(`It failed before touching the cluster: nothing changed, production still runs ${b1}\\.`));
      assert.equal(JSON.parse(res.stdout).deployerError.phase, 'before-cluster');
    });

    it('given envsecret: true and no config file for production, then the plan warns; with the file, then it does not', async () => {
      const res = await runSgn(['deploy', 'app', 'production', '--dry-run'], { env });
      assert.match(res.stderr, /The build has envsecret: true, but app has no config file for production \(app\/production\/config\)/);
      await clients.s3.send(new PutObjectCommand({ Bucket: deployNames.configBucket, Key: 'app/production/config', Body: 'A=1\n' }));
      const ok = await runSgn(['deploy', 'app', 'production', '--dry-run'], { env });
      assert.doesNotMatch(ok.stderr, /envsecret/);
    });

    it('given the config file changed after the last deploy, then "nothing to do" points at --force, and --force redeploys the same tag', async () => {
      await clients.s3.send(new PutObjectCommand({ Bucket: deployNames.configBucket, Key: 'app/production/config', Body: 'A=1\n' }));
      assert.equal((await runSgn(['deploy', 'app', 'production', '--yes'], { env })).code, 0);
      const quiet = await runSgn(['deploy', 'app', 'production', '--yes'], { env });
      assert.match(quiet.stderr, /nothing to do/);
      assert.doesNotMatch(quiet.stderr, /config file changed/);
      // S3 LastModified has whole seconds: change the file in a later second than the deploy.
      await new Promise((r) => setTimeout(r, 1100));
      await clients.s3.send(new PutObjectCommand({ Bucket: deployNames.configBucket, Key: 'app/production/config', Body: 'A=2\n' }));
      const res = await runSgn(['deploy', 'app', 'production', '--yes'], { env });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /nothing to do/);
      assert.match(res.stderr, /But its config file changed \d+s ago, after that deploy: the new config only reaches the cluster with a redeploy\. Run it again with --force to apply it\./);
      const before = (await record('app', 'production'))!.Deployed.S;
      const forced = await runSgn(['deploy', 'app', 'production', '--yes', '--force'], { env });
      assert.equal(forced.code, 0, forced.stderr);
      assert.match(forced.stderr, /The config file of app in production changed \d+s ago, after production's last deploy: this deploy applies it\./);
      assert.ok(Number((await record('app', 'production'))!.Deployed.S) > Number(before));
    });

    it('given an artifact that is not a zip behind the staging record, then the plan says it cannot read it and the deployer\'s failure is explained', async () => {
      await clients.s3.send(new PutObjectCommand({ Bucket: deployNames.pipelineBucket, Key: 'app/BuildArtif/broken', Body: writeZip([{ name: 'deploy/x.yml', data: Buffer.from('a: 1') }]) }));
      await putDeployRecords(clients.dynamodb, deployNames.table, [{ project: 'app', env: 'staging', tag: b3, deployed: new Date(), objectKey: 'app/BuildArtif/broken' }]);
      const res = await runSgn(['deploy', 'app', 'production', '--yes'], { env });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /sgn could not read the artifact s3:\/\/pipeline-artifacts\/app\/BuildArtif\/broken: no deployspec.yml in the artifact\./);
      assert.match(res.stderr, /It failed before touching the cluster: nothing changed/);
    });
  });
});
