import type { GroupDef } from '../../cli/define.js';
import { sandboxResetCommand } from './reset.js';
import { sandboxStartCommand } from './start.js';
import { sandboxStatusCommand } from './status.js';
import { sandboxStopCommand } from './stop.js';

export const sandboxGroup: GroupDef = {
  name: 'sandbox',
  summary: 'a local, emulated AWS with demo data (start, status, stop, reset)',
  commands: [sandboxStartCommand, sandboxStatusCommand, sandboxStopCommand, sandboxResetCommand],
};
