import type { DynamoApi, Item } from '../aws/dynamodb.js';
import { queryProject, scanAll, sgnItemPrefix, tableError, type DeployRecord } from './records.js';
import { holderFromItem, type LockHolder } from './deploy/lock.js';
import type { Settings } from '../settings/schema.js';
import type { Cell, TableModel } from '../table.js';
import { formatAge } from '../time.js';

export interface LsDeployedOptions {
  project?: string;
  /** Environments to show; all configured (plus any found in the table) when empty. */
  envs: string[];
}

/** A deploy that holds its lock now (or left it after an interrupt while the deployer may run). */
export interface InProgress {
  project: string;
  env: string;
  holder: LockHolder;
}

export interface DeployedResult {
  envs: string[];
  rows: ProjectRow[];
  inProgress: InProgress[];
}

export type StatusCode = 'in-sync' | 'ahead' | 'differs' | 'only' | 'missing';

/** Where a project stands: in sync, an environment waiting for promotion, or only in one place. */
export interface ProjectStatus {
  code: StatusCode;
  text: string;
}

export interface ProjectRow {
  project: string;
  records: Record<string, DeployRecord>;
  status: ProjectStatus;
}

/** Computes a project's status from its records along the promotion pairs of the settings. */
export function projectStatus(records: Record<string, DeployRecord>, envs: string[], promoteFrom: Record<string, string>): ProjectStatus {
  const present = envs.filter((e) => records[e]);
  if (present.length === 0) return { code: 'missing', text: 'not deployed' };
  if (present.length === 1 && envs.length > 1) return { code: 'only', text: `only in ${present[0]}` };
  const notes: ProjectStatus[] = [];
  for (const target of envs) {
    const source = promoteFrom[target];
    if (!source || !envs.includes(source)) continue;
    const s = records[source];
    const t = records[target];
    if (!s) continue;
    if (!t) {
      notes.push({ code: 'ahead', text: `${source} ahead` });
      continue;
    }
    if (s.tag === t.tag) continue;
    const sTime = s.deployedAt?.getTime() ?? 0;
    const tTime = t.deployedAt?.getTime() ?? 0;
    notes.push(sTime >= tTime ? { code: 'ahead', text: `${source} ahead` } : { code: 'differs', text: `${target} differs` });
  }
  if (notes.length === 0) return { code: 'in-sync', text: 'in sync' };
  return { code: notes.some((n) => n.code === 'ahead') ? 'ahead' : 'differs', text: notes.map((n) => n.text).join(', ') };
}

/** Loads the rows of `ls deployed`: Query for one project, parallel Scan for all. */
export async function loadDeployed(db: DynamoApi, settings: Settings, opts: LsDeployedOptions, now: Date = new Date()): Promise<DeployedResult> {
  const inProgress: InProgress[] = [];
  const lockPrefix = `${sgnItemPrefix}lock:`;
  const onSgnItem = (item: Item) => {
    const env = item.Env?.S ?? '';
    if (!env.startsWith(lockPrefix) || !item.Application?.S) return;
    const holder = holderFromItem(item);
    // An expired lock is an abandoned one: its holder crashed, nothing runs.
    if (holder.expires.getTime() > now.getTime()) inProgress.push({ project: item.Application.S, env: env.slice(lockPrefix.length), holder });
  };
  const records = opts.project ? await queryProject(db, settings.table, opts.project, onSgnItem) : await scanAll(db, settings.table, 4, onSgnItem);
  const byProject = new Map<string, Record<string, DeployRecord>>();
  const seenEnvs = new Set<string>();
  for (const r of records) {
    seenEnvs.add(r.env);
    let m = byProject.get(r.project);
    if (!m) byProject.set(r.project, (m = {}));
    m[r.env] = r;
  }
  // Configured environments first, in their order; environments found only in the table after.
  const envs = opts.envs.length > 0 ? opts.envs : [...settings.environments, ...[...seenEnvs].filter((e) => !settings.environments.includes(e)).sort()];
  const rows = [...byProject.entries()]
    .filter(([, recs]) => envs.some((e) => recs[e]))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([project, recs]) => ({ project, records: recs, status: projectStatus(recs, envs, settings.promoteFrom) }));
  inProgress.sort((a, b) => a.project.localeCompare(b.project) || a.env.localeCompare(b.env));
  return { envs, rows, inProgress };
}

function recordJson(r: DeployRecord) {
  return {
    tag: r.tag ?? null,
    deployed: r.deployedAt?.toISOString() ?? null,
    deployedRaw: r.deployedRaw ?? null,
    bucketName: r.bucketName ?? null,
    objectKey: r.objectKey ?? null,
    ...(Object.keys(r.extra).length ? { extra: r.extra } : {}),
  };
}

/** The JSON document of `ls deployed --json`: one object per project; `deploying` while a deploy holds its lock. */
export function deployedJson({ envs, rows, inProgress }: DeployedResult) {
  return rows.map((row) => {
    const deploying = inProgress.filter((p) => p.project === row.project);
    return {
      project: row.project,
      status: row.status.code,
      statusText: row.status.text,
      environments: Object.fromEntries(envs.filter((e) => row.records[e]).map((e) => [e, recordJson(row.records[e])])),
      ...(deploying.length
        ? {
            deploying: Object.fromEntries(
              deploying.map((p) => [p.env, { by: p.holder.who, host: p.holder.host, since: p.holder.since.toISOString(), tag: p.holder.tag ?? null, from: p.holder.from ?? null, interrupted: p.holder.interrupted?.toISOString() ?? null, until: p.holder.expires.toISOString() }]),
            ),
          }
        : {}),
    };
  });
}

/** The table of `ls deployed` for people: tag and age per environment, status coloured by need. */
export function deployedTable(envs: string[], rows: ProjectRow[], now: Date, wide: boolean): TableModel {
  const columns = [{ header: 'Project' }];
  for (const e of envs) {
    columns.push({ header: e });
    if (wide) columns.push({ header: `${e} deployed at` }, { header: `${e} artifact` });
  }
  columns.push({ header: 'Status' });
  const statusRole = { 'in-sync': 'good', ahead: 'warn', differs: 'bad', only: 'dim', missing: 'dim' } as const;
  const table: TableModel = { columns, rows: [] };
  for (const row of rows) {
    const cells: Cell[] = [row.project];
    for (const e of envs) {
      const r = row.records[e];
      if (!r) {
        cells.push({ text: '-', role: 'dim' });
        if (wide) cells.push('', '');
        continue;
      }
      const age = r.deployedAt ? formatAge(r.deployedAt, now) : '?';
      cells.push(`${r.tag ?? '?'} (${age})`);
      if (wide) cells.push(r.deployedAt?.toISOString() ?? `? (${r.deployedRaw ?? 'missing'})`, r.objectKey ?? '?');
    }
    cells.push({ text: row.status.text, role: statusRole[row.status.code] });
    table.rows.push(cells);
  }
  return table;
}

/** `sgn ls deployed`: the table's records by project and environment, and the deploys running now. */
export async function lsDeployed(deps: { db: DynamoApi; settings: Settings; region: string; now: () => Date }, opts: LsDeployedOptions): Promise<DeployedResult> {
  try {
    return await loadDeployed(deps.db, deps.settings, opts, deps.now());
  } catch (e) {
    throw tableError(e, deps.settings.table, deps.region, `reading table ${deps.settings.table}`);
  }
}
