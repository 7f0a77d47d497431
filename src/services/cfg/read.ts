/**
 * The read commands of `sgn cfg` still in the older form: ls and history (cat and diff moved
 * to cat.ts and compare.ts).
 */
import type { Context } from '../../context.js';
import { SgnError } from '../../errors.js';
import { formatAge } from '../../time.js';
import type { TableModel } from '../../table.js';
import { cfgFor, listConfigFiles, type CfgDeps, resolveEnv } from './common.js';
import { s3Error, s3Url } from './store.js';
import { formatBytes } from './validate.js';

export interface CfgLsOptions {
  project?: string;
  json: boolean;
}

/** `sgn cfg ls [project]`: config files with last-modified and size. */
export async function cfgLs(ctx: Context, opts: CfgLsOptions, deps: CfgDeps = {}): Promise<number> {
  const cfg = cfgFor(ctx, deps);
  if (opts.project) cfg.layout.projectPrefix(opts.project); // refuses k8s_deployer before any call
  const files = await listConfigFiles(cfg, opts.project);
  if (opts.json) {
    ctx.io.json(files.map((f) => ({ project: f.project, env: f.env, key: f.key, lastModified: f.lastModified?.toISOString() ?? null, size: f.size })));
    return 0;
  }
  if (files.length === 0) {
    ctx.io.info(opts.project ? `Project "${opts.project}" has no config files in s3://${cfg.bucket}.` : `No config files in s3://${cfg.bucket}.`);
    return 0;
  }
  const now = ctx.now();
  const table: TableModel = {
    columns: [{ header: 'Project' }, { header: 'Env' }, { header: 'Modified' }, { header: 'Size' }],
    rows: files.map((f) => [f.project, f.env, f.lastModified ? formatAge(f.lastModified, now) : '?', formatBytes(f.size)]),
  };
  const { printTable } = await import('../../table.js');
  await printTable(ctx.io, table);
  return 0;
}

export interface CfgHistoryOptions {
  project: string;
  env?: string;
  json: boolean;
  limit: number;
}

/** `sgn cfg history`: the S3 object versions of a config file, newest first. */
export async function cfgHistory(ctx: Context, opts: CfgHistoryOptions, deps: CfgDeps = {}): Promise<number> {
  const cfg = cfgFor(ctx, deps);
  cfg.layout.projectPrefix(opts.project);
  const env = await resolveEnv(cfg, opts.project, opts.env, (e) => `sgn cfg history ${opts.project} ${e}`);
  const ref = cfg.ref(opts.project, env);
  const s3 = await cfg.s3();
  type Entry = { versionId: string; lastModified?: Date; size: number | null; etag: string | null; latest: boolean; deleted: boolean };
  const entries: Entry[] = [];
  let status: string | undefined;
  try {
    status = (await s3.getBucketVersioning({ Bucket: ref.bucket })).Status;
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await s3.listObjectVersions({ Bucket: ref.bucket, Prefix: ref.key, KeyMarker: keyMarker, VersionIdMarker: versionMarker });
      for (const v of page.Versions ?? []) {
        if (v.Key === ref.key) entries.push({ versionId: v.VersionId ?? 'null', lastModified: v.LastModified, size: v.Size ?? 0, etag: v.ETag ?? null, latest: Boolean(v.IsLatest), deleted: false });
      }
      for (const d of page.DeleteMarkers ?? []) {
        if (d.Key === ref.key) entries.push({ versionId: d.VersionId ?? 'null', lastModified: d.LastModified, size: null, etag: null, latest: Boolean(d.IsLatest), deleted: true });
      }
      // Versions come sorted by key, so once past ours there is nothing more to read.
      const pastKey = page.NextKeyMarker !== undefined && page.NextKeyMarker !== ref.key;
      keyMarker = page.IsTruncated && !pastKey ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated && !pastKey ? page.NextVersionIdMarker : undefined;
    } while (keyMarker && entries.length <= opts.limit);
  } catch (e) {
    throw s3Error(e, ref, `reading the versions of ${s3Url(ref)}`);
  }
  entries.sort((x, y) => (y.lastModified?.getTime() ?? 0) - (x.lastModified?.getTime() ?? 0) || Number(y.latest) - Number(x.latest));
  const shown = entries.slice(0, opts.limit);

  if (status !== 'Enabled') {
    const hint = `Turn versioning on (then every change is kept): aws s3api put-bucket-versioning --bucket ${ref.bucket} --versioning-configuration Status=Enabled`;
    if (status === 'Suspended') ctx.io.warn(`Versioning of s3://${ref.bucket} is suspended: changes since then replaced each other without history. ${hint}`);
    else ctx.io.warn(`s3://${ref.bucket} has no versioning, so there is no history of ${ref.key}: only the current file exists. ${hint}`);
  }
  if (opts.json) {
    ctx.io.json(shown.map((e) => ({ ...e, lastModified: e.lastModified?.toISOString() ?? null })));
    return 0;
  }
  if (shown.length === 0) throw new SgnError(`There is no config file for ${ref.project} in ${ref.env} (${s3Url(ref)}), now or in its history.`, { hint: `See what exists: sgn cfg ls ${ref.project}` });
  const now = ctx.now();
  const table: TableModel = {
    columns: [{ header: 'Version' }, { header: 'Modified' }, { header: 'When' }, { header: 'Size' }, { header: '' }],
    rows: shown.map((e) => [
      e.versionId,
      e.lastModified?.toISOString().replace(/\.\d+Z$/, 'Z') ?? '?',
      e.lastModified ? formatAge(e.lastModified, now) : '?',
      e.size === null ? '-' : formatBytes(e.size),
      e.deleted ? { text: e.latest ? 'deleted (current)' : 'deleted', role: 'bad' } : e.latest ? { text: 'current', role: 'good' } : '',
    ]),
  };
  const { printTable } = await import('../../table.js');
  await printTable(ctx.io, table);
  if (entries.length > shown.length) ctx.io.info(ctx.io.err.dim(`Showing the newest ${shown.length}; --limit shows more.`));
  if (ctx.io.stderrIsTTY && shown.length > 1) ctx.io.info(ctx.io.err.dim(`See one: sgn cfg cat ${ref.project} ${ref.env} --version-id <id>. Bring one back: sgn cfg restore ${ref.project} ${ref.env} --version-id <id>`));
  return 0;
}
