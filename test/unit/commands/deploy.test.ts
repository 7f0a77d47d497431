import assert from 'node:assert/strict';
import { main } from '../../../src/cli.js';
import type { AwsApis } from '../../../src/aws/apis.js';
import type { LambdaApi } from '../../../src/aws/lambda.js';
import type { InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type { StsApi } from '../../../src/aws/sts.js';
import type { EcrApi } from '../../../src/aws/ecr.js';
import type { CodePipelineApi } from '../../../src/aws/codepipeline.js';
import { strictFake } from '../helpers/fakes.js';
import { cleanEnv, testStreams } from '../helpers/io.js';
import { memoryTable } from '../helpers/table.js';
import type { S3Api, S3Object } from '../../../src/aws/s3.js';
import { writeZip } from '../../../src/sandbox/zip.js';

/** The pipeline bucket: each artifact `web/BuildArtif/<tag>` is the build of <tag> (or of `commitrefOf[tag]`). */
function artifactBucket(commitrefOf: Record<string, string> = {}) {
  const zipOf = (key: string) => {
    const tag = key.split('/').pop()!;
    return writeZip([{ name: 'deployspec.yml', data: Buffer.from(`commitref: ${commitrefOf[tag] ?? tag}\nnamespace: web\nenvsecret: true\n`) }]);
  };
  const notFound = () => Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
  return strictFake<S3Api>('s3', {
    getObject: async (input) => {
      if (input.Bucket !== 'pipeline') throw notFound();
      const zip = zipOf(input.Key!);
      return { Body: new Uint8Array(zip), ETag: `"${input.Key}"`, ContentRange: `bytes 0-${zip.length - 1}/${zip.length}`, $metadata: {} } as S3Object;
    },
    headObject: async (input) => {
      if (input.Bucket === 'k8s-deployer-config') return { LastModified: new Date(now.getTime() - 86400_000 * 30), $metadata: {} };
      throw notFound();
    },
  });
}

const now = new Date('2026-11-30T12:00:00Z');
const epoch = (d: Date) => (d.getTime() / 1000).toFixed(6);
const record = (env: string, tag: string, deployed: Date) => ({
  Application: { S: 'web' },
  Env: { S: env },
  Tag: { S: tag },
  Deployed: { S: epoch(deployed) },
  bucketName: { S: 'pipeline' },
  objectKey: { S: `web/BuildArtif/${tag}` },
});

/** A world of fakes: the table, and a deployer that does what the real one does on a promotion. */
function world(opts: { image?: 'present' | 'missing'; deployer?: 'promote' | 'nothing' | 'fail'; commitrefOf?: Record<string, string> } = {}) {
  const db = memoryTable();
  db.put(record('staging', 'git-new0001', new Date(now.getTime() - 3600_000)));
  db.put(record('production', 'git-old0001', new Date(now.getTime() - 3 * 86400_000)));
  const invokes: unknown[] = [];
  const lambda = strictFake<LambdaApi>('lambda', {
    invoke: async (input): Promise<InvokeCommandOutput> => {
      const payload = (text: string) => new TextEncoder().encode(text) as InvokeCommandOutput['Payload'];
      invokes.push(JSON.parse(Buffer.from(input.Payload as Uint8Array).toString()));
      if (opts.deployer === 'fail') {
        return { StatusCode: 200, FunctionError: 'Unhandled', Payload: payload(JSON.stringify({ errorMessage: 'error rolling out!', errorType: 'Exception' })), $metadata: { requestId: 'req-1' } };
      }
      if (opts.deployer !== 'nothing') db.put(record('production', 'git-new0001', new Date(now.getTime() + 1000)));
      return { StatusCode: 200, Payload: payload('"Success"'), $metadata: { requestId: 'req-1' } };
    },
    getFunction: async () => ({ Configuration: { Timeout: 500 }, $metadata: {} }),
  });
  const sts = strictFake<StsApi>('sts', { getCallerIdentity: async () => ({ Arn: 'arn:aws:sts::123456789012:assumed-role/dev/ana', Account: '123456789012', $metadata: {} }) });
  const ecr = strictFake<EcrApi>('ecr', {
    describeImages: async () => {
      if (opts.image === 'missing') throw Object.assign(new Error('not found'), { name: 'ImageNotFoundException' });
      return { imageDetails: [{ imageDigest: 'sha256:1' }], $metadata: {} };
    },
  });
  // The pipeline has its stages but no execution of this tag any more: the gate warns, lets it through.
  const codepipeline = strictFake<CodePipelineApi>('codepipeline', {
    listPipelineExecutions: async () => ({ pipelineExecutionSummaries: [], $metadata: {} }),
    getPipelineState: async () => ({ pipelineName: 'web', stageStates: ['Source', 'Build', 'Deploy', 'IntegrationTests'].map((stageName) => ({ stageName })), $metadata: {} }),
  });
  const api = strictFake<AwsApis>('api', {
    codepipeline: async () => codepipeline,
    dynamo: async () => db,
    lambda: async () => lambda,
    sts: async () => sts,
    ecr: async () => ecr,
    s3: async () => artifactBucket(opts.commitrefOf),
    region: async () => 'eu-west-1',
  });
  return { db, api, invokes };
}

async function run(argv: string[], w: ReturnType<typeof world>, io = testStreams()) {
  const code = await main(argv, { streams: io, env: cleanEnv(), cwd: '/', now: () => now, signal: new AbortController().signal, api: w.api });
  return { code, stdout: io.out(), stderr: io.err() };
}

describe('unit: sgn deploy through main()', () => {
  it('given staging ahead, when deployed with --yes --json, then one invoke with the exact payload and a result that says deployed', async () => {
    const w = world();
    const res = await run(['deploy', 'web', 'production', '--yes', '--json'], w);
    assert.equal(res.code, 0, res.stderr);
    const json = JSON.parse(res.stdout);
    assert.equal(json.status, 'deployed');
    assert.equal(json.previous.tag, 'git-old0001');
    assert.equal(json.current.tag, 'git-new0001');
    assert.equal(json.requestId, 'req-1');
    assert.deepEqual(w.invokes, [{ 'SGNRunDeploy.job': { Application: 'web', envFrom: 'staging', envTo: 'production' } }]);
    assert.match(res.stderr, /Promote web: staging -> production/);
    assert.match(res.stderr, /tag +git-old0001 \(3d ago\) -> git-new0001 \(in staging since 1h ago\)/);
    assert.match(res.stderr, /✓ Deployed web git-new0001 to production in .* \(was git-old0001\)/);
    assert.equal(w.db.get('web', 'sgn:lock:production'), undefined, 'the lock is released');
  });

  it('given a deployer that answers Success without writing, then exit 1 and one JSON document with status no-effect and an error', async () => {
    const w = world({ deployer: 'nothing' });
    const res = await run(['deploy', 'web', 'production', '--yes', '--json'], w);
    assert.equal(res.code, 1);
    const json = JSON.parse(res.stdout);
    assert.equal(json.status, 'no-effect');
    assert.equal(json.error.code, 'deploy.no-effect');
    assert.equal(json.error.exitCode, 1);
    assert.match(json.error.message, /did not take effect: production still runs git-old0001/);
  });

  it('given Success without effect, then the one history item, written while the result was read, is corrected to no-effect', async () => {
    const w = world({ deployer: 'nothing' });
    const res = await run(['deploy', 'web', 'production', '--yes'], w);
    assert.equal(res.code, 1);
    const history = [...w.db.items.values()].filter((i) => i.Env.S!.startsWith('sgn:history:'));
    assert.equal(history.length, 1);
    assert.equal(history[0].Result.S, 'no-effect');
  });

  it('given no permission for the lock\'s transaction (dynamodb:ConditionCheckItem), then the lock is a plain conditional write, the records are read again under it, and it deploys', async () => {
    const w = world();
    const denied = Object.assign(Object.create(w.db) as typeof w.db, {
      transactWriteItems: async () => {
        throw Object.assign(new Error('not authorized to perform: dynamodb:ConditionCheckItem'), { name: 'AccessDeniedException' });
      },
    });
    const api = Object.assign(Object.create(w.api) as typeof w.api, { dynamo: async () => denied });
    const res = await run(['deploy', 'web', 'production', '--yes', '--json'], { ...w, api });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(JSON.parse(res.stdout).status, 'deployed');
    assert.equal(w.invokes.length, 1);
    assert.equal(w.db.get('web', 'sgn:lock:production'), undefined, 'the lock is released');
    const history = [...w.db.items.values()].filter((i) => i.Env.S!.startsWith('sgn:history:'));
    assert.deepEqual(history.map((i) => i.Result.S), ['deployed']);
  });

  it('given the deployer raises, then exit 1, its errorMessage, and the JSON carries the deployer error', async () => {
    const w = world({ deployer: 'fail' });
    const res = await run(['deploy', 'web', 'production', '--yes', '--json'], w);
    assert.equal(res.code, 1);
    const json = JSON.parse(res.stdout);
    assert.equal(json.status, 'failed');
    assert.deepEqual(json.deployerError, { message: 'error rolling out!', type: 'Exception', phase: 'rollout' });
    assert.match(res.stderr, /Error: The deployer failed: error rolling out! It failed during the rollout: the cluster may run git-new0001 \(the Deployment was replaced\) while the production record still says git-old0001\./);
    assert.match(res.stderr, /sgn rollback web production --to git-old0001/);
  });

  it('given the image is gone from ECR, then the deploy is refused naming repository and tag, nothing invoked; --force deploys', async () => {
    const w = world({ image: 'missing' });
    const res = await run(['deploy', 'web', 'production', '--yes'], w);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /ECR repository "web" has no image tagged git-new0001/);
    assert.match(res.stderr, /pass --force to deploy anyway/);
    assert.equal(w.invokes.length, 0);
    const forced = await run(['deploy', 'web', 'production', '--yes', '--force'], w);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(w.invokes.length, 1);
  });

  it('given no terminal and no --yes, then usage exit 2 and nothing invoked; --json prints the error as JSON', async () => {
    const w = world();
    const res = await run(['deploy', 'web', 'production', '--json'], w);
    assert.equal(res.code, 2);
    assert.equal(JSON.parse(res.stdout).error.code, 'usage');
    assert.equal(w.invokes.length, 0);
  });

  it('given --dry-run, then the payload on stdout, no lock, no invoke', async () => {
    const w = world();
    const res = await run(['deploy', 'web', 'production', '--dry-run'], w);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), { 'SGNRunDeploy.job': { Application: 'web', envFrom: 'staging', envTo: 'production' } });
    assert.equal(w.invokes.length, 0);
    assert.equal(w.db.items.size, 2);
  });

  it('given a lock left by an interrupted deploy, then exit 5 naming it; --break-lock takes it over', async () => {
    const w = world();
    const until = new Date(now.getTime() + 600_000);
    w.db.put({
      Application: { S: 'web' }, Env: { S: 'sgn:lock:production' }, LockId: { S: 'x' }, Holder: { S: 'arn:aws:sts::1:assumed-role/dev/bo' }, Host: { S: 'laptop' }, Pid: { N: '7' },
      Since: { S: now.toISOString() }, Expires: { N: String(Math.floor(until.getTime() / 1000)) }, Interrupted: { S: now.toISOString() },
    });
    const res = await run(['deploy', 'web', 'production', '--yes'], w);
    assert.equal(res.code, 5);
    assert.match(res.stderr, /already being deployed to production by arn:aws:sts::1:assumed-role\/dev\/bo on laptop \(pid 7\).*interrupted at 12:00:00 UTC/);
    assert.match(res.stderr, /add --break-lock/);
    assert.equal(w.invokes.length, 0);
    const taken = await run(['deploy', 'web', 'production', '--yes', '--break-lock'], w);
    assert.equal(taken.code, 0, taken.stderr);
    assert.match(taken.stderr, /Took over the interrupted deploy lock/);
  });

  it('given an unknown flag, then commander refuses it with the usage exit code; with --json also as one JSON document', async () => {
    const w = world();
    const res = await run(['deploy', 'web', 'production', '--yess'], w);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /unknown option '--yess'/);
    assert.equal(res.stdout, '');
    const json = await run(['deploy', 'web', 'production', '--yess', '--json'], w);
    assert.equal(json.code, 2);
    assert.deepEqual(JSON.parse(json.stdout).error, { code: 'usage', message: "unknown option '--yess'", hint: 'Did you mean --yes?', exitCode: 2 });
  });

  it('given a bad project name, then a usage error before any AWS call (the fakes would throw)', async () => {
    const res = await run(['deploy', 'web/x', 'production'], { ...world(), api: strictFake<AwsApis>('api', {}) });
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /"web\/x" is not a valid project name/);
  });
});
