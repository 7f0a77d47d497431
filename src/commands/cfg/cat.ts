import { defineCommand, type Flags } from '../../cli/define.js';
import type { CfgCatOptions, CfgCatResult } from '../../services/cfg/cat.js';
import { validateCfgEnv, validateCfgProject } from './names.js';
import { parseVersionId } from './version.js';
import { cfgReadDeps } from './deps.js';

export function parseCfgCat(args: string[], flags: Flags): CfgCatOptions {
  const [project, env] = args;
  validateCfgProject(project);
  if (env !== undefined) validateCfgEnv(env);
  return { project, env, versionId: parseVersionId(flags.versionId), view: flags.json ? 'secret' : 'file' };
}

export const cfgCat = defineCommand<CfgCatOptions, CfgCatResult>({
  name: 'cat',
  arguments: '<project> [env]',
  summary: 'print one config file',
  description:
    'Prints a config file exactly as stored (bytes untouched) on stdout. With --json, prints the Secret the deployer builds from it: upper-cased keys, quotes stripped (problems Kubernetes or sgn see in it go to stderr; a file the deployer cannot parse is an error). Without env: the only environment the project has a config file for; with several, a choice on a terminal (scripts must name it).',
  examples: ['sgn cfg cat web production', 'sgn cfg cat web production --json | jq -r .DATABASE_URL', 'sgn cfg cat web production --version-id 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY'],
  options: (cmd) => {
    cmd.option('--version-id <id>', 'an older S3 object version (see `sgn cfg history`)');
  },
  json: true,
  parse: parseCfgCat,
  execute: async (ctx, opts) => {
    const { cfgCat: run } = await import('../../services/cfg/cat.js');
    return run(await cfgReadDeps(ctx), opts);
  },
  // --json is the Secret's data itself: {"KEY": "value"}.
  toJson: (result) => (result.view === 'secret' ? result.data : { project: result.project, env: result.env, key: result.key, versionId: result.versionId ?? null, text: Buffer.from(result.bytes).toString('utf8') }),
  render: (ctx, result) => {
    if (result.view === 'file') ctx.io.write(result.bytes);
    else ctx.io.json(result.data);
  },
});
