import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { UsageError } from '../errors.js';
import { envNameFor, isSettingKey, settingKeys, settingSpecs, type SettingKey, type SettingSpec, type Settings } from './schema.js';
import { chainedPromoteFrom, crossProblem, valueProblem } from './validate.js';

export const teamFileName = '.sgn.json';

/** Where a resolved value came from, highest first: flag, env, team file, user file, default. */
export type SettingSource = 'flag' | 'env' | 'team' | 'user' | 'default';

export interface ResolvedSettings {
  values: Settings;
  sources: Partial<Record<SettingKey, { source: SettingSource; file?: string }>>;
  teamFile?: string;
  userFile: string;
}

/** The user's settings file under the XDG config directory. */
export function userSettingsPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'sgn', 'config.json');
}

/** The nearest `.sgn.json` from cwd upward, if any. */
export function findTeamFile(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, teamFileName);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Parses one setting from text (env var, flag, `sgn config set`) into its typed, checked value. */
export function parseSettingText(key: SettingKey, text: string, where: string): unknown {
  const value = parseText(key, text, where);
  const problem = valueProblem(key, value);
  if (problem) throw new UsageError(`${where}: ${key} ${problem}, not "${text}".`, where.startsWith('SGN_') ? `Fix or unset ${where}.` : `Example: ${exampleCommand(key)}`);
  return value;
}

/** A value of each setting that sgn accepts, for hints. */
export function exampleValue(key: SettingKey, environments?: string[]): string {
  switch (key) {
    case 'region':
      return 'eu-west-1';
    case 'profile':
      return 'default';
    case 'ecrRegistry':
      return '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
    case 'mirrorLifecyclePolicy':
      return '@ecr-lifecycle.json';
    case 'promoteFrom':
      return environments && environments.length > 1 ? chainedPromoteFrom(environments) : 'production=staging';
    case 'configKey':
      return "'{project}/{env}/config'";
    default: {
      const d = (settingSpecs[key] as { default?: unknown }).default;
      if (Array.isArray(d)) return d.join(',');
      if (typeof d === 'object' && d !== null) return Object.entries(d).map(([k, v]) => `${k}=${v}`).join(',');
      return String(d);
    }
  }
}

/** A `sgn config set` command that sgn accepts for this key (for hints). */
export function exampleCommand(key: SettingKey, opts: { team?: boolean; environments?: string[] } = {}): string {
  return `sgn config set ${key} ${exampleValue(key, opts.environments)}${opts.team ? ' --team' : ''}`;
}

function parseText(key: SettingKey, text: string, where: string): unknown {
  const spec: SettingSpec = settingSpecs[key];
  switch (spec.type) {
    case 'string':
      return text;
    case 'boolean':
      if (/^(true|1|yes)$/i.test(text)) return true;
      if (/^(false|0|no)$/i.test(text)) return false;
      throw new UsageError(`${where}: ${key} must be true or false, not "${text}".`);
    case 'days': {
      const n = Number(text);
      if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${where}: ${key} must be a positive number of days, not "${text}".`);
      return n;
    }
    case 'seconds': {
      const n = Number(text);
      if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${where}: ${key} must be a positive number of seconds, not "${text}".`);
      return n;
    }
    case 'list':
      if (text.trim().startsWith('[')) return checkValue(key, parseJson(text, where), where);
      return text.split(',').map((s) => s.trim()).filter(Boolean);
    case 'map': {
      if (text.trim().startsWith('{')) return checkValue(key, parseJson(text, where), where);
      const map: Record<string, string> = {};
      for (const pair of text.split(',').map((s) => s.trim()).filter(Boolean)) {
        const m = /^([^=]+)=(.+)$/.exec(pair);
        if (!m) throw new UsageError(`${where}: ${key} takes env=source pairs separated by commas, not "${pair}".`, 'Example: production=staging,qa=staging');
        map[m[1].trim()] = m[2].trim();
      }
      return map;
    }
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${where}: not valid JSON: ${text}`);
  }
}

/** Checks a value read from a JSON file against the setting's type and rules; names the file and key. */
export function checkValue(key: SettingKey, value: unknown, where: string, opts: { team?: boolean } = {}): unknown {
  const typed = checkType(key, value, where, opts);
  const problem = valueProblem(key, typed);
  if (problem) {
    throw new UsageError(`${where}: setting "${key}" ${problem}, but is ${JSON.stringify(value)}.`, `Fix it with \`${exampleCommand(key, opts)}\` (or remove it: \`sgn config set ${key} --unset${opts.team ? ' --team' : ''}\`).`);
  }
  return typed;
}

function checkType(key: SettingKey, value: unknown, where: string, opts: { team?: boolean }): unknown {
  const spec: SettingSpec = settingSpecs[key];
  const fail = (expected: string) =>
    new UsageError(`${where}: setting "${key}" must be ${expected}, but is ${JSON.stringify(value)}.`, `Fix it with \`${exampleCommand(key, opts)}\` (or remove it: \`sgn config set ${key} --unset${opts.team ? ' --team' : ''}\`).`);
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string' || value === '') throw fail('a non-empty string');
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw fail('true or false');
      return value;
    case 'seconds':
      if (typeof value !== 'number' || !(value > 0)) throw fail('a positive number of seconds');
      return value;
    case 'days':
      if (typeof value !== 'number' || !(value > 0)) throw fail('a positive number of days');
      return value;
    case 'list':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) throw fail('a list of names');
      return value;
    case 'map':
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
        throw fail('an object of env: source names');
      }
      return value;
  }
}

/** Reads a settings file as JSON, unchecked (`sgn config set` repairs files that fail the checks). */
export function readSettingsJson(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`Cannot read settings file ${path}: ${(e as Error).message}.`, 'Fix its permissions, or remove it.');
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`Settings file ${path} is not valid JSON (${(e as Error).message}).`, 'Fix the file in an editor, or remove it; `sgn config path` shows which files are read.');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UsageError(`Settings file ${path} must hold a JSON object of settings.`, 'Fix the file in an editor, or remove it.');
  }
  return data as Record<string, unknown>;
}

function readSettingsFile(path: string, team: boolean): Record<string, unknown> {
  const obj = readSettingsJson(path);
  for (const [key, value] of Object.entries(obj)) {
    if (!isSettingKey(key)) {
      throw new UsageError(`Settings file ${path} has an unknown setting "${key}".`, `Remove it with \`sgn config set ${key} --unset${team ? ' --team' : ''}\`; known settings: ${settingKeys.join(', ')}.`);
    }
    checkValue(key, value, path, { team });
  }
  return obj;
}

export interface LoadSettingsInput {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Settings given on the command line (--region, --profile, -c key=value). */
  flags: Partial<Record<SettingKey, unknown>>;
}

/** Resolves every setting through the layers: flags > SGN_* env > team file > user file > defaults. */
export function loadSettings(input: LoadSettingsInput): ResolvedSettings {
  const userFile = userSettingsPath(input.env);
  const teamFile = findTeamFile(input.cwd);
  const user = readSettingsFile(userFile, false);
  const team = teamFile ? readSettingsFile(teamFile, true) : {};
  const values: Record<string, unknown> = {};
  const sources: ResolvedSettings['sources'] = {};

  for (const key of settingKeys) {
    const envName = envNameFor(key);
    const envText = input.env[envName];
    if (input.flags[key] !== undefined) {
      values[key] = input.flags[key];
      sources[key] = { source: 'flag' };
    } else if (envText !== undefined && envText !== '') {
      values[key] = parseSettingText(key, envText, envName);
      sources[key] = { source: 'env' };
    } else if (key in team) {
      values[key] = team[key];
      sources[key] = { source: 'team', file: teamFile };
    } else if (key in user) {
      values[key] = user[key];
      sources[key] = { source: 'user', file: userFile };
    } else if ('default' in settingSpecs[key]) {
      values[key] = structuredClone((settingSpecs[key] as { default: unknown }).default);
      sources[key] = { source: 'default' };
    }
  }
  // The standard AWS variables fill region and profile when sgn's own layers say nothing.
  values.region ??= input.env.AWS_REGION || input.env.AWS_DEFAULT_REGION || undefined;
  values.profile ??= input.env.AWS_PROFILE || undefined;
  if (sources.promoteFrom?.source === 'default') values.promoteFrom = defaultPromoteFrom(values.environments as string[]);
  const resolved = { values: values as unknown as Settings, sources, teamFile, userFile };
  checkResolved(resolved);
  return resolved;
}

function describeSource(r: ResolvedSettings, key: SettingKey): string {
  const s = r.sources[key];
  if (!s) return '';
  if (s.file) return ` (from ${s.file})`;
  if (s.source === 'env') return ` (from ${envNameFor(key)})`;
  if (s.source === 'flag') return ' (from -c)';
  return ' (the default)';
}

/**
 * The default promoteFrom (production <- staging, from pipeline-contract.md) where those
 * environments exist: a team whose environments are dev and qa has no default promotion.
 */
export function defaultPromoteFrom(environments: string[]): Record<string, string> {
  const known = new Set(environments);
  return Object.fromEntries(Object.entries(settingSpecs.promoteFrom.default).filter(([t, s]) => known.has(t) && known.has(s)));
}

/**
 * Checks settings against each other (promoteFrom names known environments); names where each
 * came from. `fix` replaces the hint (config set knows which key the user is changing).
 */
export function checkResolved(r: ResolvedSettings, fix?: string): void {
  const cross = crossProblem(r.values);
  if (!cross) return;
  const src = r.sources.promoteFrom;
  fix ??=
    src?.source === 'env'
      ? `Fix or unset ${envNameFor('promoteFrom')}.`
      : `Fix it with \`${exampleCommand('promoteFrom', { team: src?.source === 'team', environments: r.values.environments })}\`.`;
  throw new UsageError(`The setting promoteFrom${describeSource(r, 'promoteFrom')} ${cross.problem}${describeSource(r, 'environments')}.`, fix);
}
