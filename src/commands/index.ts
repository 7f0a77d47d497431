import type { CommandDef, GroupDef } from '../cli/define.js';
import { deployCommand } from './deploy.js';
import { statusCommand } from './status.js';
import { releasesCommand } from './releases.js';
import { rollbackCommand } from './rollback.js';
import { historyCommand } from './history.js';
import { renderCommand } from './render.js';
import { lintCommand } from './lint.js';
import { lsGroup } from './ls/index.js';
import { logsGroup } from './logs/index.js';
import { cfgGroup } from './cfg/index.js';
import { imageGroup } from './image/index.js';
import { configGroup } from './config/index.js';
import { sandboxGroup } from './sandbox/index.js';
import { doctorCommand } from './doctor.js';
import { completionCommand } from './completion.js';

/** The command tree, in help order. A new command is one file and one line here. */
export const commandTree: (CommandDef | GroupDef)[] = [deployCommand, rollbackCommand, releasesCommand, historyCommand, statusCommand, renderCommand, lintCommand, lsGroup, logsGroup, cfgGroup, imageGroup, configGroup, doctorCommand, sandboxGroup, completionCommand];
