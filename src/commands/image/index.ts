import type { GroupDef } from '../../cli/define.js';
import { imageMirror } from './mirror.js';
import { imageSync } from './sync.js';

export const imageGroup: GroupDef = { name: 'image', summary: 'copy container images into ECR', commands: [imageMirror, imageSync] };
