import assert from 'node:assert/strict';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientConfig, cliEnv, motoServer, resetMoto } from '../helpers/aws.js';
import { runSgn } from '../helpers/cli.js';
import { createDeployTable } from '../../src/sandbox/fixtures.js';

describe('sgn doctor', function () {
  let url: string;
  before(async () => {
    url = (await motoServer()).url;
    await resetMoto(url);
    await createDeployTable(new DynamoDBClient(clientConfig(url)), 'kubernetes_deploy');
  });

  it('given the table exists, then its check passes and names the table', async () => {
    const res = await runSgn(['doctor', '--json'], { env: cliEnv(url, { AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:9' }) });
    const checks = JSON.parse(res.stdout) as { name: string; ok: boolean; detail: string }[];
    const table = checks.find((c) => c.name === 'deploy table')!;
    assert.equal(table.ok, true);
    assert.match(table.detail, /^kubernetes_deploy \(0 items\)$/);
    assert.equal(checks.find((c) => c.name === 'credentials')!.ok, true);
  });

  it('given a missing table, then it fails with the table, the region and the fix, and exits 1', async () => {
    const res = await runSgn(['-c', 'table=missing_table', 'doctor'], { env: cliEnv(url, { AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:9' }) });
    assert.equal(res.code, 1);
    assert.match(res.stdout, /^✗ deploy table\s+table "missing_table" not found in us-east-1 {2}\(fix: Check --region, or `sgn config set table <name>`\.\)$/m);
    assert.match(res.stdout, /^✓ credentials\s+arn:aws:sts::123456789012:/m);
  });
});
