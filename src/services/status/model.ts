import type { ActionExecutionDetail, PipelineExecutionSummary, StageState } from '@aws-sdk/client-codepipeline';
import type { Settings } from '../../settings/schema.js';

/**
 * The model of `sgn status` (and of its --json): plain data, times as ISO strings, built by pure
 * functions from what CodePipeline and the deploy table return, so that renderers and the
 * promotion gate read one shape and tests build it from fixtures.
 */

/** A stage's status in one execution: CodePipeline's, plus Pending (not reached yet) and NotRun (never will be). */
export type StageStatus = 'Succeeded' | 'Failed' | 'InProgress' | 'Stopped' | 'Pending' | 'NotRun';
/** What the settings say a stage is for (buildStage, deployStage, integrationStage). */
export type StageRole = 'build' | 'deploy' | 'integration';

export interface StageFailure {
  action: string;
  code?: string;
  message?: string;
}

export interface StageView {
  name: string;
  role?: StageRole;
  status: StageStatus;
  startedAt?: string;
  endedAt?: string;
  /** From start to end, or to the model's time while it runs. */
  durationMs?: number;
  failure?: StageFailure;
  /** What the stage ran elsewhere: for a CodeBuild action, the build id. */
  externalId?: string;
  externalUrl?: string;
  /** A command that shows more about a failed stage. */
  more?: string;
}

export interface CommitView {
  sha: string;
  short: string;
  /** First line of the commit message, where the source action reports one. */
  summary?: string;
  url?: string;
}

export interface ExecutionView {
  id: string;
  /** CodePipeline's status: InProgress, Succeeded, Failed, Stopped, Stopping, Superseded, Cancelled. */
  status: string;
  statusSummary?: string;
  startedAt?: string;
  updatedAt?: string;
  trigger?: { type?: string; detail?: string };
  /** Undefined for an execution without a source revision (started by hand, or its source failed). */
  commit?: CommitView;
  /** The image tag the build pushes for this commit (`git-<short sha>`). */
  tag?: string;
  stages: StageView[];
}

export interface EnvView {
  env: string;
  tag?: string;
  deployedAt?: string;
  /** The env promotes from `from`, which runs another tag: it waits for promotion. */
  waiting?: { from: string; tag: string };
  /** The newest listed execution of the env's tag. */
  execution?: { id: string; status: string };
}

/** What the integration-test stage said about a tag (the promotion gate reads this too). */
export type IntegrationResult = 'succeeded' | 'failed' | 'running' | 'not-run' | 'no-execution' | 'no-stage';

export interface IntegrationView {
  tag: string;
  /** The env that runs the tag (staging), when the view is about an env. */
  env?: string;
  result: IntegrationResult;
  /** The pipeline's integration stage (setting integrationStage). */
  stage: string;
  execution?: { id: string; status: string; startedAt?: string };
  stageView?: StageView;
  /** How to see it: a command sgn or the AWS CLI accepts. */
  more?: string;
}

export interface StatusModel {
  project: string;
  pipeline: string;
  region?: string;
  /** When the model was read (ages and running durations are from this time). */
  generatedAt: string;
  /** The pipeline's stages in order. */
  stages: string[];
  executions: ExecutionView[];
  environments: EnvView[];
  /** For the tag each promotion source (staging) runs. */
  integration: IntegrationView[];
  /** Things worth saying: stage settings that match no stage, executions not listed. */
  notes: string[];
}

const iso = (d: Date | undefined) => (d ? d.toISOString() : undefined);

/** The role of a stage name under the settings (case-insensitive). */
export function stageRole(name: string, settings: Pick<Settings, 'buildStage' | 'deployStage' | 'integrationStage'>): StageRole | undefined {
  const n = name.toLowerCase();
  if (n === settings.buildStage.toLowerCase()) return 'build';
  if (n === settings.deployStage.toLowerCase()) return 'deploy';
  if (n === settings.integrationStage.toLowerCase()) return 'integration';
  return undefined;
}

/** The first line of a source revision's summary: plain text (GitHub v1) or CodeStar's JSON with CommitMessage. */
export function commitMessage(summary: string | undefined): string | undefined {
  if (!summary) return undefined;
  let text = summary;
  if (summary.trimStart().startsWith('{')) {
    try {
      const parsed = JSON.parse(summary) as { CommitMessage?: unknown };
      if (typeof parsed.CommitMessage === 'string') text = parsed.CommitMessage;
    } catch {
      // Not JSON after all: the text itself.
    }
  }
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '')?.trim();
  return line || undefined;
}

/** The commit of an execution, from its first source revision with an id. */
export function commitOf(revisions: { revisionId?: string; revisionSummary?: string; revisionUrl?: string }[] | undefined): CommitView | undefined {
  const r = revisions?.find((x) => x.revisionId);
  if (!r?.revisionId) return undefined;
  return { sha: r.revisionId, short: r.revisionId.slice(0, 7), summary: commitMessage(r.revisionSummary), ...(r.revisionUrl ? { url: r.revisionUrl } : {}) };
}

/** The ref of an image tag (`git-3f9c2a1` -> `3f9c2a1`), when it is one the build pushes. */
export function refOfTag(tag: string): string | undefined {
  const ref = tag.startsWith('git-') ? tag.slice(4) : tag;
  return /^[0-9a-f]{4,40}$/i.test(ref) ? ref.toLowerCase() : undefined;
}

/** True when the commit `sha` is the one behind `tag` (the part after `git-` starts the SHA). */
export function tagMatchesCommit(tag: string, sha: string | undefined): boolean {
  const ref = refOfTag(tag);
  return Boolean(ref && sha && sha.toLowerCase().startsWith(ref));
}

const ended = (status: string | undefined) => status !== undefined && status !== 'InProgress' && status !== 'Stopping';

/** The command that shows more about a failed stage. */
function moreFor(pipeline: string, executionId: string, stage: StageView, provider: string | undefined): string {
  if ((stage.role === 'build' || provider === 'CodeBuild') && stage.externalId?.includes(':')) return `sgn logs tail --build ${stage.externalId} --failed`;
  if (stage.externalUrl) return stage.externalUrl;
  return `aws codepipeline list-action-executions --pipeline-name ${pipeline} --filter pipelineExecutionId=${executionId}`;
}

/**
 * One execution's stages from its action executions (ListActionExecutions), in the pipeline's
 * stage order: each stage's status from its actions (the latest attempt of each), its start, end
 * and duration, and a failed action's error with a command that shows more.
 */
export function executionView(
  pipeline: string,
  summary: PipelineExecutionSummary,
  details: ActionExecutionDetail[],
  stageOrder: string[],
  settings: Pick<Settings, 'buildStage' | 'deployStage' | 'integrationStage'>,
  now: Date,
): ExecutionView {
  const id = summary.pipelineExecutionId ?? '?';
  const mine = details.filter((d) => d.pipelineExecutionId === undefined || d.pipelineExecutionId === id);
  // The latest attempt of each action (a retried stage runs its actions again).
  const latest = new Map<string, ActionExecutionDetail>();
  for (const d of mine) {
    const key = `${d.stageName}\u0000${d.actionName}`;
    const seen = latest.get(key);
    if (!seen || (d.startTime?.getTime() ?? 0) >= (seen.startTime?.getTime() ?? 0)) latest.set(key, d);
  }
  const byStage = new Map<string, ActionExecutionDetail[]>();
  for (const d of latest.values()) {
    const list = byStage.get(d.stageName ?? '?') ?? [];
    list.push(d);
    byStage.set(d.stageName ?? '?', list);
  }
  // Stages the execution ran but the pipeline no longer declares go after the declared ones.
  const names = [...stageOrder, ...[...byStage.keys()].filter((n) => !stageOrder.includes(n))];
  const executionEnded = ended(summary.status);
  const stages = names.map((name): StageView => {
    const actions = byStage.get(name) ?? [];
    const role = stageRole(name, settings);
    if (actions.length === 0) return { name, ...(role ? { role } : {}), status: executionEnded ? 'NotRun' : 'Pending' };
    const running = actions.some((a) => a.status === 'InProgress');
    const failed = actions.find((a) => a.status === 'Failed');
    const abandoned = actions.some((a) => a.status === 'Abandoned');
    const status: StageStatus = running ? (executionEnded ? 'Stopped' : 'InProgress') : failed ? 'Failed' : abandoned ? 'Stopped' : 'Succeeded';
    const start = Math.min(...actions.map((a) => a.startTime?.getTime() ?? Infinity));
    const end = running ? undefined : Math.max(...actions.map((a) => a.lastUpdateTime?.getTime() ?? -Infinity));
    const startedAt = Number.isFinite(start) ? new Date(start) : undefined;
    const endedAt = end !== undefined && Number.isFinite(end) ? new Date(end) : undefined;
    const main = failed ?? actions[0];
    const result = main.output?.executionResult;
    const view: StageView = {
      name,
      ...(role ? { role } : {}),
      status,
      ...(startedAt ? { startedAt: iso(startedAt) } : {}),
      ...(endedAt ? { endedAt: iso(endedAt) } : {}),
      ...(startedAt ? { durationMs: Math.max(0, (endedAt ?? now).getTime() - startedAt.getTime()) } : {}),
      ...(result?.externalExecutionId ? { externalId: result.externalExecutionId } : {}),
      ...(result?.externalExecutionUrl ? { externalUrl: result.externalExecutionUrl } : {}),
    };
    if (failed) {
      const error = result?.errorDetails;
      view.failure = { action: failed.actionName ?? '?', ...(error?.code ? { code: error.code } : {}), message: error?.message ?? result?.externalExecutionSummary ?? 'failed' };
      view.more = moreFor(pipeline, id, view, failed.input?.actionTypeId?.provider);
    }
    return view;
  });
  const commit = commitOf(summary.sourceRevisions);
  return {
    id,
    status: summary.status ?? 'Unknown',
    ...(summary.statusSummary ? { statusSummary: summary.statusSummary } : {}),
    ...(summary.startTime ? { startedAt: iso(summary.startTime) } : {}),
    ...(summary.lastUpdateTime ? { updatedAt: iso(summary.lastUpdateTime) } : {}),
    ...(summary.trigger ? { trigger: { type: summary.trigger.triggerType, detail: summary.trigger.triggerDetail } } : {}),
    ...(commit ? { commit, tag: `git-${commit.short}` } : {}),
    stages,
  };
}

/** The stage names of a pipeline, in order, from GetPipelineState. */
export function stageNames(states: StageState[] | undefined): string[] {
  return (states ?? []).map((s) => s.stageName ?? '?');
}

/** The integration stage's name in the pipeline (matched case-insensitively), if it has one. */
export function integrationStageOf(stages: string[], settings: Pick<Settings, 'buildStage' | 'deployStage' | 'integrationStage'>): string | undefined {
  return stages.find((s) => stageRole(s, settings) === 'integration');
}

/** What an execution's integration stage says about its tag. */
export function integrationOf(tag: string, execution: ExecutionView | undefined, stages: string[], settings: Pick<Settings, 'buildStage' | 'deployStage' | 'integrationStage'>): IntegrationView {
  const stageName = integrationStageOf(stages, settings);
  if (!stageName) return { tag, result: 'no-stage', stage: settings.integrationStage };
  if (!execution) return { tag, result: 'no-execution', stage: stageName };
  const stage = execution.stages.find((s) => s.name === stageName);
  const base = { tag, stage: stageName, execution: { id: execution.id, status: execution.status, ...(execution.startedAt ? { startedAt: execution.startedAt } : {}) }, ...(stage ? { stageView: stage } : {}) };
  switch (stage?.status) {
    case 'Succeeded':
      return { ...base, result: 'succeeded' };
    case 'Failed':
      return { ...base, result: 'failed', more: stage.more };
    case 'InProgress':
      return { ...base, result: 'running' };
    case 'Pending':
      return { ...base, result: 'running' };
    default:
      // Never reached (an earlier stage failed), or stopped: the tests did not pass.
      return { ...base, result: 'not-run' };
  }
}

/** The ISO time of a date, for the model. */
export { iso };
