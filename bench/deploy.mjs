// `sgn deploy web production --yes` against `aws lambda invoke` of the same payload, both on
// moto and the deployer emulator. The row compares overhead: each side's wall time minus the
// emulator's own handling time of that invocation (what the deployer itself spends).
// And the plan alone (`--dry-run`: everything a deploy reads before its prompt) against one
// `aws dynamodb get-item` of the source record, the least a script reads before promoting; its
// latency row counts the plan's sequential round trips (budget: 2, issue 15).
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { ECRClient } from '@aws-sdk/client-ecr';
import { startDeployerEmulator, deployerControl } from '../src/sandbox/deployer-emulator.ts';
import { createDeployTable } from '../src/sandbox/fixtures.ts';
import { gitTag, seedProject } from '../src/sandbox/fixtures-deploy.ts';
import { gitCommit } from '../src/sandbox/fixtures-pipelines.ts';
import { createCodepipelineEmulator, serveCodepipelineEmulator } from '../src/sandbox/codepipeline-emulator.ts';

// Its own table, so that the ls deployed scenarios still see exactly their 3,000 projects.
const table = 'bench_deploy';

export async function scenarios(env) {
  let ready;
  let control;
  let pipelineUrl;
  const setup = () =>
    (ready ??= (async () => {
      const clients = { dynamodb: new DynamoDBClient(env.clientConfig), s3: new S3Client({ ...env.clientConfig, forcePathStyle: true }), ecr: new ECRClient(env.clientConfig) };
      await createDeployTable(clients.dynamodb, table);
      // The promotion gate reads a real pipeline (moto cannot serve executions): staging's build
      // went through it and its integration tests passed, as before a usual promotion.
      const pipelines = createCodepipelineEmulator({ region: env.region });
      const served = await serveCodepipelineEmulator(pipelines);
      env.onStop(() => served.close());
      pipelineUrl = served.url;
      pipelines.createPipeline('web');
      const run = pipelines.startExecution('web', { at: new Date(Date.now() - 900_000), revision: { id: gitCommit('bench-1'), summary: 'bench-1' } });
      for (let i = 0; i < 3; i++) pipelines.advance(run);
      pipelines.finishStage(run, { status: 'Succeeded' });
      const builds = [gitTag('bench-0'), gitTag('bench-1')];
      const now = Date.now();
      await seedProject(clients, { table }, { project: 'web', builds, deployed: { staging: { tag: builds[1], at: new Date(now - 600_000) }, production: { tag: builds[0], at: new Date(now - 86_400_000) } } });
      const emulator = await startDeployerEmulator({ awsEndpoint: env.moto.url, region: env.region, functionName: 'notify_k8s_deploy', table, logGroup: '/aws/lambda/notify_k8s_deploy' });
      env.onStop(emulator.close);
      control = deployerControl(emulator.url);
      return emulator.url;
    })());
  // sgn's environment: the deployer emulator for Lambda, the pipeline for the gate (read after setup()).
  const sgnEnv = (lambdaUrl) => env.awsEnv({ ...(lambdaUrl ? { AWS_ENDPOINT_URL_LAMBDA: lambdaUrl } : {}), AWS_ENDPOINT_URL_CODEPIPELINE: pipelineUrl });
  // One measured run of `argv`, minus the handling time of the invocation it caused.
  // `ctx.measure`: the runner's, when it routes the requests through the latency proxies.
  const overhead = (argv, sideEnv) => async (ctx) => {
    const url = await setup();
    const before = (await control.invocations()).length;
    const r = await (ctx?.measure ?? env.measure)({ argv: argv(url), env: sideEnv(url) });
    const calls = await control.invocations();
    if (calls.length !== before + 1) throw new Error(`expected one invocation, saw ${calls.length - before}`);
    return { ms: r.ms - (calls[calls.length - 1].handlingMs ?? 0), rssMiB: r.rssMiB };
  };
  const plan = [...env.sgn, '-c', `table=${table}`, 'deploy', 'web', 'production', '--dry-run', '--force'];
  const getItem = env.awsArgv('dynamodb', 'get-item', '--table-name', table, '--consistent-read', '--key', JSON.stringify({ Application: { S: 'web' }, Env: { S: 'staging' } }));
  const payload = JSON.stringify({ 'SGNRunDeploy.job': { Application: 'web', envFrom: 'staging', envTo: 'production' } });
  return [
    {
      id: 'deploy',
      name: 'sgn deploy --yes, overhead beyond the deployer',
      peerLabel: 'aws lambda invoke',
      // Absolute times do not travel between machines: a ratio of the peer's overhead.
      budget: { ratio: 0.4 },
      latency: { upstreams: () => setup().then((url) => [url, pipelineUrl]) },
      // --force: production already runs staging's tag after the first round.
      sgn: overhead(() => [...env.sgn, '-c', `table=${table}`, 'deploy', 'web', 'production', '--yes', '--force'], sgnEnv),
      peer: overhead((url) => [env.aws, '--endpoint-url', url, 'lambda', 'invoke', '--function-name', 'notify_k8s_deploy', '--cli-binary-format', 'raw-in-base64-out', '--payload', payload, join(env.scratch, 'deploy-out.json')], () => env.awsEnv()),
      runs: 10,
      warmup: 2,
    },
    {
      id: 'deploy-plan',
      name: 'sgn deploy --dry-run (the plan, up to the prompt)',
      peerLabel: 'aws dynamodb get-item',
      budget: { ratio: 0.5 },
      // --force: the full plan even when production already runs staging's tag.
      setup: async () => void (await setup()),
      latency: { upstreams: () => setup().then((url) => [url, pipelineUrl]), budget: { ratio: 0.5, path: 2 } },
      sgn: async (ctx) => {
        await setup();
        const r = await (ctx?.measure ?? env.measure)({ argv: plan, env: sgnEnv() });
        if (r.code !== 0) throw new Error(`sgn deploy --dry-run exited ${r.code}`);
        return { ms: r.ms, rssMiB: r.rssMiB };
      },
      peer: { argv: getItem, env: env.awsEnv() },
      runs: 10,
      warmup: 2,
    },
  ];
}
