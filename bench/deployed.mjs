// `sgn ls deployed` over the deploy table sized as shared/performance.md says (3,000 projects x
// 2 environments), against the AWS CLI v2 reading the same moto table.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDeployTable, putDeployRecords } from '../src/sandbox/fixtures.ts';

const table = 'kubernetes_deploy';
const projects = 3000;
const one = 'app-1234';

/** 3,000 projects in staging and production; every third has staging ahead of production. */
async function seed(env) {
  const db = new DynamoDBClient(env.clientConfig);
  try {
    await createDeployTable(db, table);
    const now = Date.now();
    const records = [];
    for (let i = 0; i < projects; i++) {
      const project = `app-${String(i).padStart(4, '0')}`;
      const tag = `git-${(i * 7919).toString(16).padStart(7, '0')}`;
      records.push({ project, env: 'staging', tag, deployed: new Date(now - 3600_000) });
      records.push({ project, env: 'production', tag: i % 3 === 0 ? `git-old${i}` : tag, deployed: new Date(now - 7200_000) });
    }
    await putDeployRecords(db, table, records);
  } finally {
    db.destroy();
  }
}

export async function scenarios(env) {
  const lines = (n) => (out) => {
    const got = out.trimEnd().split('\n').length;
    return got === n ? undefined : `expected ${n} lines on stdout, got ${got}`;
  };
  const items = (n) => (out) => {
    const count = JSON.parse(out).Items.length;
    return count === n ? undefined : `expected ${n} items, got ${count}`;
  };
  let seeded;
  const setup = () => (seeded ??= seed(env));
  // The same table behind a proxy that replays moto's earlier replies: moto spends seconds of
  // Python on a full Scan, for both sides alike; this shows what the clients themselves cost.
  const proxy = await env.lib.startMemoProxy(env.moto.url);
  env.onStop(proxy.stop);
  const scanAll = (endpoint, label, id, runs) => {
    const awsEnv = env.awsEnv({ AWS_ENDPOINT_URL: endpoint });
    return {
      id,
      name: `sgn ls deployed, ${projects.toLocaleString('en')} projects x 2 envs${label}`,
      setup,
      // Piped, as in a script: tab-separated rows with a header line.
      sgn: { argv: [...env.sgn, 'ls', 'deployed'], env: awsEnv, check: lines(projects + 1) },
      peer: { argv: [env.aws, '--endpoint-url', endpoint, 'dynamodb', 'scan', '--table-name', table], env: awsEnv, check: items(projects * 2) },
      peerLabel: 'aws dynamodb scan',
      budget: { ratio: 0.5 },
      // A full Scan costs moto seconds of Python per run, for both sides alike: few rounds.
      runs,
      warmup: 1,
    };
  };
  const awsEnv = env.awsEnv();
  return [
    scanAll(env.moto.url, '', 'ls-scan', 3),
    scanAll(proxy.url, ' (moto replies replayed)', 'ls-scan-memo', 8),
    {
      id: 'ls-project',
      name: `sgn ls deployed --project ${one}`,
      setup,
      sgn: { argv: [...env.sgn, 'ls', 'deployed', '--project', one], env: awsEnv, check: lines(2) },
      peer: {
        argv: env.awsArgv('dynamodb', 'query', '--table-name', table, '--key-condition-expression', 'Application = :p', '--expression-attribute-values', JSON.stringify({ ':p': { S: one } })),
        env: awsEnv,
        check: items(2),
      },
      peerLabel: 'aws dynamodb query',
      // performance.md names no budget for one project; the ls deployed one applies.
      budget: { ratio: 0.5 },
      runs: 10,
      warmup: 2,
      // One request after credentials (performance.md); credentials come from the environment here.
      latency: { budget: { ratio: 0.5, path: 1 } },
    },
  ];
}
