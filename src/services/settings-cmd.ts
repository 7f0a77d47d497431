import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { checkValue, parseSettingText } from '../settings/load.js';
import { envNameFor, isSettingKey, settingKeys, settingSpecs, type SettingKey } from '../settings/schema.js';

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

/** `sgn config set KEY VALUE` (or `--unset`): writes the user file, or the team file with --team. */
export function configSet(ctx: Context, opts: { key: string; value?: string; team: boolean; unset: boolean }): number {
  const k = requireKey(opts.key);
  const r = ctx.resolvedSettings();
  const file = opts.team ? (r.teamFile ?? `${ctx.cwd}/.sgn.json`) : r.userFile;
  let data: Record<string, unknown> = {};
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`Cannot read ${file}: ${(e as Error).message}`, 'Fix or remove the file first.');
  }
  if (opts.unset) {
    delete data[k];
  } else {
    if (opts.value === undefined) throw new UsageError(`config set needs a value for ${k}.`, `Example: sgn config set ${k} ${settingSpecs[k].type === 'list' ? 'a,b' : 'value'}`);
    data[k] = checkValue(k, parseSettingText(k, opts.value, k), k);
  }
  mkdirSync(dirname(file), { recursive: true });
  // Write then rename: a crash never leaves a half-written settings file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n');
  renameSync(tmp, file);
  ctx.io.success(opts.unset ? `Removed ${k} from ${file}` : `Set ${k} in ${file}`);
  return 0;
}

/** `sgn config path`: the files sgn reads, highest first. */
export function configPath(ctx: Context): number {
  const r = ctx.resolvedSettings();
  ctx.io.print(`team\t${r.teamFile ?? '(none found from ' + ctx.cwd + ' upward: .sgn.json)'}`);
  ctx.io.print(`user\t${r.userFile}`);
  return 0;
}
