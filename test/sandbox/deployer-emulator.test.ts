import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetImageCommand, DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { clientConfig, resetMoto, testRegion } from '../helpers/aws.js';
import { deployClients, deployerEmulator, deployNames } from '../helpers/deployer.js';
import { createDeployTable } from '../../src/sandbox/fixtures.js';
import { artifactKey, gitTag, putKubeConfigs, seedProject } from '../../src/sandbox/fixtures-deploy.js';
import type { DeployClients } from '../../src/sandbox/fixtures-deploy.js';

const payload = (project: string, envFrom = 'staging', envTo = 'production') => JSON.stringify({ 'SGNRunDeploy.job': { Application: project, envFrom, envTo } });

describe('deployer emulator', () => {
  let motoUrl: string;
  let clients: DeployClients;
  let lambda: LambdaClient;
  let logs: CloudWatchLogsClient;
  let control: Awaited<ReturnType<typeof deployerEmulator>>['control'];
  const now = Date.now();
  const oldTag = gitTag('emu-old');
  const newTag = gitTag('emu-new');

  before(async function () {
    this.timeout(120_000);
    const e = await deployerEmulator();
    motoUrl = e.motoUrl;
    control = e.control;
    lambda = new LambdaClient({ ...clientConfig(e.url), maxAttempts: 1 });
    logs = new CloudWatchLogsClient(clientConfig(motoUrl));
    clients = deployClients(motoUrl);
  });

  beforeEach(async () => {
    await resetMoto(motoUrl);
    await control.reset();
    await createDeployTable(clients.dynamodb, deployNames.table);
    await putKubeConfigs(clients.s3, deployNames.configBucket, ['staging', 'production']);
    await seedProject(clients, { table: deployNames.table }, {
      project: 'shop',
      builds: [oldTag, newTag],
      deployed: { staging: { tag: newTag, at: new Date(now - 3600_000) }, production: { tag: oldTag, at: new Date(now - 86_400_000) } },
    });
  });

  const record = async (project: string, env: string) =>
    (await clients.dynamodb.send(new GetItemCommand({ TableName: deployNames.table, Key: { Application: { S: project }, Env: { S: env } }, ConsistentRead: true }))).Item;
  const digestOf = async (tag: string) =>
    (await clients.ecr.send(new DescribeImagesCommand({ repositoryName: 'shop', imageIds: [{ imageTag: tag }] }))).imageDetails?.[0]?.imageDigest;
  const logLines = async () => {
    const out = await logs.send(new FilterLogEventsCommand({ logGroupName: deployNames.logGroup }));
    return (out.events ?? []).map((e) => ({ stream: e.logStreamName!, message: e.message! }));
  };
  const invoke = (body: string, functionName = deployNames.functionName) =>
    lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', LogType: 'Tail', Payload: Buffer.from(body) }));

  it('given a staging record, when a manual deploy is invoked, then it writes the production record, moves the ECR tag and logs like a Python Lambda', async () => {
    const before = Date.now() / 1000;
    const out = await invoke(payload('shop'));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined);
    assert.equal(Buffer.from(out.Payload!).toString(), '"Success"');

    const item = (await record('shop', 'production'))!;
    assert.equal(item.Tag.S, newTag);
    assert.match(item.Deployed.S!, /^\d{10}\.\d+$/, 'epoch seconds as a string, like str(time.time())');
    assert.ok(Number(item.Deployed.S) >= Math.floor(before));
    assert.equal(item.bucketName.S, deployNames.pipelineBucket);
    assert.equal(item.objectKey.S, artifactKey('shop', newTag));
    assert.equal(await digestOf('production'), await digestOf(newTag), 'the production tag now names the promoted image');
    const oldImage = await clients.ecr.send(new BatchGetImageCommand({ repositoryName: 'shop', imageIds: [{ imageTag: oldTag }] }));
    assert.notEqual(oldImage.images?.[0]?.imageId?.imageDigest, await digestOf('production'));

    const requestId = out.$metadata.requestId!;
    const lines = await logLines();
    const mine = lines.filter((l) => l.message.includes(requestId));
    assert.equal(mine[0].message, `START RequestId: ${requestId} Version: $LATEST\n`);
    assert.match(mine[1].message, new RegExp(`^\\[INFO\\]\\t\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${requestId}\\tEvent: \\{'SGNRunDeploy.job': \\{'Application': 'shop', 'envFrom': 'staging', 'envTo': 'production'\\}\\}\\n$`));
    assert.ok(mine.some((l) => l.message.includes('deployment "shop" successfully rolled out')));
    assert.equal(mine.at(-2)!.message, `END RequestId: ${requestId}\n`);
    assert.match(mine.at(-1)!.message, new RegExp(`^REPORT RequestId: ${requestId}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 512 MB\\t`));
    assert.match(lines[0].stream, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
    assert.ok(lines.some((l) => /^Debug S3 kubectl 'k8s-deployer-config' 'k8s_deployer\/production\/config' '\/tmp\/tmp[0-9a-f]+\/kubeconf'\n$/.test(l.message)), 'the print() line of getKubeConfigFromS3');

    const tail = Buffer.from(out.LogResult!, 'base64').toString();
    assert.match(tail, new RegExp(`START RequestId: ${requestId}[\\s\\S]*REPORT RequestId: ${requestId}`));
    assert.deepEqual((await control.invocations()).map((i) => [i.project, i.envFrom, i.envTo, i.outcome]), [['shop', 'staging', 'production', 'success']]);
  });

  it('given no record for envFrom, when invoked, then it does nothing and still returns "Success" (the pitfall)', async () => {
    const out = await invoke(payload('shop', 'qa'));
    assert.equal(out.FunctionError, undefined);
    assert.equal(Buffer.from(out.Payload!).toString(), '"Success"');
    assert.equal((await record('shop', 'production'))!.Tag.S, oldTag, 'production untouched');
    const messages = (await logLines()).map((l) => l.message).join('');
    assert.match(messages, /Event: /);
    assert.doesNotMatch(messages, /Rolling out/);
    assert.equal((await control.invocations()).length, 1);
  });

  it('given the artifact is gone from S3, when invoked, then it fails as the real handler does, with the error in the log tail', async () => {
    await clients.s3.send(new DeleteObjectCommand({ Bucket: deployNames.pipelineBucket, Key: artifactKey('shop', newTag) }));
    const out = await invoke(payload('shop'));
    assert.equal(out.FunctionError, 'Unhandled');
    const error = JSON.parse(Buffer.from(out.Payload!).toString()) as { errorMessage: string; errorType: string; stackTrace: string[] };
    assert.equal(error.errorMessage, 'Error getting deploy artifact from s3: An error occurred (404) when calling the HeadObject operation: Not Found');
    assert.equal(error.errorType, 'Exception');
    assert.ok(error.stackTrace.length > 0 && error.stackTrace.every((f) => f.startsWith('  File "/var/task/handler.py"')));
    assert.match(Buffer.from(out.LogResult!, 'base64').toString(), /\[ERROR\] Exception: Error getting deploy artifact from s3[\s\S]*Traceback/);
    assert.equal((await record('shop', 'production'))!.Tag.S, oldTag);
  });

  it('given the image of the commitref is gone from ECR, when invoked, then the record is written first and the tagging fails with IndexError', async () => {
    const { BatchDeleteImageCommand } = await import('@aws-sdk/client-ecr');
    await clients.ecr.send(new BatchDeleteImageCommand({ repositoryName: 'shop', imageIds: [{ imageTag: newTag }, { imageTag: 'staging' }, { imageTag: 'latest' }] }));
    const out = await invoke(payload('shop'));
    assert.equal(out.FunctionError, 'Unhandled');
    assert.deepEqual(JSON.parse(Buffer.from(out.Payload!).toString()).errorType, 'IndexError');
    assert.equal((await record('shop', 'production'))!.Tag.S, newTag);
  });

  it('given injected faults, then a failure, a slow rollout and a "Success" without effect behave as asked, and invocations are counted', async () => {
    await control.setFault('shop', { error: 'rollout of "shop" timed out', delayMs: 300 });
    const started = Date.now();
    const failed = await invoke(payload('shop'));
    assert.ok(Date.now() - started >= 300);
    assert.equal(failed.FunctionError, 'Unhandled');
    assert.equal(JSON.parse(Buffer.from(failed.Payload!).toString()).errorMessage, 'rollout of "shop" timed out');
    await control.setFault('shop', { noEffect: true });
    const noop = await invoke(payload('shop'));
    assert.equal(Buffer.from(noop.Payload!).toString(), '"Success"');
    assert.equal((await record('shop', 'production'))!.Tag.S, oldTag);
    await control.setFault('shop', {});
    await invoke(payload('shop'));
    assert.equal((await record('shop', 'production'))!.Tag.S, newTag);
    assert.deepEqual((await control.invocations()).map((i) => i.outcome), ['error', 'success', 'success']);
  });

  it('given another function name, then the SDK gets ResourceNotFoundException; GetFunction describes the deployer', async () => {
    await assert.rejects(invoke(payload('shop'), 'nope'), (e: Error) => e.name === 'ResourceNotFoundException' && /Function not found: arn:aws:lambda:us-east-1:\d{12}:function:nope/.test(e.message));
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: deployNames.functionName }));
    assert.equal(fn.Configuration?.Timeout, 500);
    assert.equal(fn.Configuration?.FunctionName, deployNames.functionName);
    assert.equal((await control.invocations()).length, 0);
  });

  it('given an invalid JSON payload, then InvalidRequestContentException', async () => {
    await assert.rejects(invoke('{not json'), (e: Error) => e.name === 'InvalidRequestContentException');
  });

  it('given the built program, when started as a child, then it serves, and SIGTERM stops it cleanly', async function () {
    this.timeout(30_000);
    const bin = fileURLToPath(new URL('../../dist/deployer-emulator.js', import.meta.url));
    const args = ['--moto', motoUrl, '--region', testRegion, '--function', 'fn2', '--table', deployNames.table, '--log-group', '/aws/lambda/fn2'];
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /^listening (http:\/\/\S+)$/m.exec(out);
          if (m) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const client = new LambdaClient({ ...clientConfig(url), maxAttempts: 1 });
      const out = await client.send(new InvokeCommand({ FunctionName: 'fn2', Payload: Buffer.from(payload('nobody')) }));
      assert.equal(Buffer.from(out.Payload!).toString(), '"Success"');
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
