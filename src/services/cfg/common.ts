/**
 * What every `sgn cfg` command shares: the bucket and key layout from the settings, the S3
 * adapter, listing config files (never under k8s_deployer/), and picking the environment when
 * the user left it out.
 */
import type { S3Api } from '../../aws/s3.js';
import type { Reporter } from '../../io.js';
import { SgnError, UsageError } from '../../errors.js';
import { configLayout, deployerFolder, type ConfigLayout } from './layout.js';
import { s3Error, type ConfigRef } from './store.js';

/** The settings every cfg service reads. */
export interface CfgSettings {
  configBucket: string;
  configKey: string;
  environments: string[];
}

/** What every cfg service that reads or writes one project's file needs. */
export interface CfgBaseDeps {
  s3: S3Api;
  settings: CfgSettings;
  report: Reporter;
  debug?: (message: string) => void;
}

/** The object of a project's config in an environment (refuses k8s_deployer/ keys). */
export function configRef(settings: Pick<CfgSettings, 'configBucket' | 'configKey'>, project: string, env: string): ConfigRef {
  return { bucket: settings.configBucket, key: configLayout(settings.configKey).keyFor(project, env), project, env };
}

export interface ConfigFileInfo {
  project: string;
  env: string;
  key: string;
  lastModified?: Date;
  size: number;
}

async function listAll(s3: S3Api, bucket: string, prefix: string, delimiter?: string): Promise<{ raw: { key: string; lastModified?: Date; size: number }[]; prefixes: string[] }> {
  const raw: { key: string; lastModified?: Date; size: number }[] = [];
  const prefixes: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.listObjectsV2({ Bucket: bucket, Prefix: prefix, ...(delimiter ? { Delimiter: delimiter } : {}), ContinuationToken: token });
    for (const o of page.Contents ?? []) if (o.Key && !o.Key.startsWith(deployerFolder)) raw.push({ key: o.Key, lastModified: o.LastModified, size: o.Size ?? 0 });
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix && !p.Prefix.startsWith(deployerFolder)) prefixes.push(p.Prefix);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { raw, prefixes };
}

/** Sorts config files by project, then environment in the settings' order. */
export function sortFiles(files: ConfigFileInfo[], environments: string[]): ConfigFileInfo[] {
  const rank = (env: string) => {
    const i = environments.indexOf(env);
    return i < 0 ? environments.length : i;
  };
  return files.sort((a, b) => a.project.localeCompare(b.project) || rank(a.env) - rank(b.env) || a.env.localeCompare(b.env));
}

/**
 * Lists config files: with a project, one listing of its prefix; without, the project
 * "folders" first (a delimiter listing, skipping k8s_deployer/), then each folder's files.
 */
/** What listing needs. */
export interface CfgListing {
  s3(): Promise<S3Api>;
  layout: ConfigLayout;
  bucket: string;
  environments: string[];
}

/** Listing with narrow deps. */
export function listingOf(deps: { s3: S3Api; settings: CfgSettings }): CfgListing {
  return { s3: async () => deps.s3, layout: configLayout(deps.settings.configKey), bucket: deps.settings.configBucket, environments: deps.settings.environments };
}

export async function listConfigFiles(cfg: CfgListing, project?: string): Promise<ConfigFileInfo[]> {
  const s3 = await cfg.s3();
  const { layout, bucket } = cfg;
  const toInfo = (raw: { key: string; lastModified?: Date; size: number }[]) =>
    raw.flatMap((o) => {
      const p = layout.parse(o.key);
      return p && (!project || p.project === project) ? [{ ...p, key: o.key, lastModified: o.lastModified, size: o.size }] : [];
    });
  try {
    if (project) return sortFiles(toInfo((await listAll(s3, bucket, layout.projectPrefix(project))).raw), cfg.environments);
    if (!layout.projectIsFolder) return sortFiles(toInfo((await listAll(s3, bucket, layout.root)).raw), cfg.environments);
    const { prefixes } = await listAll(s3, bucket, layout.root, '/');
    const files: ConfigFileInfo[] = [];
    // A few folders at a time: one listing per project, in parallel but bounded.
    for (let i = 0; i < prefixes.length; i += 8) {
      const pages = await Promise.all(prefixes.slice(i, i + 8).map((p) => listAll(s3, bucket, p)));
      for (const page of pages) files.push(...toInfo(page.raw));
    }
    return sortFiles(files, cfg.environments);
  } catch (e) {
    throw s3Error(e, { bucket }, `listing s3://${bucket}/${layout.root}`);
  }
}

/**
 * The environment to work on when the user named none: the only one the project has a config
 * file for; or, when there are several, a choice on a terminal (a usage error without one).
 */
export async function pickEnv(
  deps: { s3: S3Api; settings: CfgSettings; report: Reporter; chooseEnv?: (question: string, envs: string[]) => Promise<string> },
  project: string,
  verb: string,
): Promise<string> {
  const files = await listConfigFiles(listingOf(deps), project);
  const envs = files.map((f) => f.env);
  const example = (env: string) => `sgn cfg ${verb} ${project} ${env}`;
  if (envs.length === 0) {
    throw new SgnError(`Project "${project}" has no config files in s3://${deps.settings.configBucket}.`, {
      hint: `See which projects have one: sgn cfg ls. To create one, name the environment: sgn cfg edit ${project} ${deps.settings.environments[0] ?? 'staging'}`,
    });
  }
  if (envs.length === 1) {
    deps.report.emit({ level: 'info', code: 'cfg.env.only', message: `Using ${project}/${envs[0]}, the only config file of ${project}.` });
    return envs[0];
  }
  if (!deps.chooseEnv) throw new UsageError(`Project "${project}" has config files for ${envs.join(', ')}; say which environment.`, `For example: ${example(envs[envs.length - 1])}`);
  return deps.chooseEnv(`Which environment of ${project}?`, envs);
}

/** New config files only for configured environments (a typo must not create a stray file). */
export function assertKnownEnv(environments: string[], env: string): void {
  if (!environments.includes(env)) {
    throw new UsageError(
      `"${env}" is not one of the configured environments (${environments.join(', ')}), and it has no config file yet.`,
      `Check the spelling, or add it: sgn config set environments ${[...environments, env].join(',')}`,
    );
  }
}
