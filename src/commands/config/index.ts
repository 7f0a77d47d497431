import { defineCommand, flagReader, type GroupDef } from '../../cli/define.js';
import type { Context } from '../../context.js';
import type { SettingRow, SettingsWorld } from '../../services/settings-cmd.js';
import type { SettingKey } from '../../settings/schema.js';

const world = (ctx: Context): SettingsWorld => ({ env: ctx.env, cwd: ctx.cwd, flagSettings: ctx.global.settings, resolvedSettings: ctx.resolvedSettings });
const service = () => import('../../services/settings-cmd.js');

const list = defineCommand<Record<string, never>, SettingRow[]>({
  name: 'list',
  aliases: ['ls'],
  summary: 'every setting, its value and where it comes from',
  description: 'Every setting with its value and its source. Highest first: flags (--region, --profile, -c key=value), SGN_* environment variables, the team file .sgn.json (found upward from here), the user file, defaults.',
  examples: ['sgn config list', 'sgn config list --json'],
  json: true,
  parse: () => ({}),
  execute: async (ctx) => (await service()).configList(world(ctx)),
  toJson: (rows) => Object.fromEntries(rows.map((r) => [r.key, { value: r.value, source: r.source, file: r.file }])),
  render: async (ctx, rows) => {
    const [{ printTable }, { showSetting }, { envNameFor }] = await Promise.all([import('../../table.js'), service(), import('../../settings/schema.js')]);
    await printTable(ctx.io, {
      columns: [{ header: 'Setting' }, { header: 'Value' }, { header: 'From' }],
      rows: rows.map((r) => {
        const from = r.source === null ? '' : r.source === 'aws' ? 'AWS env' : r.file ? `${r.source} (${r.file})` : r.source === 'env' ? `env ${envNameFor(r.key)}` : r.source;
        return [r.key, showSetting(r.value ?? undefined), { text: from, role: 'dim' as const }];
      }),
    });
  },
});

const get = defineCommand<{ key: string }, { key: SettingKey; value: unknown }>({
  name: 'get',
  arguments: '<key>',
  summary: 'print one setting\'s value',
  examples: ['sgn config get table', 'TABLE=$(sgn config get table)'],
  parse: ([key]) => ({ key }),
  execute: async (ctx, opts) => (await service()).configGet(world(ctx), opts.key),
  render: async (ctx, r) => {
    if (r.value === undefined) return 1;
    ctx.io.print((await service()).showSetting(r.value));
  },
});

const set = defineCommand<{ key: string; value?: string; team: boolean; unset: boolean }, { key: SettingKey; file: string; removed: boolean }>({
  name: 'set',
  arguments: '<key> [value]',
  summary: 'save a setting in your user file (or the team file with --team)',
  examples: ['sgn config set region eu-west-1', 'sgn config set environments staging,production', 'sgn config set promoteFrom production=staging --team', 'sgn config set configBucket --unset'],
  options: (cmd) => {
    cmd.option('--team', 'write the team file (.sgn.json found upward, else in this folder)');
    cmd.option('--unset', 'remove the setting from the file');
  },
  parse: ([key, value], flags) => {
    const f = flagReader(flags);
    return { key, value, team: f.boolean('team'), unset: f.boolean('unset') };
  },
  execute: async (ctx, opts) => (await service()).configSet(world(ctx), opts),
  render: (ctx, r) => ctx.io.success(r.removed ? `Removed ${r.key} from ${r.file}` : `Set ${r.key} in ${r.file}`),
});

const path = defineCommand<Record<string, never>, { team: string | null; user: string; searchedFrom: string }>({
  name: 'path',
  summary: 'the settings files sgn reads',
  examples: ['sgn config path'],
  parse: () => ({}),
  execute: async (ctx) => (await service()).configPath(world(ctx)),
  render: (ctx, r) => {
    ctx.io.print(`team\t${r.team ?? '(none found from ' + r.searchedFrom + ' upward: .sgn.json)'}`);
    ctx.io.print(`user\t${r.user}`);
  },
});

export const configGroup: GroupDef = { name: 'config', summary: 'sgn\'s own settings (list, get, set, path)', commands: [list, get, set, path] };
