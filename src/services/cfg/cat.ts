/**
 * `sgn cfg cat`: one config file, as stored (bytes untouched) or as the Secret the deployer would
 * build from it. The Secret is shown whenever the deployer builds one, even when Kubernetes or
 * sgn object to it (their problems are reported); when the deployer's configparser refuses the
 * file there is no Secret, and that is an error naming the lines.
 */
import type { S3Api } from '../../aws/s3.js';
import { SgnError } from '../../errors.js';
import type { Reporter } from '../../io.js';
import { pickEnv } from './common.js';
import { configLayout } from './layout.js';
import { fetchConfig, s3Url, type ConfigRef } from './store.js';
import { consequence, decodeConfig, deployerRefuses, maxConfigFileBytes, validateConfig, type Problem, type Validation } from './validate.js';

export interface CfgCatDeps {
  s3: S3Api;
  settings: { configBucket: string; configKey: string; environments: string[] };
  /** Asks which of several environments; absent when there is no terminal to ask on. */
  chooseEnv?: (question: string, envs: string[]) => Promise<string>;
  report: Reporter;
  debug?: (message: string) => void;
}

export interface CfgCatOptions {
  project: string;
  env?: string;
  versionId?: string;
  /** What to read: the stored bytes, or the Secret the deployer builds from them. */
  view: 'file' | 'secret';
}

export type CfgCatResult =
  | { view: 'file'; project: string; env: string; key: string; versionId?: string; bytes: Uint8Array }
  | { view: 'secret'; project: string; env: string; key: string; versionId?: string; data: Record<string, string>; problems: Problem[]; warnings: Problem[] };

const where = (p: Problem) => (p.line ? `line ${p.line}: ` : '');

/**
 * The Secret the deployer builds from a stored file. Problems go to the reporter (errors when
 * the deployer's configparser refuses the file, which then throws: there is no Secret; warnings
 * when Kubernetes or sgn object to a Secret the deployer does build).
 */
export function readSecret(report: Reporter, ref: ConfigRef, bytes: Uint8Array, soWhat: string): Validation {
  const decoded = decodeConfig(bytes);
  if (!decoded.ok) throw new SgnError(`${s3Url(ref)} is not a config file the deployer can read: ${decoded.reason}.`, { hint: 'Inspect it with `aws s3 cp`, then replace it with sgn cfg edit.' });
  const v = validateConfig(decoded.text);
  const refused = deployerRefuses(v).length > 0;
  for (const p of v.errors) report.emit({ level: refused ? 'error' : 'warn', code: 'cfg.problem', message: `${refused ? '' : `${s3Url(ref)}: `}${where(p)}${p.message}`, data: { line: p.line, by: p.by } });
  if (refused) throw new SgnError(`The deployer cannot parse ${s3Url(ref)}, so it builds no Secret and ${soWhat}.`, { hint: `Fix it with: sgn cfg edit ${ref.project} ${ref.env}` });
  const then = consequence(v);
  if (then) report.emit({ level: 'warn', code: 'cfg.consequence', message: then });
  return v;
}

/** Reads one config file (the newest version, or `versionId`). */
export async function cfgCat(deps: CfgCatDeps, opts: CfgCatOptions): Promise<CfgCatResult> {
  const layout = configLayout(deps.settings.configKey);
  layout.projectPrefix(opts.project); // refuses k8s_deployer/ before any call
  const env = opts.env ?? (await pickEnv(deps, opts.project, 'cat'));
  const ref: ConfigRef = { bucket: deps.settings.configBucket, key: layout.keyFor(opts.project, env), project: opts.project, env };
  const stored = await fetchConfig(deps.s3, ref, { versionId: opts.versionId, maxBytes: maxConfigFileBytes, debug: deps.debug });
  if (!stored) {
    throw new SgnError(`There is no config file for ${opts.project} in ${env} (${s3Url(ref)}).`, {
      hint: `See what exists: sgn cfg ls ${opts.project}. Create it with: sgn cfg edit ${opts.project} ${env}`,
    });
  }
  const base = { project: opts.project, env, key: ref.key, versionId: stored.versionId };
  if (opts.view === 'file') return { view: 'file', ...base, bytes: stored.bytes };

  const v = readSecret(deps.report, ref, stored.bytes, 'there are no keys to show');
  return { view: 'secret', ...base, data: Object.fromEntries(v.entries.map((e) => [e.key, e.value])), problems: v.errors, warnings: v.warnings };
}
