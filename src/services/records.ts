import type { DynamoApi, Item } from '../aws/dynamodb.js';
import { SgnError, awsErrorName, explainAwsError } from '../errors.js';
import { parseDeployed } from '../time.js';

/**
 * One item of the deploy table as the deployer writes it (pipeline-contract.md). Every field but
 * the keys may be missing or malformed in old items: such values are undefined, never a crash.
 */
export interface DeployRecord {
  project: string;
  env: string;
  tag?: string;
  /** The deployer's `Deployed` (epoch seconds as a string), when it parses. */
  deployedAt?: Date;
  /** `Deployed` exactly as stored. */
  deployedRaw?: string;
  bucketName?: string;
  objectKey?: string;
  /** Attributes the contract does not name, as plain values. */
  extra: Record<string, unknown>;
}

/** Items sgn itself adds to the table (deploy locks) have an Env starting with this. */
export const sgnItemPrefix = 'sgn:';

const known = new Set(['Application', 'Env', 'Tag', 'Deployed', 'bucketName', 'objectKey']);

function plain(v: Item[string] | undefined): unknown {
  if (!v) return undefined;
  if ('S' in v && v.S !== undefined) return v.S;
  if ('N' in v && v.N !== undefined) return Number(v.N);
  if ('BOOL' in v && v.BOOL !== undefined) return v.BOOL;
  if ('NULL' in v && v.NULL) return null;
  if ('L' in v && v.L) return v.L.map(plain);
  if ('M' in v && v.M) return Object.fromEntries(Object.entries(v.M).map(([k, x]) => [k, plain(x)]));
  if ('SS' in v && v.SS) return v.SS;
  if ('NS' in v && v.NS) return v.NS.map(Number);
  return '(binary)';
}

const str = (v: Item[string] | undefined): string | undefined => (v && 'S' in v && typeof v.S === 'string' ? v.S : v && 'N' in v ? v.N : undefined);

export function recordFromItem(item: Item): DeployRecord {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!known.has(k)) extra[k] = plain(v);
  const deployedRaw = str(item.Deployed);
  return {
    project: str(item.Application) ?? '?',
    env: str(item.Env) ?? '?',
    tag: str(item.Tag) || undefined,
    deployedRaw,
    deployedAt: parseDeployed(deployedRaw),
    bucketName: str(item.bucketName),
    objectKey: str(item.objectKey),
    extra,
  };
}

/** Is this item one of the deployer's records (and not a lock or other sgn item)? */
export function isDeployItem(item: Item): boolean {
  const env = str(item.Env);
  return env !== undefined && !env.startsWith(sgnItemPrefix);
}

/** Explains the errors every table read can meet, naming the table, the region and the setting. */
export function tableError(e: unknown, table: string, region: string | undefined, what: string): Error {
  if (awsErrorName(e) === 'ResourceNotFoundException') {
    return new SgnError(`DynamoDB table "${table}" was not found in ${region ?? 'the current region'}.`, {
      hint: 'Check the region (--region) or point sgn at the right table: `sgn config set table <name>`.',
      cause: e,
    });
  }
  return explainAwsError(e, what) ?? (e as Error);
}

/** Reads one record with a strongly consistent read (verification must see the latest write). */
export async function getRecord(db: DynamoApi, table: string, project: string, env: string): Promise<DeployRecord | undefined> {
  const out = await db.getItem({ TableName: table, Key: { Application: { S: project }, Env: { S: env } }, ConsistentRead: true });
  return out.Item ? recordFromItem(out.Item) : undefined;
}

/** All records of one project (Query on the hash key, every page). */
export async function queryProject(db: DynamoApi, table: string, project: string, onSgnItem?: (item: Item) => void): Promise<DeployRecord[]> {
  const records: DeployRecord[] = [];
  let start: Item | undefined;
  do {
    const page = await db.query({
      TableName: table,
      KeyConditionExpression: 'Application = :p',
      ExpressionAttributeValues: { ':p': { S: project } },
      ExclusiveStartKey: start,
    });
    for (const item of page.Items ?? []) if (isDeployItem(item)) records.push(recordFromItem(item));
    else onSgnItem?.(item);
    start = page.LastEvaluatedKey;
  } while (start);
  return records;
}

/**
 * Every record of the table: a parallel Scan in `segments` segments, each following its own
 * pages, so that thousands of projects arrive in about one round-trip per page per segment.
 */
export async function scanAll(db: DynamoApi, table: string, segments = 4, onSgnItem?: (item: Item) => void): Promise<DeployRecord[]> {
  const perSegment = await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      const records: DeployRecord[] = [];
      let start: Item | undefined;
      do {
        const page = await db.scan({ TableName: table, Segment: segment, TotalSegments: segments, ExclusiveStartKey: start });
        for (const item of page.Items ?? []) if (isDeployItem(item)) records.push(recordFromItem(item));
        else onSgnItem?.(item);
        start = page.LastEvaluatedKey;
      } while (start);
      return records;
    }),
  );
  return perSegment.flat();
}
