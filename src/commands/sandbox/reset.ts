import { defineCommand } from '../../cli/define.js';
import { sandboxDeps } from './deps.js';

export const sandboxResetCommand = defineCommand<Record<string, never>, void>({
  name: 'reset',
  summary: 'empty the emulated account and seed the demo data again',
  examples: ['sgn sandbox reset'],
  parse: () => ({}),
  execute: async (ctx) => (await import('../../services/sandbox.js')).sandboxReset(await sandboxDeps(ctx)),
  render: (ctx) => ctx.io.success('Sandbox reset to the demo data.'),
});
