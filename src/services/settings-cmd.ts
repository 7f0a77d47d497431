import { existsSync, mkdirSync, statSync } from 'node:fs';
import { writeFileAtomicSync } from '../files.js';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { checkResolved, defaultPromoteFrom, type ResolvedSettings, exampleCommand, findTeamFile, parseSettingText, readSettingsJson, teamFileName, userSettingsPath, type SettingSource } from '../settings/load.js';
import { envNameFor, isSettingKey, settingKeys, settingSpecs, type SettingKey, type Settings } from '../settings/schema.js';

/** What the settings commands read: the run's environment, folder, -c flags and resolved settings. */
export interface SettingsWorld {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** `-c key=value` overrides of this run. */
  flagSettings: Partial<Record<SettingKey, unknown>>;
  resolvedSettings(): ResolvedSettings;
}

function requireKey(key: string): SettingKey {
  if (!isSettingKey(key)) throw new UsageError(`Unknown setting "${key}".`, `Known settings: ${settingKeys.join(', ')}.`);
  return key;
}

function show(value: unknown): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object' && value !== null) return Object.entries(value).map(([k, v]) => `${k}=${v}`).join(',');
  return String(value);
}

/** One row of `sgn config list`: a setting, its value and where it came from. */
export interface SettingRow {
  key: SettingKey;
  value: unknown;
  /** flag, env, team, user, default; `aws` for region/profile from the AWS environment. */
  source: string | null;
  file: string | null;
}

/** `sgn config list`: every setting, its value and where it came from. */
export function configList(w: SettingsWorld): SettingRow[] {
  const r = w.resolvedSettings();
  const values = r.values as unknown as Record<string, unknown>;
  return settingKeys.map((k) => ({ key: k, value: values[k] ?? null, source: r.sources[k]?.source ?? (values[k] !== undefined ? 'aws' : null), file: r.sources[k]?.file ?? null }));
}

/** A setting's value as `config get` and the list print it (lists comma-joined, maps as k=v). */
export function showSetting(value: unknown): string {
  return show(value);
}

/** `sgn config get KEY`: the resolved value (undefined when unset). */
export function configGet(w: SettingsWorld, key: string): { key: SettingKey; value: unknown } {
  const k = requireKey(key);
  return { key: k, value: (w.resolvedSettings().values as unknown as Record<string, unknown>)[k] };
}

/** Where `config set` writes: the user file, or with --team the team file found upward (else here). */
function settingsFiles(w: SettingsWorld): { user: string; team?: string } {
  return { user: userSettingsPath(w.env), team: findTeamFile(w.cwd) };
}

/**
 * `sgn config set KEY VALUE` (or `--unset`): writes the user file, or the team file with --team.
 * The value passes the same checks as loading, also against the other settings it depends on
 * (promoteFrom against environments), so a value set is a value every command accepts. Other
 * keys of the file are not judged: a file broken elsewhere can be repaired one key at a time.
 * The file keeps its mode (a private 0600 file stays private).
 */
export function configSet(w: SettingsWorld, opts: { key: string; value?: string; team: boolean; unset: boolean }): { key: SettingKey; file: string; removed: boolean } {
  const k = requireKey(opts.key);
  const files = settingsFiles(w);
  const file = opts.team ? (files.team ?? join(w.cwd, teamFileName)) : files.user;
  const data = existsSync(file) ? readSettingsJson(file) : {};
  if (opts.unset) {
    delete data[k];
  } else {
    if (opts.value === undefined) throw new UsageError(`config set needs a value for ${k}.`, `Example: ${exampleCommand(k, { team: opts.team })}`);
    data[k] = parseSettingText(k, opts.value, k);
  }
  if (k === 'promoteFrom' || k === 'environments') checkDependents(w, k, file, data, opts.team);
  mkdirSync(dirname(file), { recursive: true });
  let mode: number | undefined;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    // A new file: the user's settings are private by default, the team file is shared.
    mode = opts.team ? undefined : 0o600;
  }
  // Write then rename: a crash never leaves a half-written settings file.
  writeFileAtomicSync(file, JSON.stringify(data, null, 2) + '\n', { mode });
  return { key: k, file, removed: opts.unset };
}

/** promoteFrom and environments as they would resolve once this file holds `data`. */
function checkDependents(w: SettingsWorld, key: 'promoteFrom' | 'environments', file: string, data: Record<string, unknown>, team: boolean): void {
  const files = settingsFiles(w);
  const layer = (path: string | undefined) => {
    if (!path) return {};
    if (path === file) return data;
    try {
      return existsSync(path) ? readSettingsJson(path) : {};
    } catch {
      return {};
    }
  };
  const teamData = layer(files.team ?? (team ? file : undefined));
  const userData = layer(files.user);
  const pick = <K extends 'promoteFrom' | 'environments'>(key: K): { value: Settings[K]; source: SettingSource; file?: string } => {
    const envText = w.env[envNameFor(key)];
    if (w.flagSettings[key] !== undefined) return { value: w.flagSettings[key] as Settings[K], source: 'flag' };
    if (envText) return { value: parseSettingText(key, envText, envNameFor(key)) as Settings[K], source: 'env' };
    if (key in teamData) return { value: teamData[key] as Settings[K], source: 'team', file: files.team ?? file };
    if (key in userData) return { value: userData[key] as Settings[K], source: 'user', file: files.user };
    return { value: structuredClone(settingSpecs[key].default) as unknown as Settings[K], source: 'default' };
  };
  const e = pick('environments');
  const p = pick('promoteFrom');
  if (p.source === 'default') p.value = defaultPromoteFrom(e.value);
  // Changing the environments under a promoteFrom that names the old ones: remove it, change
  // them, then set a promoteFrom that fits (each command of the hint is accepted in that order).
  const t = team ? ' --team' : '';
  const fix =
    key === 'environments' && p.source !== 'env' && p.source !== 'flag'
      ? `Remove promoteFrom first (\`sgn config set promoteFrom --unset${p.source === 'team' ? ' --team' : ''}\`), then \`sgn config set environments ${e.value.join(',')}${t}\`${e.value.length > 1 ? `, then \`${exampleCommand('promoteFrom', { team, environments: e.value })}\`` : ''}.`
      : undefined;
  checkResolved({
    values: { promoteFrom: p.value, environments: e.value } as Settings,
    sources: { promoteFrom: { source: p.source, file: p.file }, environments: { source: e.source, file: e.file } },
    userFile: files.user,
    teamFile: files.team,
  }, fix);
}

/** `sgn config path`: the files sgn reads, highest first (works even when one of them is broken). */
export function configPath(w: SettingsWorld): { team: string | null; user: string; searchedFrom: string } {
  const files = settingsFiles(w);
  return { team: files.team ?? null, user: files.user, searchedFrom: w.cwd };
}
