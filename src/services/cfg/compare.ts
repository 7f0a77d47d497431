/**
 * `sgn cfg diff`: the keys two environments' config files give the deployer, compared: keys
 * only in one, keys whose values differ, keys the same. Values leave this service only when
 * asked for (they are secrets).
 */
import type { S3Api } from '../../aws/s3.js';
import type { Reporter } from '../../io.js';
import { readSecret } from './cat.js';
import { configLayout } from './layout.js';
import { fetchConfig, s3Url, type ConfigRef } from './store.js';
import { SgnError } from '../../errors.js';
import { maxConfigFileBytes } from './validate.js';

export interface CfgCompareDeps {
  s3: S3Api;
  settings: { configBucket: string; configKey: string };
  report: Reporter;
  debug?: (message: string) => void;
}

export interface CfgCompareOptions {
  project: string;
  envA: string;
  envB: string;
  /** Put the values into the result (they are secrets). */
  withValues: boolean;
}

export interface CfgCompareResult {
  project: string;
  envs: [string, string];
  onlyIn: Record<string, string[]>;
  differ: string[];
  same: string[];
  /** Per key, each environment's value (null: absent); only with `withValues`. */
  values?: Record<string, Record<string, string | null>>;
  /** True when a key is only in one environment or a value differs. */
  differs: boolean;
}

/** Compares the Secrets the deployer builds from the two environments' config files. */
export async function cfgCompare(deps: CfgCompareDeps, opts: CfgCompareOptions): Promise<CfgCompareResult> {
  const layout = configLayout(deps.settings.configKey);
  const refs: ConfigRef[] = [opts.envA, opts.envB].map((env) => ({ bucket: deps.settings.configBucket, key: layout.keyFor(opts.project, env), project: opts.project, env }));
  const stored = await Promise.all(refs.map((ref) => fetchConfig(deps.s3, ref, { maxBytes: maxConfigFileBytes, debug: deps.debug })));
  const [va, vb] = refs.map((ref, i) => {
    const s = stored[i];
    if (!s) {
      throw new SgnError(`There is no config file for ${ref.project} in ${ref.env} (${s3Url(ref)}).`, {
        hint: `See what exists: sgn cfg ls ${ref.project}. Create it with: sgn cfg edit ${ref.project} ${ref.env}`,
      });
    }
    return new Map(readSecret(deps.report, ref, s.bytes, 'it cannot be compared').entries.map((e) => [e.key, e.value]));
  });
  const keys = [...new Set([...va.keys(), ...vb.keys()])].sort();
  const onlyA = keys.filter((k) => !vb.has(k));
  const onlyB = keys.filter((k) => !va.has(k));
  const differ = keys.filter((k) => va.has(k) && vb.has(k) && va.get(k) !== vb.get(k));
  const same = keys.filter((k) => va.has(k) && vb.has(k) && va.get(k) === vb.get(k));
  return {
    project: opts.project,
    envs: [opts.envA, opts.envB],
    onlyIn: { [opts.envA]: onlyA, [opts.envB]: onlyB },
    differ,
    same,
    ...(opts.withValues ? { values: Object.fromEntries(keys.map((k) => [k, { [opts.envA]: va.get(k) ?? null, [opts.envB]: vb.get(k) ?? null }])) } : {}),
    differs: onlyA.length + onlyB.length + differ.length > 0,
  };
}
