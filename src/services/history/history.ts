import type { DynamoApi } from '../../aws/dynamodb.js';
import type { Settings } from '../../settings/schema.js';
import { queryProject, tableError } from '../records.js';
import { queryHistory, type HistoryEntry } from './audit.js';

export interface HistoryOptions {
  project: string;
  env?: string;
  /** At most this many entries; undefined: all. */
  limit?: number;
}

export interface HistoryDeps {
  db: Pick<DynamoApi, 'query'>;
  settings: Pick<Settings, 'table'>;
  region?: string;
}

export interface HistoryResult {
  project: string;
  env?: string;
  /** What each env runs now (the deploy records), so that the history is useful from day one. */
  current: { env: string; tag?: string; deployedAt?: Date; key?: string }[];
  /** Every deploy and rollback sgn made, newest first. */
  entries: HistoryEntry[];
}

/** `sgn history <project> [env]`: the current records and sgn's audit items, newest first. */
export async function projectHistory(deps: HistoryDeps, opts: HistoryOptions): Promise<HistoryResult> {
  try {
    const [records, entries] = await Promise.all([queryProject(deps.db as DynamoApi, deps.settings.table, opts.project), queryHistory(deps.db, deps.settings.table, opts.project, { env: opts.env, limit: opts.limit })]);
    return {
      project: opts.project,
      ...(opts.env ? { env: opts.env } : {}),
      current: records.filter((r) => !opts.env || r.env === opts.env).map((r) => ({ env: r.env, tag: r.tag, deployedAt: r.deployedAt, key: r.objectKey })),
      entries,
    };
  } catch (e) {
    throw tableError(e, deps.settings.table, deps.region, `reading table ${deps.settings.table}`);
  }
}
