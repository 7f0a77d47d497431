import type { GroupDef } from '../../cli/define.js';
import { logsTail } from './tail.js';

export const logsGroup: GroupDef = { name: 'logs', summary: 'build logs from CodeBuild and CloudWatch Logs', commands: [logsTail] };
