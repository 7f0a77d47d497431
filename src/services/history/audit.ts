import { randomBytes } from 'node:crypto';
import type { DynamoApi, Item } from '../../aws/dynamodb.js';
import { sgnItemPrefix } from '../records.js';

/**
 * sgn's audit trail: one item per deploy or rollback that reached the deployer, in the deploy
 * table under the project's hash key, with an Env of `sgn:history:<ISO start time>:<env>:<id>`.
 * The deployer only does exact Queries on real env names and `ls deployed` hides `sgn:` items,
 * so neither sees them; a Query with begins_with and ScanIndexForward=false reads them newest first.
 */
export const historyPrefix = `${sgnItemPrefix}history:`;

/** How a change reached the env: a promotion from another env, a rollback, or a chosen release (`deploy --tag`). */
export type HistoryKind = 'promote' | 'rollback' | 'release';
export type HistoryResult = 'deployed' | 'failed' | 'no-effect' | 'interrupted' | 'unknown';

export interface HistoryEntry {
  project: string;
  env: string;
  kind: HistoryKind;
  /** The source env of a promotion. */
  from?: string;
  /** What the env ran before, and its artifact. */
  fromTag?: string;
  fromBucket?: string;
  fromKey?: string;
  /** What was deployed (the artifact's commitref), and its artifact. */
  toTag?: string;
  toBucket?: string;
  toKey?: string;
  /** The STS caller ARN. */
  caller: string;
  result: HistoryResult;
  startedAt: Date;
  durationMs?: number;
  requestId?: string;
  error?: string;
}

const s = (v?: string): Item[string] | undefined => (v === undefined || v === '' ? undefined : { S: v });

/** The random part of a history item's key (so that two runs started in the same millisecond differ). */
export function historyId(): string {
  return randomBytes(3).toString('hex');
}

/** The DynamoDB item of an entry; `expiresAt` becomes the TTL attribute `sgnExpires` (epoch seconds). */
export function historyItem(e: HistoryEntry, opts: { expiresAt?: Date; id?: string } = {}): Item {
  const id = opts.id ?? historyId();
  const attrs: Record<string, Item[string] | undefined> = {
    Application: { S: e.project },
    Env: { S: `${historyPrefix}${e.startedAt.toISOString()}:${e.env}:${id}` },
    TargetEnv: { S: e.env },
    Kind: { S: e.kind },
    From: s(e.from),
    FromTag: s(e.fromTag),
    FromBucket: s(e.fromBucket),
    FromKey: s(e.fromKey),
    ToTag: s(e.toTag),
    ToBucket: s(e.toBucket),
    ToKey: s(e.toKey),
    Caller: { S: e.caller || '?' },
    Result: { S: e.result },
    Started: { S: e.startedAt.toISOString() },
    DurationMs: e.durationMs === undefined ? undefined : { N: String(Math.round(e.durationMs)) },
    RequestId: s(e.requestId),
    ErrorMessage: s(e.error?.slice(0, 1000)),
    sgnExpires: opts.expiresAt ? { N: String(Math.floor(opts.expiresAt.getTime() / 1000)) } : undefined,
  };
  return Object.fromEntries(Object.entries(attrs).filter((kv): kv is [string, Item[string]] => kv[1] !== undefined));
}

const kinds: HistoryKind[] = ['promote', 'rollback', 'release'];
const results: HistoryResult[] = ['deployed', 'failed', 'no-effect', 'interrupted', 'unknown'];

/** An entry from its item; items that are not well formed give undefined (never a crash). */
export function entryFromItem(item: Item): HistoryEntry | undefined {
  const str = (k: string) => (item[k] && 'S' in item[k] ? item[k].S : undefined);
  const started = new Date(str('Started') ?? '');
  const env = str('TargetEnv');
  if (!env || Number.isNaN(started.getTime())) return undefined;
  const kind = str('Kind') as HistoryKind;
  const result = str('Result') as HistoryResult;
  const duration = item.DurationMs && 'N' in item.DurationMs ? Number(item.DurationMs.N) : undefined;
  return {
    project: str('Application') ?? '?',
    env,
    kind: kinds.includes(kind) ? kind : 'promote',
    from: str('From'),
    fromTag: str('FromTag'),
    fromBucket: str('FromBucket'),
    fromKey: str('FromKey'),
    toTag: str('ToTag'),
    toBucket: str('ToBucket'),
    toKey: str('ToKey'),
    caller: str('Caller') ?? '?',
    result: results.includes(result) ? result : 'unknown',
    startedAt: started,
    durationMs: duration,
    requestId: str('RequestId'),
    error: str('ErrorMessage'),
  };
}

/**
 * Appends an entry; with `historyDays`, the item expires (DynamoDB TTL on `sgnExpires`) that many
 * days later. `id` names the item (historyId()); `replace` rewrites the item of that id that this
 * run wrote before (its outcome turned out otherwise), instead of refusing to overwrite.
 */
export async function appendHistory(db: Pick<DynamoApi, 'putItem'>, table: string, entry: HistoryEntry, historyDays?: number, opts: { id?: string; replace?: boolean } = {}): Promise<void> {
  const expiresAt = historyDays ? new Date(entry.startedAt.getTime() + historyDays * 86_400_000) : undefined;
  await db.putItem({ TableName: table, Item: historyItem(entry, { expiresAt, id: opts.id }), ...(opts.replace ? {} : { ConditionExpression: 'attribute_not_exists(Env)' }) });
}

/** The project's entries, newest first (every page, or until `limit` entries of `env` are found). */
export async function queryHistory(db: Pick<DynamoApi, 'query'>, table: string, project: string, opts: { env?: string; limit?: number } = {}): Promise<HistoryEntry[]> {
  const out: HistoryEntry[] = [];
  let start: Item | undefined;
  do {
    const page = await db.query({
      TableName: table,
      KeyConditionExpression: 'Application = :p AND begins_with(Env, :h)',
      ExpressionAttributeValues: { ':p': { S: project }, ':h': { S: historyPrefix } },
      ScanIndexForward: false,
      ExclusiveStartKey: start,
    });
    for (const item of page.Items ?? []) {
      const e = entryFromItem(item);
      if (e && (!opts.env || e.env === opts.env)) out.push(e);
      if (opts.limit !== undefined && out.length >= opts.limit) return out;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

/**
 * What `env` ran before its current tag, from the history: the newest successful change to `env`
 * that deployed `currentTag`, and what it replaced. Undefined when the history does not say.
 */
export function previousRelease(entries: HistoryEntry[], env: string, currentTag: string | undefined): { tag?: string; bucket?: string; key?: string; entry: HistoryEntry } | undefined {
  const last = entries.find((e) => e.env === env && e.result === 'deployed' && e.toTag === currentTag);
  if (!last) return undefined;
  return { tag: last.fromTag, bucket: last.fromBucket, key: last.fromKey, entry: last };
}
