import type {
  AttributeValue,
  DeleteItemCommandInput,
  DescribeTableCommandInput,
  DescribeTableCommandOutput,
  GetItemCommandInput,
  GetItemCommandOutput,
  PutItemCommandInput,
  QueryCommandInput,
  QueryCommandOutput,
  ScanCommandInput,
  ScanCommandOutput,
  TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { AwsFactory } from './clients.js';

export type Item = Record<string, AttributeValue>;

/** The DynamoDB operations sgn uses, named after the SDK's. Services take this, tests fake it. */
export interface DynamoApi {
  query(input: QueryCommandInput): Promise<QueryCommandOutput>;
  scan(input: ScanCommandInput): Promise<ScanCommandOutput>;
  getItem(input: GetItemCommandInput): Promise<GetItemCommandOutput>;
  putItem(input: PutItemCommandInput): Promise<void>;
  deleteItem(input: DeleteItemCommandInput): Promise<void>;
  describeTable(input: DescribeTableCommandInput): Promise<DescribeTableCommandOutput>;
  /** All or nothing; a failed condition cancels all (TransactionCanceledException with CancellationReasons). */
  transactWriteItems(input: TransactWriteItemsCommandInput): Promise<void>;
}

/** The real DynamoDB client behind DynamoApi. */
export async function dynamoApi(aws: AwsFactory): Promise<DynamoApi> {
  const [client, sdk] = await Promise.all([aws.dynamodb(), import('@aws-sdk/client-dynamodb')]);
  return {
    query: (input) => client.send(new sdk.QueryCommand(input)),
    scan: (input) => client.send(new sdk.ScanCommand(input)),
    getItem: (input) => client.send(new sdk.GetItemCommand(input)),
    putItem: async (input) => void (await client.send(new sdk.PutItemCommand(input))),
    deleteItem: async (input) => void (await client.send(new sdk.DeleteItemCommand(input))),
    describeTable: (input) => client.send(new sdk.DescribeTableCommand(input)),
    transactWriteItems: async (input) => void (await client.send(new sdk.TransactWriteItemsCommand(input))),
  };
}
