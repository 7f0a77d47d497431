import type { SandboxClients } from './resources.js';
import { fillPattern, type Settings } from '../settings/schema.js';
import { seedDemoDeploys, type ProjectSeed } from './fixtures-deploy.js';
import { seedDemoConfig } from './fixtures-cfg.js';
import { sandboxRegion } from './state.js';

/** The demo projects (seedDemoDeploys seeds these); the first one has a build still writing. */
export const demoProjects = ['web', 'worker', 'api', 'search', 'billing'];

/**
 * Seeds every domain's demo data into the emulated account, creating the resources the
 * settings name: config files in a versioned bucket, the deploy table with projects (some with
 * staging ahead of production), their artifacts, ECR images and kube configs. Build logs are
 * seeded by the emulator process, which also keeps one build writing.
 */
export async function seedDemo(clients: SandboxClients, settings: Settings, now: Date): Promise<ProjectSeed[]> {
  await seedDemoConfig(clients.s3, {
    bucket: settings.configBucket,
    configKey: settings.configKey,
    environments: settings.environments,
    projects: demoProjects,
    moto: { url: clients.endpoint, region: sandboxRegion },
    now,
  });
  const seeds = await seedDemoDeploys(clients, { table: settings.table, configBucket: settings.configBucket, now });
  // The deployer's log group exists wherever the deployer has ever run (deploy --logs reads it).
  const { CreateLogGroupCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  await clients.logs
    .send(new CreateLogGroupCommand({ logGroupName: fillPattern(settings.deployerLogGroup, { function: settings.function }) }))
    .catch((e: Error) => {
      if (e.name !== 'ResourceAlreadyExistsException') throw e;
    });
  return seeds;
}
