import type { CommandDef, GroupDef } from '../../cli/define.js';
import { jsonOption } from '../../cli/define.js';

const list: CommandDef = {
  name: 'list',
  aliases: ['ls'],
  summary: 'every setting, its value and where it comes from',
  description: 'Every setting with its value and its source. Highest first: flags (--region, --profile, -c key=value), SGN_* environment variables, the team file .sgn.json (found upward from here), the user file, defaults.',
  examples: ['sgn config list', 'sgn config list --json'],
  options: jsonOption,
  run: async (ctx, _a, flags) => (await import('../../services/settings-cmd.js')).configList(ctx, { json: Boolean(flags.json) }),
};

const get: CommandDef = {
  name: 'get',
  arguments: '<key>',
  summary: 'print one setting\'s value',
  examples: ['sgn config get table', 'TABLE=$(sgn config get table)'],
  run: async (ctx, [key]) => (await import('../../services/settings-cmd.js')).configGet(ctx, key),
};

const set: CommandDef = {
  name: 'set',
  arguments: '<key> [value]',
  summary: 'save a setting in your user file (or the team file with --team)',
  examples: ['sgn config set region eu-west-1', 'sgn config set environments staging,production', 'sgn config set promoteFrom production=staging --team', 'sgn config set configBucket --unset'],
  options: (cmd) => {
    cmd.option('--team', 'write the team file (.sgn.json found upward, else in this folder)');
    cmd.option('--unset', 'remove the setting from the file');
  },
  run: async (ctx, [key, value], flags) => (await import('../../services/settings-cmd.js')).configSet(ctx, { key, value, team: Boolean(flags.team), unset: Boolean(flags.unset) }),
};

const path: CommandDef = {
  name: 'path',
  summary: 'the settings files sgn reads',
  examples: ['sgn config path'],
  run: async (ctx) => (await import('../../services/settings-cmd.js')).configPath(ctx),
};

export const configGroup: GroupDef = { name: 'config', summary: 'sgn\'s own settings (list, get, set, path)', commands: [list, get, set, path] };
