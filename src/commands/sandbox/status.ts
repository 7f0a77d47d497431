import { defineCommand } from '../../cli/define.js';
import type { SandboxStatusResult } from '../../services/sandbox.js';

export const sandboxStatusCommand = defineCommand<Record<string, never>, SandboxStatusResult>({
  name: 'status',
  summary: 'whether the sandbox runs, and where (exit 1 when not)',
  examples: ['sgn sandbox status', 'sgn sandbox status --json'],
  json: true,
  parse: () => ({}),
  execute: async (ctx) => (await import('../../services/sandbox.js')).sandboxStatus({ env: ctx.env }),
  exitCode: (result) => (result.running ? 0 : 1),
  render: async (ctx, result) => (await import('../render/sandbox.js')).renderSandboxStatus(ctx.io, result),
});
