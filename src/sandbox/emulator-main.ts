// The deployer emulator as a program: `node dist/deployer-emulator.js --moto URL --port N
// --region R --function F --table T --log-group G [--config-bucket B] [--host H]`. The sandbox
// starts it detached; it prints one line "listening <url>" when ready and stops on SIGTERM/SIGINT.
// With `--demo-projects a,b` the same process also serves the sandbox's CodeBuild (which moto
// cannot run to an end state) and keeps one demo build writing its log, and the sandbox's
// CodePipeline (whose stage states moto cannot serve): one demo pipeline per project, with a
// control endpoint (POST /_sgn/codepipeline/...) that moves executions through their stages.
import { parseArgs } from 'node:util';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { startDeployerEmulator } from './deployer-emulator.js';
import { createCodebuildEmulator } from './codebuild-emulator.js';
import { seedDemoBuilds, type DemoBuilds } from './fixtures-builds.js';
import { controlHandler, createCodepipelineEmulator } from './codepipeline-emulator.js';
import { seedDemoPipelines, type DemoPipelines } from './fixtures-pipelines.js';
import { sandboxCredentials } from './state.js';

const usage = 'usage: deployer-emulator --moto URL --region R --function F --table T --log-group G [--port N] [--host H] [--config-bucket B]';

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: {
      moto: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      region: { type: 'string' },
      function: { type: 'string' },
      table: { type: 'string' },
      'log-group': { type: 'string' },
      'config-bucket': { type: 'string' },
      'demo-projects': { type: 'string' },
    },
    strict: true,
  });
  const missing = ['moto', 'region', 'function', 'table', 'log-group'].filter((k) => !values[k as keyof typeof values]);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (missing.length || (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536))) {
    process.stderr.write(`${missing.length ? `missing --${missing.join(', --')}\n` : 'bad --port\n'}${usage}\n`);
    process.exitCode = 2;
    return;
  }
  const projects = (values['demo-projects'] ?? '').split(',').filter(Boolean);
  const codebuild = projects.length ? createCodebuildEmulator({ region: values.region! }) : undefined;
  const codepipeline = projects.length ? createCodepipelineEmulator({ region: values.region! }) : undefined;
  const pipelineControl = codepipeline ? controlHandler(codepipeline) : undefined;
  const logs = new CloudWatchLogsClient({ region: values.region!, endpoint: values.moto!, credentials: sandboxCredentials });
  let demo: DemoBuilds | undefined;
  let pipelines: DemoPipelines | undefined;
  const seedBuilds = async () => {
    if (!codebuild || !codepipeline) return;
    demo = await seedDemoBuilds({ logs, codebuild }, { projects });
    const live = demo;
    pipelines = await seedDemoPipelines({ logs, codebuild, codepipeline }, { projects, live: { project: projects[0], buildId: () => live.liveBuildId() } });
  };
  const emulator = await startDeployerEmulator({
    extraHandler: async (req, res) => {
      if (!codebuild || !codepipeline) return false;
      if (req.method === 'POST' && req.url === '/_sgn/reset') {
        // The sandbox resets moto first; the builds and pipelines are seeded again into the empty account.
        pipelines?.stop();
        await demo?.stop();
        codebuild.reset();
        codepipeline.reset();
        await seedBuilds();
        return false;
      }
      return (await pipelineControl!(req, res)) || (await codepipeline.handle(req, res)) || codebuild.handle(req, res);
    },
    awsEndpoint: values.moto!,
    region: values.region!,
    functionName: values.function!,
    table: values.table!,
    logGroup: values['log-group']!,
    configBucket: values['config-bucket'],
    port,
    host: values.host,
  });
  await seedBuilds();
  process.stdout.write(`listening ${emulator.url}\n`);
  const stop = () => {
    process.removeListener('SIGTERM', stop);
    process.removeListener('SIGINT', stop);
    pipelines?.stop();
    void (demo?.stop() ?? Promise.resolve()).then(() => emulator.close()).then(() => logs.destroy());
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

run().catch((e: Error) => {
  process.stderr.write(`deployer emulator: ${e.message}\n${usage}\n`);
  process.exitCode = 1;
});
