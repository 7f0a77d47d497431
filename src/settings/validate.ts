/**
 * What makes a setting's value usable, beyond its type: one set of rules for loading a file, an
 * env var or a flag, and for `sgn config set`, so that nothing sgn accepts breaks a later command.
 */
import type { SettingKey, Settings } from './schema.js';

/** AWS region names: us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-4. */
export const regionPattern = /^[a-z]{2,3}(-[a-z0-9]+)+-\d{1,2}$/;
/** Environment names: what the deployer and the config key pattern accept. */
const envName = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const label = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
/** host[:port] with an optional http:// or https:// (as `registryAddress` reads it). */
const registryPattern = new RegExp(`^(?:https?://)?(?:\\[[0-9a-f:.]+\\]|${label}(?:\\.${label})*)(?::\\d{1,5})?/?$`, 'i');

/** The problem with one value, in words that follow "<key> ..." (undefined: fine). */
export function valueProblem(key: SettingKey, value: unknown): string | undefined {
  const text = typeof value === 'string' ? value : '';
  const noSpace = (what: string) => (/\s/.test(text) ? `must be ${what} without spaces` : undefined);
  switch (key) {
    case 'region':
      return regionPattern.test(text) ? undefined : 'must be an AWS region name such as eu-west-1';
    case 'profile':
      return text.trim() ? undefined : 'must name an AWS profile';
    case 'table':
      return /^[A-Za-z0-9_.-]{3,255}$/.test(text) ? undefined : 'must be a DynamoDB table name (3-255 letters, digits, "_", "-", ".")';
    case 'function':
      return noSpace('a Lambda function name or ARN');
    case 'configBucket':
      return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(text) ? undefined : 'must be an S3 bucket name (3-63 lowercase letters, digits, "." and "-")';
    case 'configKey': {
      const count = (p: string) => text.split(`{${p}}`).length - 1;
      return count('project') === 1 && count('env') === 1 ? undefined : 'must contain {project} and {env} once each';
    }
    case 'logGroup':
    case 'deployerLogGroup':
    case 'codebuildProject':
      return noSpace('a name pattern');
    case 'ecrRegistry':
      return registryPattern.test(text) ? undefined : 'must be a registry host[:port], optionally with http:// or https://';
    case 'mirrorPrefix':
      return /^[a-z0-9._/-]*$/.test(text) ? undefined : 'must be an ECR repository prefix (lowercase letters, digits, "._-/")';
    case 'environments':
    case 'protected': {
      const list = value as string[];
      const bad = list.find((e) => !envName.test(e));
      if (bad !== undefined) return `has "${bad}", which is not an environment name (letters, digits, "_.-")`;
      const dup = list.find((e, i) => list.indexOf(e) !== i);
      if (dup) return `names "${dup}" twice`;
      if (key === 'environments' && list.length === 0) return 'must name at least one environment';
      return undefined;
    }
    case 'promoteFrom': {
      const map = value as Record<string, string>;
      for (const [target, source] of Object.entries(map)) {
        if (!envName.test(target) || !envName.test(source)) return `has "${target}=${source}", which is not a pair of environment names`;
        if (target === source) return `makes "${target}" its own source`;
      }
      const cycle = promotionCycle(map);
      if (cycle) return `has a cycle (${cycle.join(' <- ')}): no environment in it could ever be promoted into first`;
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The first cycle of target <- source links, if any ([a, b, a]). */
export function promotionCycle(map: Record<string, string>): string[] | undefined {
  for (const start of Object.keys(map)) {
    const path = [start];
    let at = map[start];
    while (at !== undefined) {
      const i = path.indexOf(at);
      if (i >= 0) return [...path.slice(i), at];
      path.push(at);
      at = map[at];
    }
  }
  return undefined;
}

/** Problems between settings: promoteFrom must name known environments. */
export function crossProblem(values: Pick<Settings, 'environments' | 'promoteFrom'>): { key: 'promoteFrom'; problem: string } | undefined {
  const known = new Set(values.environments);
  for (const [target, source] of Object.entries(values.promoteFrom)) {
    const unknown = [target, source].filter((e) => !known.has(e));
    if (unknown.length) return { key: 'promoteFrom', problem: `names ${unknown.map((e) => `"${e}"`).join(' and ')}, not among the environments (${values.environments.join(', ')})` };
  }
  return undefined;
}

/** A promoteFrom that fits the environments: each promoted from the one before it. */
export function chainedPromoteFrom(environments: string[]): string {
  return environments.slice(1).map((e, i) => `${e}=${environments[i]}`).join(',');
}
