import type { SandboxClients } from './resources.js';
import type { Settings } from '../settings/schema.js';
import { seedDemoDeploys } from './fixtures-deploy.js';

/**
 * Seeds every domain's demo data into the emulated account, creating the resources the
 * settings name: the deploy table with projects (some with staging ahead of production), their
 * artifacts, ECR images and kube configs.
 */
export async function seedDemo(clients: SandboxClients, settings: Settings, now: Date): Promise<void> {
  await seedDemoDeploys(clients, { table: settings.table, configBucket: settings.configBucket, now });
}
