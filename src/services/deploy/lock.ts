import { randomUUID } from 'node:crypto';
import type { DynamoApi, Item } from '../../aws/dynamodb.js';
import { ConflictError, awsErrorName } from '../../errors.js';
import { formatAge } from '../../time.js';
import { sgnItemPrefix, type DeployRecord } from '../records.js';

/**
 * The deploy lock: one item per (project, target env) in the deploy table itself, with an Env of
 * `sgn:lock:<env>`. The deployer only Queries exact (Application, envFrom) keys and `ls deployed`
 * hides `sgn:` items, so neither ever sees it. Taken with a conditional PutItem (absent, or past
 * its expiry), kept alive while held, and deleted only by its holder.
 */
export interface LockHolder {
  /** The STS caller ARN. */
  who: string;
  host: string;
  pid: number;
  since: Date;
  expires: Date;
  /** What the holder is deploying. */
  tag?: string;
  from?: string;
  /** Set when its holder stopped waiting (Ctrl-C) while the deployer may still run. */
  interrupted?: Date;
}

export interface DeployLock {
  /** A previous holder whose lock had expired and was taken over. */
  tookOver?: LockHolder;
  /** Deletes the lock if it is still ours; never throws (a lock left behind expires). */
  release(): Promise<void>;
  /**
   * Keeps the lock, marked interrupted, until `until` (the deployer may still run); stops
   * renewing it, and `release` then does nothing. False when the lock could not be kept.
   */
  holdUntil(until: Date): Promise<boolean>;
}

export interface AcquireLockInput {
  table: string;
  project: string;
  env: string;
  holder: Omit<LockHolder, 'since' | 'expires'>;
  ttlSeconds: number;
  now: () => Date;
  /** Called when the lock could not be kept or released (it then expires by itself). */
  onWarning?: (message: string) => void;
  /** Take over a lock left by an interrupted deploy before it expires (the user checked). */
  breakInterrupted?: boolean;
  /**
   * Items that must still be as the plan read them: the lock is written only together with
   * these checks, in one transaction (TransactWriteItems), so that nothing can have changed
   * between the plan and the lock. A failed check throws RecordsChangedError.
   */
  unchanged?: UnchangedCheck[];
}

/** A condition on one item of the table, checked in the lock's transaction. */
export interface UnchangedCheck {
  Key: Item;
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Item;
}

/** A record the lock's transaction checked is no longer what the plan read (the lock was not taken). */
export class RecordsChangedError extends Error {
  constructor() {
    super('The deploy records changed since the plan.');
    this.name = 'RecordsChangedError';
  }
}

/**
 * The check that a deploy record is still the one the plan read: the same Tag and Deployed
 * (what `sameRecord` compares), or still absent. A value stored in another type than the
 * deployer's (a number) fails it although it did not change: the caller then reads again.
 */
export function unchangedCheck(project: string, env: string, record: DeployRecord | undefined): UnchangedCheck {
  const Key = { Application: { S: project }, Env: { S: env } };
  if (!record) return { Key, ConditionExpression: 'attribute_not_exists(Application)' };
  const names: Record<string, string> = { '#t': 'Tag', '#d': 'Deployed' };
  const values: Item = {};
  const parts = ['attribute_exists(Application)'];
  if (record.tag !== undefined) {
    parts.push('#t = :t');
    values[':t'] = { S: record.tag };
  } else parts.push('attribute_not_exists(#t)');
  if (record.deployedRaw !== undefined) {
    parts.push('#d = :d');
    values[':d'] = { S: record.deployedRaw };
  } else parts.push('attribute_not_exists(#d)');
  return { Key, ConditionExpression: parts.join(' AND '), ExpressionAttributeNames: names, ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}) };
}

interface CancellationReason {
  Code?: string;
  Item?: Item;
}

/**
 * The lock's write inside a transaction with the `unchanged` checks. A cancelled transaction is
 * turned into what a plain conditional PutItem would throw when the lock item failed its
 * condition (ConditionalCheckFailedException carrying the item), or RecordsChangedError.
 */
async function putWithChecks(db: DynamoApi, put: Parameters<DynamoApi['putItem']>[0], checks: UnchangedCheck[]): Promise<void> {
  try {
    await db.transactWriteItems({
      TransactItems: [{ Put: { ...put, TableName: put.TableName!, Item: put.Item! } }, ...checks.map((c) => ({ ConditionCheck: { TableName: put.TableName!, ...c, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } }))],
    });
  } catch (e) {
    if (awsErrorName(e) !== 'TransactionCanceledException') throw e;
    const reasons = ((e as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? []).map((r) => r?.Code ?? 'None');
    const lockReason = (e as { CancellationReasons?: CancellationReason[] }).CancellationReasons?.[0];
    // Another deploy's transaction on the lock item at the same moment: as if its lock was there (it is read next).
    if (reasons[0] === 'ConditionalCheckFailed' || reasons[0] === 'TransactionConflict') {
      throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException', Item: lockReason?.Item });
    }
    // A record that failed its check, or that another writer (the deployer) holds right now: read it again.
    if (reasons.slice(1).some((r) => r === 'ConditionalCheckFailed' || r === 'TransactionConflict')) throw new RecordsChangedError();
    throw e;
  }
}

export function lockEnv(env: string): string {
  return `${sgnItemPrefix}lock:${env}`;
}

const epoch = (d: Date) => String(Math.floor(d.getTime() / 1000));

function lockItem(input: AcquireLockInput, lockId: string, since: Date): Item {
  const h = input.holder;
  const expires = new Date(input.now().getTime() + input.ttlSeconds * 1000);
  return {
    Application: { S: input.project },
    Env: { S: lockEnv(input.env) },
    LockId: { S: lockId },
    Holder: { S: h.who },
    Host: { S: h.host },
    Pid: { N: String(h.pid) },
    Since: { S: since.toISOString() },
    Expires: { N: epoch(expires) },
    ...(h.tag ? { Tag: { S: h.tag } } : {}),
    ...(h.from ? { From: { S: h.from } } : {}),
  };
}

/** The holder a lock item names (`sgn:lock:<env>` items of the deploy table). */
export function holderFromItem(item: Item): LockHolder {
  return {
    who: item.Holder?.S ?? 'someone',
    host: item.Host?.S ?? '?',
    pid: Number(item.Pid?.N ?? 0),
    since: new Date(item.Since?.S ?? 0),
    expires: new Date(Number(item.Expires?.N ?? 0) * 1000),
    tag: item.Tag?.S,
    from: item.From?.S,
    interrupted: item.Interrupted?.S ? new Date(item.Interrupted.S) : undefined,
  };
}

/** "arn:... on host (pid 123), deploying git-x from staging, since 12:00:01 (5s ago)". */
export function describeHolder(h: LockHolder, now: Date): string {
  const what = h.tag ? `, deploying ${h.tag}${h.from ? ` from ${h.from}` : ''}` : '';
  const stopped = h.interrupted ? `, interrupted at ${h.interrupted.toISOString().slice(11, 19)} UTC while the deployer may still run (until ${h.expires.toISOString().slice(11, 19)} UTC)` : '';
  return `${h.who} on ${h.host} (pid ${h.pid})${what}, since ${h.since.toISOString().slice(11, 19)} UTC (${formatAge(h.since, now)})${stopped}`;
}

/**
 * Takes the deploy lock of (project, env), or throws a ConflictError naming the holder. A lock
 * past its expiry (its holder crashed or lost its connection) is taken over.
 */
export async function acquireDeployLock(db: DynamoApi, input: AcquireLockInput): Promise<DeployLock> {
  const key = { Application: { S: input.project }, Env: { S: lockEnv(input.env) } };
  const lockId = randomUUID();
  const since = input.now();
  const put = (condition: string, values?: Item) => {
    const write = {
      TableName: input.table,
      Item: lockItem(input, lockId, since),
      ConditionExpression: condition,
      ...(values ? { ExpressionAttributeValues: values } : {}),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    return input.unchanged?.length ? putWithChecks(db, write, input.unchanged) : db.putItem(write);
  };
  // The item that made a conditional write fail (DynamoDB returns it with ALL_OLD).
  const blocking = async (e: unknown): Promise<Item | undefined> => {
    if (awsErrorName(e) !== 'ConditionalCheckFailedException') throw e;
    return (e as { Item?: Item }).Item ?? (await db.getItem({ TableName: input.table, Key: key, ConsistentRead: true })).Item;
  };
  let tookOver: LockHolder | undefined;
  let holder: LockHolder | undefined;
  let acquired = false;
  for (let attempt = 0; attempt < 3 && !acquired; attempt++) {
    try {
      // The conditional write is atomic: of two deploys started together exactly one wins.
      await put('attribute_not_exists(Application)');
      acquired = true;
      break;
    } catch (e) {
      const current = await blocking(e);
      if (!current) continue; // released between our write and our read
      holder = holderFromItem(current);
      if (holder.expires.getTime() > input.now().getTime() && !(holder.interrupted && input.breakInterrupted)) break;
      // Expired: its holder crashed or lost its connection. Take over exactly that lock.
      try {
        await put(current.Expires?.N ? 'Expires = :old' : 'attribute_not_exists(Expires)', current.Expires?.N ? { ':old': { N: current.Expires.N } } : undefined);
        tookOver = holder;
        acquired = true;
      } catch (e2) {
        await blocking(e2);
      }
    }
  }
  if (!acquired) {
    const now = input.now();
    throw new ConflictError(
      `${input.project} is already being deployed to ${input.env} by ${holder ? describeHolder(holder, now) : 'someone else'}.`,
      holder?.interrupted
        ? `The lock is taken over at ${holder.expires.toISOString().slice(11, 19)} UTC. Check whether the deployer has finished (\`sgn ls deployed --project ${input.project}\`); if it has, add --break-lock to take the lock over now.`
        : `Wait for that deploy to finish (\`sgn ls deployed --project ${input.project}\`).${holder ? ` A lock left by a crashed run expires at ${holder.expires.toISOString().slice(11, 19)} UTC and is then taken over.` : ''}`,
    );
  }

  // Keep the lock alive while the deploy runs, so that a long deploy never looks abandoned.
  const refresh = async () => {
    try {
      await db.putItem({
        TableName: input.table,
        Item: lockItem(input, lockId, since),
        ConditionExpression: 'LockId = :id',
        ExpressionAttributeValues: { ':id': { S: lockId } },
      });
    } catch (e) {
      clearInterval(timer);
      input.onWarning?.(
        awsErrorName(e) === 'ConditionalCheckFailedException'
          ? `The deploy lock of ${input.project} -> ${input.env} was taken over by someone else while this deploy ran.`
          : `Could not renew the deploy lock (${(e as Error).message}); it expires by itself.`,
      );
    }
  };
  const timer = setInterval(() => void refresh(), Math.max(1000, (input.ttlSeconds * 1000) / 3));
  timer.unref();

  let released = false;
  return {
    tookOver,
    holdUntil: async (until) => {
      if (released) return false;
      released = true;
      clearInterval(timer);
      try {
        await db.putItem({
          TableName: input.table,
          Item: { ...lockItem(input, lockId, since), Expires: { N: epoch(until) }, Interrupted: { S: input.now().toISOString() } },
          ConditionExpression: 'LockId = :id',
          ExpressionAttributeValues: { ':id': { S: lockId } },
        });
        return true;
      } catch (e) {
        input.onWarning?.(`Could not keep the deploy lock (${(e as Error).message}).`);
        return false;
      }
    },
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      try {
        await db.deleteItem({ TableName: input.table, Key: key, ConditionExpression: 'LockId = :id', ExpressionAttributeValues: { ':id': { S: lockId } } });
      } catch (e) {
        if (awsErrorName(e) === 'ConditionalCheckFailedException') return;
        input.onWarning?.(`Could not release the deploy lock (${(e as Error).message}); it expires in at most ${input.ttlSeconds} s.`);
      }
    },
  };
}
