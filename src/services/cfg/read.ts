/**
 * `sgn cfg ls` and `sgn cfg history`: which config files exist, and the S3 versions of one.
 * (cat and diff are cat.ts and compare.ts.)
 */
import type { S3Api } from '../../aws/s3.js';
import type { Reporter } from '../../io.js';
import { listConfigFiles, listingOf, pickEnv, type ConfigFileInfo } from './common.js';
import { configLayout } from './layout.js';
import { s3Error, s3Url, type ConfigRef } from './store.js';

export interface CfgReadDeps {
  s3: S3Api;
  settings: { configBucket: string; configKey: string; environments: string[] };
  /** Asks which of several environments; absent when there is no terminal to ask on. */
  chooseEnv?: (question: string, envs: string[]) => Promise<string>;
  report: Reporter;
}

export interface CfgLsOptions {
  project?: string;
}

export interface CfgLsResult {
  bucket: string;
  project?: string;
  files: ConfigFileInfo[];
}

/** Config files with last-modified and size (never the deployer's k8s_deployer/). */
export async function cfgLs(deps: CfgReadDeps, opts: CfgLsOptions): Promise<CfgLsResult> {
  if (opts.project) configLayout(deps.settings.configKey).projectPrefix(opts.project); // refuses k8s_deployer before any call
  return { bucket: deps.settings.configBucket, project: opts.project, files: await listConfigFiles(listingOf(deps), opts.project) };
}

export interface CfgHistoryOptions {
  project: string;
  env?: string;
  limit: number;
}

export interface ConfigVersion {
  versionId: string;
  lastModified?: Date;
  size: number | null;
  etag: string | null;
  latest: boolean;
  deleted: boolean;
}

export interface CfgHistoryResult {
  ref: ConfigRef;
  /** The bucket's versioning status (undefined: never enabled). */
  versioning?: string;
  /** Newest first, at most `limit`. */
  versions: ConfigVersion[];
  /** More versions exist than were shown. */
  more: boolean;
}

/** The S3 object versions of a config file, newest first, delete markers included. */
export async function cfgHistory(deps: CfgReadDeps, opts: CfgHistoryOptions): Promise<CfgHistoryResult> {
  const layout = configLayout(deps.settings.configKey);
  layout.projectPrefix(opts.project);
  const env = opts.env ?? (await pickEnv(deps, opts.project, 'history'));
  const ref: ConfigRef = { bucket: deps.settings.configBucket, key: layout.keyFor(opts.project, env), project: opts.project, env };
  const s3 = deps.s3;
  const entries: ConfigVersion[] = [];
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

  if (status !== 'Enabled') {
    const hint = `Turn versioning on (then every change is kept): aws s3api put-bucket-versioning --bucket ${ref.bucket} --versioning-configuration Status=Enabled`;
    deps.report.emit({
      level: 'warn',
      code: 'cfg.history.unversioned',
      message:
        status === 'Suspended'
          ? `Versioning of s3://${ref.bucket} is suspended: changes since then replaced each other without history. ${hint}`
          : `s3://${ref.bucket} has no versioning, so there is no history of ${ref.key}: only the current file exists. ${hint}`,
    });
  }
  return { ref, versioning: status, versions: entries.slice(0, opts.limit), more: entries.length > opts.limit };
}
