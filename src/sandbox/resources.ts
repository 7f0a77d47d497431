import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Settings } from '../settings/schema.js';
import { createDeployTable } from './fixtures.js';
import { sandboxCredentials, sandboxRegion } from './state.js';

/** SDK clients pointed at the sandbox's moto, for creating and seeding resources. */
export interface SandboxClients {
  endpoint: string;
  dynamodb: DynamoDBClient;
}

export async function sandboxClients(motoUrl: string): Promise<SandboxClients> {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const config = { region: sandboxRegion, endpoint: motoUrl, credentials: sandboxCredentials };
  return { endpoint: motoUrl, dynamodb: new DynamoDBClient(config) };
}

/** Creates the resources the settings name (table, buckets, log groups, repositories). */
export async function createResources(clients: SandboxClients, settings: Settings): Promise<void> {
  await createDeployTable(clients.dynamodb, settings.table);
}
