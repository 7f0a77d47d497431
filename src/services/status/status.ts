import type { PipelineExecutionSummary } from '@aws-sdk/client-codepipeline';
import type { DynamoApi } from '../../aws/dynamodb.js';
import type { Settings } from '../../settings/schema.js';
import { queryProject, tableError, type DeployRecord } from '../records.js';
import { executionView, integrationOf, iso, stageNames, tagMatchesCommit, type EnvView, type ExecutionView, type IntegrationView, type StatusModel } from './model.js';
import { actionsOf, findExecutionForTag, listExecutions, pipelineName, readPipelineState, type PipelineReadDeps } from './read.js';

export interface StatusOptions {
  project: string;
  /** How many executions, newest first. */
  limit: number;
}

/** What `sgn status` reads: CodePipeline, the deploy table, the settings and the clock. */
export interface StatusDeps extends PipelineReadDeps {
  db: DynamoApi;
  settings: Settings;
  now(): Date;
}

/** The source envs of promotions (staging), in the order of the environments setting. */
function promotionSources(settings: Pick<Settings, 'environments' | 'promoteFrom'>, envs: string[]): string[] {
  const sources = new Set(Object.values(settings.promoteFrom));
  return envs.filter((e) => sources.has(e));
}

/** What each env runs, and whether it waits for a promotion from its source env. */
export function environmentViews(records: DeployRecord[], settings: Pick<Settings, 'environments' | 'promoteFrom'>, executions: ExecutionView[]): EnvView[] {
  const byEnv: Record<string, DeployRecord> = {};
  for (const r of records) byEnv[r.env] = r;
  const envs = [...settings.environments, ...Object.keys(byEnv).filter((e) => !settings.environments.includes(e)).sort()];
  return envs.map((env) => {
    const r = byEnv[env];
    const source = settings.promoteFrom[env];
    const from = source ? byEnv[source] : undefined;
    // Waiting: the source runs another tag, deployed after this env's (as `ls deployed` says "ahead").
    const waiting = from?.tag && from.tag !== r?.tag && (!r || (from.deployedAt?.getTime() ?? 0) >= (r.deployedAt?.getTime() ?? 0)) ? { from: source, tag: from.tag } : undefined;
    const execution = r?.tag ? executions.find((x) => x.commit && tagMatchesCommit(r.tag!, x.commit.sha)) : undefined;
    return {
      env,
      ...(r?.tag ? { tag: r.tag } : {}),
      ...(r?.deployedAt ? { deployedAt: iso(r.deployedAt) } : {}),
      ...(waiting ? { waiting } : {}),
      ...(execution ? { execution: { id: execution.id, status: execution.status } } : {}),
    };
  });
}

/**
 * `sgn status`: the project's newest executions with their stages, what each env runs and waits
 * for, and the integration-test result of the tag each promotion source (staging) runs. Reads in
 * two rounds: pipeline state, executions and deploy records together; then the actions of every
 * execution shown (and the search for staging's execution when it is not among them).
 */
export async function pipelineStatus(deps: StatusDeps, opts: StatusOptions): Promise<StatusModel> {
  const { settings } = deps;
  const pipeline = pipelineName(settings, opts.project);
  const [state, listed, records] = await Promise.all([
    readPipelineState(deps, pipeline, opts.project),
    listExecutions(deps, pipeline, opts.project, opts.limit),
    queryProject(deps.db, settings.table, opts.project).catch((e: unknown) => {
      throw tableError(e, settings.table, deps.region, `reading table ${settings.table}`);
    }),
  ]);
  const now = deps.now();
  const stages = stageNames(state.stageStates);
  const view = async (s: PipelineExecutionSummary) => executionView(pipeline, s, await actionsOf(deps, pipeline, opts.project, s.pipelineExecutionId!), stages, settings, now);

  const sourceEnvs = promotionSources(settings, [...settings.environments, ...records.map((r) => r.env).filter((e) => !settings.environments.includes(e))]);
  const sourceTags = sourceEnvs.map((env) => ({ env, tag: records.find((r) => r.env === env)?.tag })).filter((x): x is { env: string; tag: string } => Boolean(x.tag));
  const [executions, extra] = await Promise.all([
    Promise.all(listed.summaries.filter((s) => s.pipelineExecutionId).map(view)),
    // A source env's tag built by an execution older than the ones shown: look further back.
    Promise.all(
      sourceTags.map(async ({ tag }) => {
        if (listed.summaries.some((s) => s.sourceRevisions?.some((r) => tagMatchesCommit(tag, r.revisionId)))) return undefined;
        if (!listed.nextToken) return undefined;
        const found = await findExecutionForTag(deps, pipeline, opts.project, tag, listed);
        return found?.pipelineExecutionId ? view(found) : undefined;
      }),
    ),
  ]);
  const known = [...executions, ...extra.filter((x): x is ExecutionView => Boolean(x))];
  const newestFor = (tag: string) => known.find((x) => x.commit && tagMatchesCommit(tag, x.commit.sha));
  const integration: IntegrationView[] = sourceTags.map(({ env, tag }) => ({ ...integrationOf(tag, newestFor(tag), stages, settings), env }));
  const notes: string[] = [];
  for (const [key, name] of [
    ['buildStage', settings.buildStage],
    ['deployStage', settings.deployStage],
    ['integrationStage', settings.integrationStage],
  ] as const) {
    if (stages.length && !stages.some((s) => s.toLowerCase() === name.toLowerCase())) {
      notes.push(`Pipeline ${pipeline} has no stage named ${name} (setting ${key}); its stages are ${stages.join(', ')}.`);
    }
  }
  return {
    project: opts.project,
    pipeline,
    ...(deps.region ? { region: deps.region } : {}),
    generatedAt: now.toISOString(),
    stages,
    executions,
    environments: environmentViews(records, settings, known),
    integration,
    notes,
  };
}
