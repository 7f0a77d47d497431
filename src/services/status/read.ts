import type { ActionExecutionDetail, GetPipelineStateCommandOutput, PipelineExecutionSummary } from '@aws-sdk/client-codepipeline';
import type { CodePipelineApi } from '../../aws/codepipeline.js';
import { awsErrorName, SgnError } from '../../errors.js';
import { fillPattern, type Settings } from '../../settings/schema.js';
import { denied } from '../logs/access.js';
import { closeNames } from '../logs/builds.js';
import { withBackoff, type ReaderDeps } from '../logs/reader.js';
import { tagMatchesCommit } from './model.js';

/** What reading a pipeline needs: the CodePipeline reads, back-off on throttling, the region for messages. */
export interface PipelineReadDeps extends ReaderDeps {
  codepipeline: CodePipelineApi;
  region?: string;
  /** Skip the ListPipelines lookup of close names for an unknown pipeline (the gate only needs to know). */
  noSuggestions?: boolean;
}

/** The pipeline of a project under the `pipeline` setting (default `{project}`). */
export function pipelineName(settings: Pick<Settings, 'pipeline'>, project: string): string {
  return fillPattern(settings.pipeline, { project });
}

/** The pipeline does not exist: close names (when sgn may list pipelines) and the setting to fix. */
async function unknownPipeline(deps: PipelineReadDeps, pipeline: string, project: string): Promise<SgnError> {
  let names: string[] | undefined;
  if (deps.noSuggestions) return new SgnError(`No pipeline named ${pipeline}${deps.region ? ` in ${deps.region}` : ''}.`);
  try {
    names = [];
    let nextToken: string | undefined;
    for (let page = 0; page < 10; page++) {
      const out = await withBackoff(() => deps.codepipeline.listPipelines({ nextToken }, { signal: deps.signal }), 'ListPipelines', deps);
      names.push(...(out.pipelines ?? []).map((p) => p.name ?? '').filter(Boolean));
      nextToken = out.nextToken;
      if (!nextToken) break;
    }
  } catch (e) {
    if (deps.signal.aborted) throw e;
    names = undefined;
  }
  const close = closeNames(pipeline, names ?? []);
  const where = deps.region ? ` in ${deps.region}` : '';
  let hint: string;
  if (close.length) hint = `Close names that exist: ${close.join(', ')}. If pipelines are named differently, set the pattern: \`sgn config set pipeline '{project}-pipeline'\`.`;
  else if (names === undefined) hint = `sgn may not list pipelines (codepipeline:ListPipelines) to suggest names; check the project name and the pipeline setting (now ${JSON.stringify(pipeline === project ? '{project}' : pipeline)}).`;
  else if (names.length === 0) hint = 'There are no pipelines in this region; check --region or the AWS profile.';
  else hint = `No pipeline name is close; \`aws codepipeline list-pipelines\` lists all ${names.length}. If pipelines are named differently, set the pattern: \`sgn config set pipeline '{project}-pipeline'\`.`;
  return new SgnError(`No pipeline named ${pipeline}${where}${pipeline === project ? '' : ` (for project ${project})`}.`, { hint });
}

/** Turns a CodePipeline error into one sentence: unknown pipeline (with close names), denied access (naming the permission). */
export async function pipelineError(deps: PipelineReadDeps, e: unknown, op: string, pipeline: string, project: string): Promise<unknown> {
  if (awsErrorName(e) === 'PipelineNotFoundException') return unknownPipeline(deps, pipeline, project);
  return denied(e, `codepipeline:${op}`, `reading pipeline ${pipeline}`) ?? e;
}

/** GetPipelineState: each stage's latest execution, in pipeline order. */
export async function readPipelineState(deps: PipelineReadDeps, pipeline: string, project: string): Promise<GetPipelineStateCommandOutput> {
  try {
    return await withBackoff(() => deps.codepipeline.getPipelineState({ name: pipeline }, { signal: deps.signal }), 'GetPipelineState', deps);
  } catch (e) {
    throw await pipelineError(deps, e, 'GetPipelineState', pipeline, project);
  }
}

/** The newest `max` executions (ListPipelineExecutions is newest first), with the token for more. */
export async function listExecutions(deps: PipelineReadDeps, pipeline: string, project: string, max: number, nextToken?: string): Promise<{ summaries: PipelineExecutionSummary[]; nextToken?: string }> {
  try {
    const out = await withBackoff(() => deps.codepipeline.listPipelineExecutions({ pipelineName: pipeline, maxResults: max, nextToken }, { signal: deps.signal }), 'ListPipelineExecutions', deps);
    return { summaries: out.pipelineExecutionSummaries ?? [], nextToken: out.nextToken };
  } catch (e) {
    throw await pipelineError(deps, e, 'ListPipelineExecutions', pipeline, project);
  }
}

/** Every action execution of one pipeline execution (ListActionExecutions filtered by it). */
export async function actionsOf(deps: PipelineReadDeps, pipeline: string, project: string, executionId: string): Promise<ActionExecutionDetail[]> {
  const all: ActionExecutionDetail[] = [];
  let nextToken: string | undefined;
  try {
    for (let page = 0; page < 10; page++) {
      const out = await withBackoff(
        () => deps.codepipeline.listActionExecutions({ pipelineName: pipeline, filter: { pipelineExecutionId: executionId }, nextToken }, { signal: deps.signal }),
        'ListActionExecutions',
        deps,
      );
      all.push(...(out.actionExecutionDetails ?? []));
      nextToken = out.nextToken;
      if (!nextToken) break;
    }
    return all;
  } catch (e) {
    // An execution too old for the action history (12 months) has no actions to show.
    if (awsErrorName(e) === 'PipelineExecutionNotFoundException') return all;
    throw await pipelineError(deps, e, 'ListActionExecutions', pipeline, project);
  }
}

/** How far back the search for a tag's execution goes: 5 pages of 100 executions. */
export const tagSearchPages = 5;

/**
 * The newest execution whose commit is the one behind `tag` (its source revision starts with the
 * part after `git-`): first among `known`, then further pages of the history. Undefined when
 * none is found (older builds leave the execution history).
 */
export async function findExecutionForTag(
  deps: PipelineReadDeps,
  pipeline: string,
  project: string,
  tag: string,
  known: { summaries: PipelineExecutionSummary[]; nextToken?: string } = { summaries: [] },
): Promise<PipelineExecutionSummary | undefined> {
  const match = (s: PipelineExecutionSummary) => s.sourceRevisions?.some((r) => tagMatchesCommit(tag, r.revisionId));
  const hit = known.summaries.find(match);
  if (hit) return hit;
  let token = known.summaries.length ? known.nextToken : undefined;
  if (known.summaries.length && !token) return undefined;
  for (let page = 0; page < tagSearchPages; page++) {
    const out = await listExecutions(deps, pipeline, project, 100, token);
    const found = out.summaries.find(match);
    if (found) return found;
    token = out.nextToken;
    if (!token) return undefined;
  }
  return undefined;
}
