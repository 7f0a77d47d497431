import type { GroupDef } from '../../cli/define.js';
import { cfgLs } from './ls.js';
import { cfgCat } from './cat.js';
import { cfgEdit } from './edit.js';
import { cfgDiff } from './diff.js';
import { cfgHistory } from './history.js';
import { cfgRestore } from './restore.js';
import { cfgSet, cfgUnset } from './set.js';

export const cfgGroup: GroupDef = {
  name: 'cfg',
  summary: 'apps\' environment config files in S3 (ls, cat, edit, diff, history, restore, set, unset)',
  commands: [cfgLs, cfgCat, cfgEdit, cfgDiff, cfgHistory, cfgRestore, cfgSet, cfgUnset],
};
