import type { CommandDef, GroupDef } from '../../cli/define.js';
import { jsonOption } from '../../cli/define.js';

const start: CommandDef = {
  name: 'start',
  summary: 'start the local emulated AWS with demo data (in the background; idempotent)',
  description:
    'Starts moto (emulated DynamoDB, S3, CloudWatch Logs, ECR, CodeBuild, STS), the deployer Lambda emulator and, when Debian\'s docker-registry is installed, a local registry standing in for ECR; creates the resources your settings name and seeds demo projects. The first start installs moto into a cached Python venv (needs python3).',
  examples: ['sgn sandbox start', 'sgn --sandbox ls deployed', 'SGN_SANDBOX=1 sgn deploy web production'],
  options: jsonOption,
  run: async (ctx, _a, flags) => (await import('../../services/sandbox.js')).sandboxStart(ctx, { json: Boolean(flags.json) }),
};

const status: CommandDef = {
  name: 'status',
  summary: 'whether the sandbox runs, and where (exit 1 when not)',
  examples: ['sgn sandbox status', 'sgn sandbox status --json'],
  options: jsonOption,
  run: async (ctx, _a, flags) => (await import('../../services/sandbox.js')).sandboxStatus(ctx, { json: Boolean(flags.json) }),
};

const stop: CommandDef = {
  name: 'stop',
  summary: 'stop every sandbox process',
  examples: ['sgn sandbox stop'],
  run: async (ctx) => (await import('../../services/sandbox.js')).sandboxStop(ctx),
};

const reset: CommandDef = {
  name: 'reset',
  summary: 'empty the emulated account and seed the demo data again',
  examples: ['sgn sandbox reset'],
  run: async (ctx) => (await import('../../services/sandbox.js')).sandboxReset(ctx),
};

export const sandboxGroup: GroupDef = { name: 'sandbox', summary: 'a local, emulated AWS with demo data (start, status, stop, reset)', commands: [start, status, stop, reset] };
