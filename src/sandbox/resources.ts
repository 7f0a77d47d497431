import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { sandboxCredentials, sandboxRegion } from './state.js';

/** SDK clients pointed at the sandbox's moto, for creating and seeding resources. */
export interface SandboxClients {
  endpoint: string;
  dynamodb: DynamoDBClient;
  s3: S3Client;
  ecr: ECRClient;
  logs: CloudWatchLogsClient;
}

export async function sandboxClients(motoUrl: string): Promise<SandboxClients> {
  const [{ DynamoDBClient }, { S3Client }, { ECRClient }, { CloudWatchLogsClient }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/client-s3'),
    import('@aws-sdk/client-ecr'),
    import('@aws-sdk/client-cloudwatch-logs'),
  ]);
  const config = { region: sandboxRegion, endpoint: motoUrl, credentials: sandboxCredentials };
  return {
    endpoint: motoUrl,
    dynamodb: new DynamoDBClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    ecr: new ECRClient(config),
    logs: new CloudWatchLogsClient(config),
  };
}
