/**
 * Where completion gets names: projects and environments from the deploy table (and the
 * environments setting), cached for a minute; config keys from the config file itself; setting
 * names from the schema. Every read is bounded by a short timeout, and a failure (no network,
 * no credentials, no table) gives no names rather than an error: a TAB must never print one.
 */
import type { DynamoApi } from '../../aws/dynamodb.js';
import type { S3Api } from '../../aws/s3.js';
import { settingSpecs, type Settings } from '../../settings/schema.js';
import { configLayout } from '../cfg/layout.js';
import { configItems, parseConfig } from '../cfg/parser.js';
import { decodeConfig, maxConfigFileBytes } from '../cfg/validate.js';
import type { Candidate, CompletionSources } from './complete.js';

/** A small store of JSON values that outlives the process (a file under the XDG cache dir). */
export interface NameCache {
  read(key: string): unknown;
  write(key: string, value: unknown): void;
}

export interface SourceDeps {
  dynamo(): Promise<Pick<DynamoApi, 'scan'>>;
  s3(): Promise<Pick<S3Api, 'getObject'>>;
  settings: Pick<Settings, 'table' | 'environments' | 'configBucket' | 'configKey'>;
  /** What the cached names belong to (table, region, endpoints, profile): part of the cache key. */
  scope: string;
  cache: NameCache;
  now(): Date;
  /** How long a TAB may wait for AWS. */
  timeoutMs: number;
  /** How long names stay cached. */
  ttlMs: number;
}

interface CachedNames {
  at: number;
  scope: string;
  projects: string[];
  environments: string[];
}

/** Resolves to undefined when `work` fails or takes longer than `ms`. */
async function bounded<T>(work: () => Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every (project, environment) pair in the deploy table: a Scan of the two key attributes. */
async function scanNames(db: Pick<DynamoApi, 'scan'>, table: string): Promise<{ projects: string[]; environments: string[] }> {
  const projects = new Set<string>();
  const environments = new Set<string>();
  let start: Record<string, never> | undefined;
  // A few pages at most: completion wants names now, not a full export of a huge table.
  for (let page = 0; page < 20; page++) {
    const out = await db.scan({ TableName: table, ProjectionExpression: 'Application, #e', ExpressionAttributeNames: { '#e': 'Env' }, ExclusiveStartKey: start });
    for (const item of out.Items ?? []) {
      if (item.Application?.S) projects.add(item.Application.S);
      if (item.Env?.S) environments.add(item.Env.S);
    }
    start = out.LastEvaluatedKey as typeof start;
    if (!start) break;
  }
  return { projects: [...projects], environments: [...environments] };
}

export function completionSources(deps: SourceDeps): CompletionSources {
  let names: Promise<{ projects: string[]; environments: string[] } | undefined> | undefined;
  const tableNames = () =>
    (names ??= (async () => {
      const key = 'names';
      const cached = deps.cache.read(key) as CachedNames | undefined;
      const now = deps.now().getTime();
      if (cached && cached.scope === deps.scope && now - cached.at >= 0 && now - cached.at < deps.ttlMs) return cached;
      const fresh = await bounded(async () => scanNames(await deps.dynamo(), deps.settings.table), deps.timeoutMs);
      if (fresh) deps.cache.write(key, { at: now, scope: deps.scope, ...fresh } satisfies CachedNames);
      return fresh;
    })());
  return {
    projects: async () => (await tableNames())?.projects ?? [],
    environments: async () => [...deps.settings.environments, ...((await tableNames())?.environments ?? [])],
    configKeys: async (project, env) => {
      const keys = await bounded(async () => {
        const key = configLayout(deps.settings.configKey).keyFor(project, env);
        const out = await (await deps.s3()).getObject({ Bucket: deps.settings.configBucket, Key: key }, { maxBytes: maxConfigFileBytes });
        const decoded = decodeConfig(out.Body);
        return decoded.ok ? configItems(parseConfig(decoded.text)).map((o) => o.rawKey) : [];
      }, deps.timeoutMs);
      return keys ?? [];
    },
    settings: (): Candidate[] => Object.entries(settingSpecs).map(([value, spec]) => ({ value, description: spec.description })),
  };
}
