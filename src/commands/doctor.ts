import type { CommandDef } from '../cli/define.js';
import { jsonOption } from '../cli/define.js';

export const doctorCommand: CommandDef = {
  name: 'doctor',
  summary: 'check credentials, region and access to every resource sgn uses',
  description: 'Checks credentials (STS), the region, the deploy table, the deployer function, the config bucket, the build and deployer log groups, and ECR: one line each with a fix. Exit 1 when any check fails.',
  examples: ['sgn doctor', 'sgn --profile prod doctor', 'sgn --sandbox doctor --json'],
  options: jsonOption,
  run: async (ctx, _a, flags) => (await import('../services/doctor.js')).doctor(ctx, { json: Boolean(flags.json) }),
};
