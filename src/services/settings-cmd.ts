import { chmodSync, existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { checkResolved, defaultPromoteFrom, exampleCommand, findTeamFile, parseSettingText, readSettingsJson, teamFileName, userSettingsPath, type SettingSource } from '../settings/load.js';
import { envNameFor, isSettingKey, settingKeys, settingSpecs, type SettingKey, type Settings } from '../settings/schema.js';

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

/** `sgn config list`: every setting, its value and where it came from. */
export async function configList(ctx: Context, opts: { json: boolean }): Promise<number> {
  const r = ctx.resolvedSettings();
  const values = r.values as unknown as Record<string, unknown>;
  if (opts.json) {
    ctx.io.json(Object.fromEntries(settingKeys.map((k) => [k, { value: values[k] ?? null, source: r.sources[k]?.source ?? (values[k] !== undefined ? 'aws' : null), file: r.sources[k]?.file ?? null }])));
    return 0;
  }
  const { printTable } = await import('../table.js');
  await printTable(ctx.io, {
    columns: [{ header: 'Setting' }, { header: 'Value' }, { header: 'From' }],
    rows: settingKeys.map((k) => {
      const src = r.sources[k];
      const from = src ? (src.file ? `${src.source} (${src.file})` : src.source === 'env' ? `env ${envNameFor(k)}` : src.source) : values[k] !== undefined ? 'AWS env' : '';
      return [k, show(values[k]), { text: from, role: 'dim' as const }];
    }),
  });
  return 0;
}

/** `sgn config get KEY`: the resolved value alone, for scripts. */
export function configGet(ctx: Context, key: string): number {
  const k = requireKey(key);
  const value = (ctx.settings() as unknown as Record<string, unknown>)[k];
  if (value === undefined) return 1;
  ctx.io.print(show(value));
  return 0;
}

/** Where `config set` writes: the user file, or with --team the team file found upward (else here). */
function settingsFiles(ctx: Context): { user: string; team?: string } {
  return { user: userSettingsPath(ctx.env), team: findTeamFile(ctx.cwd) };
}

/**
 * `sgn config set KEY VALUE` (or `--unset`): writes the user file, or the team file with --team.
 * The value passes the same checks as loading, also against the other settings it depends on
 * (promoteFrom against environments), so a value set is a value every command accepts. Other
 * keys of the file are not judged: a file broken elsewhere can be repaired one key at a time.
 * The file keeps its mode (a private 0600 file stays private).
 */
export function configSet(ctx: Context, opts: { key: string; value?: string; team: boolean; unset: boolean }): number {
  const k = requireKey(opts.key);
  const files = settingsFiles(ctx);
  const file = opts.team ? (files.team ?? join(ctx.cwd, teamFileName)) : files.user;
  const data = existsSync(file) ? readSettingsJson(file) : {};
  if (opts.unset) {
    delete data[k];
  } else {
    if (opts.value === undefined) throw new UsageError(`config set needs a value for ${k}.`, `Example: ${exampleCommand(k, { team: opts.team })}`);
    data[k] = parseSettingText(k, opts.value, k);
  }
  if (k === 'promoteFrom' || k === 'environments') checkDependents(ctx, k, file, data, opts.team);
  mkdirSync(dirname(file), { recursive: true });
  let mode: number | undefined;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    // A new file: the user's settings are private by default, the team file is shared.
    mode = opts.team ? undefined : 0o600;
  }
  // Write then rename: a crash never leaves a half-written settings file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n', mode === undefined ? {} : { mode });
  if (mode !== undefined) chmodSync(tmp, mode);
  renameSync(tmp, file);
  ctx.io.success(opts.unset ? `Removed ${k} from ${file}` : `Set ${k} in ${file}`);
  return 0;
}

/** promoteFrom and environments as they would resolve once this file holds `data`. */
function checkDependents(ctx: Context, key: 'promoteFrom' | 'environments', file: string, data: Record<string, unknown>, team: boolean): void {
  const files = settingsFiles(ctx);
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
    const envText = ctx.env[envNameFor(key)];
    if (ctx.global.settings[key] !== undefined) return { value: ctx.global.settings[key] as Settings[K], source: 'flag' };
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
export function configPath(ctx: Context): number {
  const files = settingsFiles(ctx);
  ctx.io.print(`team\t${files.team ?? '(none found from ' + ctx.cwd + ' upward: .sgn.json)'}`);
  ctx.io.print(`user\t${files.user}`);
  return 0;
}
