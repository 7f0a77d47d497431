import type { SandboxClients } from './resources.js';
import type { Settings } from '../settings/schema.js';
import { putDeployRecords, type DeployRecordInput } from './fixtures.js';

/** The demo projects: enough variety that every status of `ls deployed` shows up. */
export const demoProjects = ['web', 'api', 'worker', 'billing', 'search', 'legacy-cron'];

/**
 * Demo deploy records relative to `now`: web and worker have staging ahead of production,
 * search is only in staging, the rest are in sync.
 */
export function demoDeployRecords(now: Date, settings: Settings): DeployRecordInput[] {
  const [stagingEnv = 'staging', productionEnv = 'production'] = settings.environments;
  const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000);
  const rec = (project: string, env: string, tag: string, minutesAgo: number): DeployRecordInput => ({
    project,
    env,
    tag,
    deployed: ago(minutesAgo),
    bucketName: 'sgn-sandbox-pipeline',
    objectKey: `${project}/BuildArtif/${tag.replace(/^git-/, '')}`,
  });
  return [
    rec('web', stagingEnv, 'git-3f9c2a1', 42),
    rec('web', productionEnv, 'git-1b7e0d4', 60 * 26),
    rec('api', stagingEnv, 'git-9a0c7f2', 60 * 5),
    rec('api', productionEnv, 'git-9a0c7f2', 60 * 3),
    rec('worker', stagingEnv, 'git-c0ffee1', 12),
    rec('worker', productionEnv, 'git-badf00d', 60 * 24 * 6),
    rec('billing', stagingEnv, 'git-5e5e5e5', 60 * 24 * 2),
    rec('billing', productionEnv, 'git-5e5e5e5', 60 * 24),
    rec('search', stagingEnv, 'git-7d1a9b3', 90),
    rec('legacy-cron', stagingEnv, 'git-0ld0ld0', 60 * 24 * 40),
    rec('legacy-cron', productionEnv, 'git-0ld0ld0', 60 * 24 * 39),
  ];
}

/** Seeds every domain's demo data into the emulated account. */
export async function seedDemo(clients: SandboxClients, settings: Settings, now: Date): Promise<void> {
  await putDeployRecords(clients.dynamodb, settings.table, demoDeployRecords(now, settings));
}
