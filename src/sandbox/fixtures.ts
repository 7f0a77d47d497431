import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { formatDeployed } from '../time.js';

/**
 * Builders for the pipeline's resources as the deployer and its Terraform create them. The
 * sandbox seeds its demo data with these, and the tests build their fixtures with the same code.
 */
export interface DeployRecordInput {
  project: string;
  env: string;
  tag: string;
  deployed: Date;
  bucketName?: string;
  objectKey?: string;
}

/** Creates the deploy table (hash Application, range Env) if it does not exist. */
export async function createDeployTable(db: DynamoDBClient, table: string): Promise<void> {
  const { CreateTableCommand, waitUntilTableExists } = await import('@aws-sdk/client-dynamodb');
  try {
    await db.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [
          { AttributeName: 'Application', AttributeType: 'S' },
          { AttributeName: 'Env', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'Application', KeyType: 'HASH' },
          { AttributeName: 'Env', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (e) {
    if ((e as Error).name !== 'ResourceInUseException') throw e;
  }
  await waitUntilTableExists({ client: db, maxWaitTime: 30, minDelay: 0.2 } as never, { TableName: table });
}

/** The item the deployer writes after a deploy (pipeline-contract.md). */
export function deployItem(r: DeployRecordInput) {
  return {
    Application: { S: r.project },
    Env: { S: r.env },
    Deployed: { S: formatDeployed(r.deployed) },
    Tag: { S: r.tag },
    bucketName: { S: r.bucketName ?? 'pipeline-artifacts' },
    objectKey: { S: r.objectKey ?? `${r.project}/BuildArtif/${r.tag.replace(/^git-/, '')}` },
  };
}

/** Writes deploy records 25 at a time (BatchWriteItem), retrying unprocessed items. */
export async function putDeployRecords(db: DynamoDBClient, table: string, records: DeployRecordInput[]): Promise<void> {
  const { BatchWriteItemCommand } = await import('@aws-sdk/client-dynamodb');
  for (let i = 0; i < records.length; i += 25) {
    let requests: NonNullable<ConstructorParameters<typeof BatchWriteItemCommand>[0]['RequestItems']>[string] = records
      .slice(i, i + 25)
      .map((r) => ({ PutRequest: { Item: deployItem(r) } }));
    while (requests.length) {
      const out = await db.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
      requests = out.UnprocessedItems?.[table] ?? [];
    }
  }
}
