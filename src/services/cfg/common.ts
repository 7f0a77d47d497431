/**
 * What every `sgn cfg` command shares: the bucket and key layout from the settings, the S3
 * adapter, listing config files (never under k8s_deployer/), and picking the environment when
 * the user left it out.
 */
import type { Context } from '../../context.js';
import type { S3Api } from '../../aws/s3.js';
import { SgnError, UsageError } from '../../errors.js';
import { configLayout, deployerFolder, type ConfigLayout } from './layout.js';
import { s3Error, type ConfigRef } from './store.js';

export interface Cfg {
  ctx: Context;
  bucket: string;
  layout: ConfigLayout;
  /** Configured environments, in display order. */
  environments: string[];
  s3(): Promise<S3Api>;
  /** The object of a project's config in an environment (refuses k8s_deployer/ keys). */
  ref(project: string, env: string): ConfigRef;
}

/** What a cfg service can be given instead of the real thing (tests pass a fake S3). */
export interface CfgDeps {
  s3?: S3Api;
}

/** Reads the settings cfg needs; no AWS call yet (so bad names fail before any request). */
export function cfgFor(ctx: Context, deps: CfgDeps = {}): Cfg {
  const settings = ctx.settings();
  const layout = configLayout(settings.configKey);
  let api: Promise<S3Api> | undefined = deps.s3 && Promise.resolve(deps.s3);
  return {
    ctx,
    bucket: settings.configBucket,
    layout,
    environments: settings.environments,
    s3: () =>
      (api ??= (async () => {
        const { s3Api } = await import('../../aws/s3.js');
        return s3Api(await ctx.aws());
      })()),
    ref: (project, env) => ({ bucket: settings.configBucket, key: layout.keyFor(project, env), project, env }),
  };
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
/** What listing needs: the legacy Cfg has it, and so do the narrow deps of the new services. */
export type CfgListing = Pick<Cfg, 's3' | 'layout' | 'bucket' | 'environments'>;

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
export async function resolveEnv(cfg: Cfg, project: string, env: string | undefined, example: (env: string) => string): Promise<string> {
  if (env) return env;
  const files = await listConfigFiles(cfg, project);
  if (files.length === 0) {
    throw new SgnError(`Project "${project}" has no config files in s3://${cfg.bucket}.`, {
      hint: `See which projects have one: sgn cfg ls. To create one, name the environment: ${example(cfg.environments[0] ?? 'staging')}`,
    });
  }
  if (files.length === 1) {
    cfg.ctx.io.info(cfg.ctx.io.err.dim(`Using ${project}/${files[0].env}, the only config file of ${project}.`));
    return files[0].env;
  }
  const envs = files.map((f) => f.env);
  if (!cfg.ctx.io.canPrompt) {
    throw new UsageError(`Project "${project}" has config files for ${envs.join(', ')}; say which environment.`, `For example: ${example(envs[envs.length - 1])}`);
  }
  const prompter = await cfg.ctx.prompter();
  return prompter.select(`Which environment of ${project}?`, envs.map((e) => ({ value: e, name: e })));
}

/** New config files only for configured environments (a typo must not create a stray file). */
export function assertKnownEnv(cfg: Cfg, env: string): void {
  if (!cfg.environments.includes(env)) {
    throw new UsageError(
      `"${env}" is not one of the configured environments (${cfg.environments.join(', ')}), and it has no config file yet.`,
      `Check the spelling, or add it: sgn config set environments ${[...cfg.environments, env].join(',')}`,
    );
  }
}

/** The temp folder root: $TMPDIR (as the context sees it), else the OS default. */
export async function tempRoot(ctx: Context): Promise<string> {
  if (ctx.env.TMPDIR) return ctx.env.TMPDIR;
  const { tmpdir } = await import('node:os');
  return tmpdir();
}
