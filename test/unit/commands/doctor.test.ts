import assert from 'node:assert/strict';
import { main } from '../../../src/cli.js';
import type { AwsApis } from '../../../src/aws/apis.js';
import type { DynamoApi } from '../../../src/aws/dynamodb.js';
import type { EcrApi } from '../../../src/aws/ecr.js';
import type { LambdaApi } from '../../../src/aws/lambda.js';
import type { LogsApi } from '../../../src/aws/logs.js';
import type { S3Api } from '../../../src/aws/s3.js';
import type { StsApi } from '../../../src/aws/sts.js';
import { strictFake } from '../helpers/fakes.js';
import { cleanEnv, testStreams } from '../helpers/io.js';

function apis(opts: { table?: 'missing' } = {}): AwsApis {
  return strictFake<AwsApis>('api', {
    region: async () => 'eu-west-1',
    sts: async () => strictFake<StsApi>('sts', { getCallerIdentity: async () => ({ Arn: 'arn:aws:iam::1:user/ana', Account: '1', $metadata: {} }) }),
    dynamo: async () =>
      strictFake<DynamoApi>('dynamo', {
        describeTable: async () => {
          if (opts.table === 'missing') throw Object.assign(new Error('no'), { name: 'ResourceNotFoundException' });
          return { Table: { ItemCount: 4 }, $metadata: {} };
        },
      }),
    lambda: async () => strictFake<LambdaApi>('lambda', { getFunction: async () => ({ Configuration: { Timeout: 500 }, $metadata: {} }) }),
    s3: async () => strictFake<S3Api>('s3', { headBucket: async () => undefined }),
    logs: async () =>
      strictFake<LogsApi>('logs', {
        describeLogGroups: async (input) => ({ logGroups: [{ logGroupName: input.logGroupNamePrefix }], $metadata: {} }),
      }),
    ecr: async () => strictFake<EcrApi>('ecr', { describeRepositories: async () => ({ repositories: [{}, {}], $metadata: {} }) }),
  });
}

async function run(argv: string[], api: AwsApis) {
  const io = testStreams();
  const code = await main(argv, { streams: io, env: cleanEnv(), cwd: '/', signal: new AbortController().signal, api });
  return { code, stdout: io.out(), stderr: io.err() };
}

describe('unit: sgn doctor through main()', () => {
  it('given every resource reachable, then one ✓ line per check through the adapters, exit 0', async () => {
    const res = await run(['doctor'], apis());
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /✓ region +eu-west-1/);
    assert.match(res.stdout, /✓ credentials +arn:aws:iam::1:user\/ana \(account 1\)/);
    assert.match(res.stdout, /✓ deploy table +kubernetes_deploy \(4 items\)/);
    assert.match(res.stdout, /✓ deployer function +notify_k8s_deploy \(timeout 500 s\)/);
    assert.match(res.stdout, /✓ ECR +2 repositories/);
  });
  it('given a missing table, when --json, then the check says so with the fix and the exit code is 1', async () => {
    const res = await run(['doctor', '--json'], apis({ table: 'missing' }));
    assert.equal(res.code, 1);
    const table = JSON.parse(res.stdout).find((c: { name: string }) => c.name === 'deploy table');
    assert.deepEqual(table, { name: 'deploy table', ok: false, detail: 'table "kubernetes_deploy" not found in eu-west-1', fix: 'Check --region, or `sgn config set table <name>`.' });
  });
});
