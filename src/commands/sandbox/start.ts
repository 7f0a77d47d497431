import { defineCommand } from '../../cli/define.js';
import type { SandboxStartResult } from '../../services/sandbox.js';
import { sandboxDeps } from './deps.js';

export const sandboxStartCommand = defineCommand<Record<string, never>, SandboxStartResult>({
  name: 'start',
  summary: 'start the local emulated AWS with demo data (in the background; idempotent)',
  description:
    'Starts moto (emulated DynamoDB, S3, CloudWatch Logs, ECR, CodeBuild, STS), the deployer Lambda emulator and, when Debian\'s docker-registry is installed, a local registry standing in for ECR; creates the resources your settings name and seeds demo projects. The first start installs moto into a cached Python venv (needs python3).',
  examples: ['sgn sandbox start', 'sgn --sandbox ls deployed', 'SGN_SANDBOX=1 sgn deploy web production'],
  json: true,
  parse: () => ({}),
  execute: async (ctx) => (await import('../../services/sandbox.js')).sandboxStart(await sandboxDeps(ctx)),
  // --json: the sandbox's state (endpoints, pids), as `state.json` holds it.
  toJson: (result) => result.state,
  render: async (ctx, result) => (await import('../render/sandbox.js')).renderSandboxStart(ctx.io, result),
});
