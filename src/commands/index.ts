import type { CommandDef, GroupDef } from '../cli/define.js';
import { lsGroup } from './ls/index.js';
import { configGroup } from './config/index.js';
import { cfgGroup } from './cfg/index.js';

/** The command tree, in help order. A new command is one file and one line here. */
export const commandTree: (CommandDef | GroupDef)[] = [lsGroup, cfgGroup, configGroup];
