import { validateName } from '../../names.js';
import { UsageError } from '../../errors.js';
import type { ProcessRunner } from '../../process.js';

/**
 * The repository name of a git remote URL: `git@github.com:team/web.git`, `https://github.com/team/web`,
 * `ssh://git@host/team/web.git`, CodeCommit's `.../v1/repos/web`. Undefined when there is none.
 */
export function repoNameFromRemote(url: string): string | undefined {
  const path = url
    .trim()
    .replace(/[?#].*$/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  const name = path.split(/[/:]/).pop();
  return name ? name : undefined;
}

/** The remote URL without credentials (https://user:token@host/... keeps neither), for messages. */
export function redactRemote(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}

/**
 * The project of a command (`logs tail`, `status`): the argument, else the repository name of the
 * `origin` remote of the git repository around `cwd` (the pipeline builds one repository per project).
 */
export async function resolveProject(arg: string | undefined, where: { cwd: string; processes: () => Promise<ProcessRunner>; debug(m: string): void; command?: string; hint?: string }): Promise<string> {
  if (arg !== undefined) return validateName(arg, 'project');
  const hint = where.hint ?? `Pass the project: \`sgn ${where.command ?? 'logs tail'} <project>\`.`;
  const { cwd, debug } = where;
  const git = await (await where.processes()).run('git', ['remote', 'get-url', 'origin'], { cwd, timeoutMs: 10_000 });
  if (git.notFound) throw new UsageError('No project was given, and git is not installed to read it from this folder\'s remote.', hint);
  if (git.exitCode !== 0) throw new UsageError(`No project was given, and ${cwd} is not in a git repository with a remote named "origin".`, hint);
  const url = git.stdout.trim();
  const name = repoNameFromRemote(url);
  if (!name) throw new UsageError(`No project was given, and the git remote "origin" (${redactRemote(url)}) has no repository name.`, hint);
  debug(`project "${name}" from git remote origin ${redactRemote(url)}`);
  try {
    return validateName(name, 'project');
  } catch {
    throw new UsageError(`The repository name "${name}" of git remote "origin" is not a valid project name.`, hint);
  }
}
