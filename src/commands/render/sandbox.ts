import { join } from 'node:path';
import type { IO } from '../../io.js';
import type { SandboxStartResult, SandboxStatusResult } from '../../services/sandbox.js';

/** What to try once the sandbox runs (on stderr: the sandbox's messages are for people). */
export function renderSandboxStart(io: IO, result: SandboxStartResult): number {
  const c = io.err.cyan;
  const { state, projectsDir } = result;
  io.info(
    [
      '',
      'Try next:',
      `  ${c('sgn --sandbox ls deployed')}                   what runs where (web and worker wait for promotion)`,
      `  ${c('sgn --sandbox deploy web production')}         promote staging to production, verified`,
      `  ${c('sgn --sandbox releases web')}                  every build of web, one with an expired image`,
      `  ${c('sgn --sandbox rollback web production')}       back to what production ran before`,
      `  ${c('sgn --sandbox logs tail web -f')}              follow a build that is still writing`,
      `  ${c('sgn --sandbox status worker')}                 its pipeline: staging's tag failed its integration tests`,
      `  ${c('sgn --sandbox deploy worker production')}      so the promotion is refused (--skip-checks overrides)`,
      `  ${c('sgn --sandbox cfg edit web staging')}          edit a config file safely`,
      state.registry
        ? `  ${c(`sgn --sandbox image mirror ${state.registry.host}/demo/hello:1.0`)}  copy a multi-arch image into "ECR"`
        : '  (install docker-registry for a local registry to try image mirror on)',
      `Demo projects' sources (deployspec.yml, deploy/*) are in ${projectsDir}:`,
      `  ${c(`cd ${join(projectsDir, 'web')} && sgn --sandbox render production`)}`,
      `  ${c('sgn --sandbox lint')} there: billing has a lint error (cron without cron_env)`,
      'Or export SGN_SANDBOX=1 to drop --sandbox. Stop it with `sgn sandbox stop`.',
    ].join('\n'),
  );
  return 0;
}

/** One line per part on stdout (tab-separated), a warning when one has stopped; exit 1 unless all run. */
export function renderSandboxStatus(io: IO, result: SandboxStatusResult): number {
  if (result.parts.length === 0) {
    io.info('The sandbox is not running. Start it with `sgn sandbox start`.');
    return 1;
  }
  for (const p of result.parts) io.print(`${p.name}\t${p.where}\t${p.running ? 'running' : 'stopped'}\tpid ${p.pid}`);
  if (!result.running) io.warn('Part of the sandbox has stopped; `sgn sandbox start` restarts it.');
  return result.running ? 0 : 1;
}
