import { defineCommand } from '../../cli/define.js';

export const sandboxStopCommand = defineCommand<Record<string, never>, { stopped: boolean }>({
  name: 'stop',
  summary: 'stop every sandbox process',
  examples: ['sgn sandbox stop'],
  parse: () => ({}),
  execute: async (ctx) => (await import('../../services/sandbox.js')).sandboxStop({ env: ctx.env }),
  render: (ctx, result) => (result.stopped ? ctx.io.success('Sandbox stopped.') : ctx.io.info('The sandbox is not running.')),
});
