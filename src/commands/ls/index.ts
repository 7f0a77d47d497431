import type { GroupDef } from '../../cli/define.js';
import { lsDeployed } from './deployed.js';

export const lsGroup: GroupDef = { name: 'ls', summary: 'list what is deployed where', commands: [lsDeployed] };
