import type { ActionExecutionDetail, GetPipelineStateCommandOutput, PipelineExecutionSummary } from '@aws-sdk/client-codepipeline';
import { awsErrorName, InterruptedError, SgnError } from '../../errors.js';
import type { Settings } from '../../settings/schema.js';
import { withBackoff } from '../logs/reader.js';
import { executionView, stageNames, type ExecutionView, type StageStatus } from './model.js';
import { actionsOf, listExecutions, pipelineError, pipelineName, readPipelineState, type PipelineReadDeps } from './read.js';

export interface WatchOptions {
  project: string;
  /** When no execution runs, wait for the next one (else show the newest, ended one). */
  wait: boolean;
  /** Milliseconds between two GetPipelineState calls. */
  intervalMs: number;
}

/** One change the watch saw: a stage's status, or (stage undefined) the execution's. */
export interface WatchChange {
  stage?: string;
  status: StageStatus | string;
  previous?: string;
  durationMs?: number;
  message?: string;
  more?: string;
}

/** What the watch hands its renderer: the execution as it stands, and what changed since the last update. */
export interface WatchUpdate {
  pipeline: string;
  /** The time the update was made (running durations are up to it). */
  at: string;
  execution: ExecutionView;
  /** Empty on a plain tick (for a renderer that redraws running times). */
  changes: WatchChange[];
  first: boolean;
  done: boolean;
}

export interface WatchDeps extends PipelineReadDeps {
  settings: Settings;
  now(): Date;
  /** Called with the first view, on every change, on every poll (changes empty), and at the end. */
  onUpdate(update: WatchUpdate): void;
  /** Called once when the watch waits for an execution to start (--wait). */
  onWaiting?(message: string): void;
}

export interface WatchResult {
  project: string;
  pipeline: string;
  execution: ExecutionView;
  /** The execution Succeeded. */
  ok: boolean;
}

/** The slowest the watch polls after throttling: back to the interval once calls go through. */
export const maxWatchIntervalMs = 30_000;

const isEnded = (status: string | undefined) => status !== undefined && status !== 'InProgress' && status !== 'Stopping';

/** What changed between two views of one execution: each stage whose status moved (not to Pending), then the execution's. */
export function changesBetween(before: ExecutionView | undefined, after: ExecutionView): WatchChange[] {
  const changes: WatchChange[] = [];
  for (const s of after.stages) {
    const prev = before?.stages.find((x) => x.name === s.name)?.status;
    if (s.status === prev || s.status === 'Pending' || (prev === undefined && s.status === 'NotRun')) continue;
    if (s.status === 'NotRun' && prev === 'Pending') continue;
    changes.push({
      stage: s.name,
      status: s.status,
      ...(prev ? { previous: prev } : {}),
      ...(s.status !== 'InProgress' && s.durationMs !== undefined ? { durationMs: s.durationMs } : {}),
      ...(s.failure?.message ? { message: s.failure.message } : {}),
      ...(s.more ? { more: s.more } : {}),
    });
  }
  if (after.status !== before?.status && (before !== undefined || isEnded(after.status))) {
    const start = after.startedAt ? Date.parse(after.startedAt) : undefined;
    const end = after.updatedAt ? Date.parse(after.updatedAt) : undefined;
    changes.push({ status: after.status, ...(before ? { previous: before.status } : {}), ...(start !== undefined && end !== undefined && isEnded(after.status) ? { durationMs: Math.max(0, end - start) } : {}), ...(after.statusSummary ? { message: after.statusSummary } : {}) });
  }
  return changes;
}

/** The part of a pipeline state that concerns one execution: when it changes, the execution moved. */
export function fingerprint(state: GetPipelineStateCommandOutput, executionId: string): string {
  return JSON.stringify(
    (state.stageStates ?? []).map((s) =>
      s.latestExecution?.pipelineExecutionId === executionId
        ? [s.latestExecution.status, (s.actionStates ?? []).map((a) => [a.latestExecution?.status, a.latestExecution?.lastStatusChange?.getTime()])]
        : s.latestExecution?.pipelineExecutionId ? 'other' : 'none',
    ),
  );
}

/**
 * `sgn status --watch`: follows the running execution (or the next one with --wait) stage by
 * stage until it ends. Each poll is one GetPipelineState call; only when the execution's part of
 * it changes (or every tenth poll, to see a stop or a supersede that moves no stage) are its
 * actions and status read again. Throttling is waited out with back-off, and the poll interval
 * doubles (up to 30 s) until calls go through again.
 */
export async function watchPipeline(deps: WatchDeps, opts: WatchOptions): Promise<WatchResult> {
  const { settings } = deps;
  const pipeline = pipelineName(settings, opts.project);
  let interval = opts.intervalMs;
  let throttled = false;
  const reader: PipelineReadDeps = {
    ...deps,
    onRetry: (m) => {
      if (/Throttl|TooManyRequests|LimitExceeded/i.test(m)) throttled = true;
      deps.onRetry?.(m);
    },
  };
  const pause = async () => {
    interval = throttled ? Math.min(maxWatchIntervalMs, interval * 2) : Math.max(opts.intervalMs, Math.floor(interval / 2));
    throttled = false;
    await deps.sleep(interval, deps.signal);
  };

  let followed: PipelineExecutionSummary | undefined;
  try {
    const state = await readPipelineState(reader, pipeline, opts.project);
    let stages = stageNames(state.stageStates);
    const listed = await listExecutions(reader, pipeline, opts.project, 5);
    followed = listed.summaries.find((s) => s.status === 'InProgress');
    if (!followed && opts.wait) {
      const seen = new Set(listed.summaries.map((s) => s.pipelineExecutionId));
      const latest = listed.summaries[0];
      deps.onWaiting?.(`Waiting for the next execution of pipeline ${pipeline}${latest ? ` (latest: ${latest.status}, ${latest.pipelineExecutionId})` : ''}; Ctrl-C to stop.`);
      while (!followed) {
        await pause();
        const next = await listExecutions(reader, pipeline, opts.project, 1);
        if (next.summaries[0] && !seen.has(next.summaries[0].pipelineExecutionId)) followed = next.summaries[0];
      }
    }
    followed ??= listed.summaries[0];
    if (!followed?.pipelineExecutionId) {
      throw new SgnError(`Pipeline ${pipeline} has no executions yet.`, { hint: `Push a commit, or wait for the next execution: \`sgn status ${opts.project} --wait\`.` });
    }
    const id = followed.pipelineExecutionId;
    let summary: PipelineExecutionSummary = followed;
    let details: ActionExecutionDetail[] = await actionsOf(reader, pipeline, opts.project, id);
    const viewNow = () => executionView(pipeline, summary, details, stages, settings, deps.now());
    let view = viewNow();
    deps.onUpdate({ pipeline, at: deps.now().toISOString(), execution: view, changes: changesBetween(undefined, view), first: true, done: isEnded(view.status) });
    let last = fingerprint(state, id);
    let sinceFull = 0;
    while (!isEnded(view.status)) {
      await pause();
      let current: GetPipelineStateCommandOutput;
      try {
        current = await withBackoff(() => deps.codepipeline.getPipelineState({ name: pipeline }, { signal: deps.signal }), 'GetPipelineState', reader);
      } catch (e) {
        throw await pipelineError(reader, e, 'GetPipelineState', pipeline, opts.project);
      }
      const print = fingerprint(current, id);
      sinceFull++;
      if (print !== last || sinceFull >= 10) {
        last = print;
        sinceFull = 0;
        stages = stageNames(current.stageStates);
        const [execution, actions] = await Promise.all([
          withBackoff(() => deps.codepipeline.getPipelineExecution({ pipelineName: pipeline, pipelineExecutionId: id }, { signal: deps.signal }), 'GetPipelineExecution', reader).catch(async (e: unknown) => {
            throw await pipelineError(reader, e, 'GetPipelineExecution', pipeline, opts.project);
          }),
          actionsOf(reader, pipeline, opts.project, id),
        ]);
        const exec = execution.pipelineExecution;
        details = actions;
        summary = {
          ...summary,
          ...(exec?.status ? { status: exec.status } : {}),
          ...(exec?.statusSummary ? { statusSummary: exec.statusSummary } : {}),
          // GetPipelineExecution has no times: the last action's is when it last moved.
          lastUpdateTime: new Date(Math.max(summary.lastUpdateTime?.getTime() ?? 0, ...actions.map((a) => a.lastUpdateTime?.getTime() ?? 0))),
        };
      }
      const next = viewNow();
      const changes = changesBetween(view, next);
      view = next;
      deps.onUpdate({ pipeline, at: deps.now().toISOString(), execution: view, changes, first: false, done: isEnded(view.status) });
    }
    return { project: opts.project, pipeline, execution: view, ok: view.status === 'Succeeded' };
  } catch (e) {
    if (deps.signal.aborted || awsErrorName(e) === 'AbortError') {
      throw new InterruptedError(followed ? `Stopped watching execution ${followed.pipelineExecutionId} of ${pipeline}; the pipeline itself keeps running.` : 'Interrupted.');
    }
    throw e;
  }
}
