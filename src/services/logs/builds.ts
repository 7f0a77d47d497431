import type { Build } from '@aws-sdk/client-codebuild';
import type { CodeBuildApi } from '../../aws/codebuild.js';
import { awsErrorName, SgnError } from '../../errors.js';
import { formatAge, formatDuration } from '../../time.js';
import { denied } from './access.js';
import { withBackoff, type ReaderDeps } from './reader.js';

export type { Build };

/** True once CodeBuild reports a final status (SUCCEEDED, FAILED, FAULT, TIMED_OUT, STOPPED). */
export function isEnded(b: Build): boolean {
  return (b.buildStatus ?? 'IN_PROGRESS') !== 'IN_PROGRESS';
}

/** Thrown when CodeBuild does not know the project; the caller adds close names. */
export class ProjectNotFound extends Error {
  constructor(readonly project: string) {
    super(`CodeBuild project ${project} does not exist`);
  }
}

/** The id of the project's newest build (ListBuildsForProject is newest first), or undefined when it has none. */
export async function latestBuildId(cb: CodeBuildApi, project: string, deps: ReaderDeps): Promise<string | undefined> {
  try {
    // No sortOrder: the default is newest first, and AWS refuses a sortOrder on projects with over 100 builds.
    const out = await withBackoff(() => cb.listBuildsForProject({ projectName: project }, { signal: deps.signal }), 'ListBuildsForProject', deps);
    return out.ids?.[0];
  } catch (e) {
    if (awsErrorName(e) === 'ResourceNotFoundException') throw new ProjectNotFound(project);
    throw denied(e, 'codebuild:ListBuildsForProject', `listing the builds of ${project}`) ?? e;
  }
}

/** One build as BatchGetBuilds describes it, or undefined when CodeBuild does not know it. */
export async function getBuild(cb: CodeBuildApi, id: string, deps: ReaderDeps): Promise<Build | undefined> {
  try {
    const out = await withBackoff(() => cb.batchGetBuilds({ ids: [id] }, { signal: deps.signal }), 'BatchGetBuilds', deps);
    return out.builds?.find((b) => b.id === id);
  } catch (e) {
    if (awsErrorName(e) === 'InvalidInputException') return undefined;
    throw denied(e, 'codebuild:BatchGetBuilds', `reading build ${id}`) ?? e;
  }
}

/** Every CodeBuild project name (up to 2,000), or undefined when listing them is not allowed. */
export async function listProjectNames(cb: CodeBuildApi, deps: ReaderDeps): Promise<string[] | undefined> {
  const names: string[] = [];
  let nextToken: string | undefined;
  try {
    for (let page = 0; page < 20; page++) {
      const out = await withBackoff(() => cb.listProjects({ nextToken }, { signal: deps.signal }), 'ListProjects', deps);
      names.push(...(out.projects ?? []));
      nextToken = out.nextToken;
      if (!nextToken) break;
    }
    return names;
  } catch (e) {
    if (deps.signal.aborted) throw e;
    return undefined;
  }
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** Names that look like `wanted` (a typo away, or one containing the other), closest first. */
export function closeNames(wanted: string, names: string[], max = 5): string[] {
  const w = wanted.toLowerCase();
  return names
    .map((name) => {
      const n = name.toLowerCase();
      const d = distance(w, n);
      const near = d <= Math.max(2, Math.floor(w.length / 3)) || (w.length >= 3 && (n.includes(w) || w.includes(n)));
      return { name, d, near };
    })
    .filter((x) => x.near && x.name !== wanted)
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, max)
    .map((x) => x.name);
}

/** The phase that did not succeed, if any. */
export function failedPhase(b: Build) {
  return b.phases?.find((p) => p.phaseStatus && p.phaseStatus !== 'SUCCEEDED');
}

const label = (b: Build) => `Build ${b.id}${b.buildNumber !== undefined ? ` (#${b.buildNumber})` : ''}`;

/** One line on which build this is and where it stands (how it ended is describeEnding's). */
export function describeBuild(b: Build, now: Date): string {
  const started = b.startTime ? `, started ${formatAge(b.startTime, now)}` : '';
  if (!isEnded(b)) return `${label(b)}${started}, running${b.currentPhase ? ` (${b.currentPhase})` : ''}.`;
  return `${label(b)}${started}, ended${b.endTime ? ` ${formatAge(b.endTime, now)}` : ''}.`;
}

/** How a build ended: status, duration, and the failed phase with CodeBuild's reason. */
export function describeEnding(b: Build): { ok: boolean; text: string } {
  const ok = b.buildStatus === 'SUCCEEDED';
  const took = b.startTime && b.endTime ? formatDuration(b.endTime.getTime() - b.startTime.getTime()) : undefined;
  let text = `${label(b)} ${b.buildStatus}${took ? ` ${ok ? 'in' : 'after'} ${took}` : ''}`;
  const failed = failedPhase(b);
  if (!ok && failed) {
    const context = failed.contexts?.find((c) => c.message || c.statusCode);
    text += `: phase ${failed.phaseType} ${failed.phaseStatus}`;
    if (context) text += ` (${[context.statusCode, context.message].filter(Boolean).join(': ')})`;
  }
  return { ok, text: text + '.' };
}

/** A build not found by id: one sentence and where to look. */
export function buildNotFound(id: string, region: string | undefined): SgnError {
  const project = id.split(':')[0];
  return new SgnError(`Build ${id} was not found${region ? ` in ${region}` : ''}.`, {
    hint: `Check the id (project:uuid); \`sgn logs tail ${project}\` shows the latest build of ${project}.`,
  });
}
