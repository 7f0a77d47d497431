import type { Settings } from '../../settings/schema.js';
import { awsErrorName, SgnError } from '../../errors.js';
import { executionView, integrationOf, stageNames, type IntegrationView } from '../status/model.js';
import { actionsOf, findExecutionForTag, listExecutions, pipelineName, readPipelineState, type PipelineReadDeps } from '../status/read.js';

/**
 * The promotion gate: before a tag is promoted, what the pipeline's integration-test stage said
 * about it (the execution whose source revision starts with the part after `git-`). Failed, not
 * finished, or never run refuses a protected env unless --skip-checks; no execution found (older
 * builds leave the history), no such stage, or no such pipeline lets it through with a warning.
 */
export type GateVerdict = 'pass' | 'refuse' | 'warn' | 'off';

export interface GateCheck {
  verdict: GateVerdict;
  /** One line for the plan: what the tests said, or why there is nothing to say. */
  message: string;
  /** What the integration stage said (absent when the gate is off or CodePipeline could not be read). */
  integration?: IntegrationView;
  pipeline?: string;
}

export interface GateDeps extends PipelineReadDeps {
  settings: Pick<Settings, 'pipeline' | 'buildStage' | 'deployStage' | 'integrationStage' | 'promotionGate'>;
  now(): Date;
}

/** The check of a gate the settings turned off (promotionGate false): nothing is read. */
export const gateOff: GateCheck = { verdict: 'off', message: 'not checked (setting promotionGate is off)' };

/** Reads what the integration tests said about `tag` and turns it into the gate's verdict for `env`. */
export async function promotionGate(deps: GateDeps, input: { project: string; tag: string; env: string; protected: boolean }): Promise<GateCheck> {
  return openPromotionGate(deps, input)(input.tag);
}

/** The gate of one promotion, asked per tag (the plan may learn the tag it deploys late). */
export type GateJudge = (tag: string) => Promise<GateCheck>;

/**
 * Opens the gate of a promotion before its tag is known: the pipeline's newest executions do not
 * depend on the tag, so they are asked right away (the plan reads its records meanwhile). Each
 * tag judged later costs one more round trip (the stage state and the actions of its execution,
 * together), or more pages of executions when it is not among the newest 100.
 */
export function openPromotionGate(deps: GateDeps, input: { project: string; env: string; protected: boolean }): GateJudge {
  const { settings } = deps;
  if (!settings.promotionGate) return async () => gateOff;
  const pipeline = pipelineName(settings, input.project);
  const blocking: GateVerdict = input.protected ? 'refuse' : 'warn';
  // A deploy must not wait a minute on a throttled or failing CodePipeline: a short back-off, then the verdict.
  const reader: GateDeps = { ...deps, noSuggestions: true, backoff: deps.backoff ?? { baseMs: 200, maxMs: 1000, attempts: 3 } };
  // Settled now, awaited per tag: a failure here is the verdict of every tag, never an unhandled rejection.
  const settle = <T>(p: Promise<T>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));
  const unwrap = async <T>(p: Promise<{ value: T } | { error: unknown }>): Promise<T> => {
    const r = await p;
    if ('error' in r) throw r.error;
    return r.value;
  };
  const newest = settle(listExecutions(reader, pipeline, input.project, 100));
  // The stage state only once the pipeline is known to exist (a missing one fails the listing first).
  let state: Promise<{ value: Awaited<ReturnType<typeof readPipelineState>> } | { error: unknown }> | undefined;
  const judged = new Map<string, Promise<GateCheck>>();
  const judge = async (tag: string): Promise<GateCheck> => {
    let integration: IntegrationView;
    try {
      // An empty first page: the pipeline never ran, no need to ask again.
      const page = await unwrap(newest);
      const execution = page.summaries.length || page.nextToken ? await findExecutionForTag(reader, pipeline, input.project, tag, page) : undefined;
      const [stateNow, actions] = await Promise.all([
        unwrap((state ??= settle(readPipelineState(reader, pipeline, input.project)))),
        execution?.pipelineExecutionId ? actionsOf(reader, pipeline, input.project, execution.pipelineExecutionId) : Promise.resolve([]),
      ]);
      const stages = stageNames(stateNow.stageStates);
      const view = execution?.pipelineExecutionId ? executionView(pipeline, execution, actions, stages, settings, deps.now()) : undefined;
      integration = integrationOf(tag, view, stages, settings);
    } catch (e) {
      // No pipeline to read: a team without one (or another name) is told, not blocked.
      if (e instanceof SgnError && /^No pipeline named /.test(e.message)) {
        return { verdict: 'warn', pipeline, message: `not checked: ${e.message.replace(/\.$/, '')} (set pipeline, or promotionGate false)` };
      }
      if (awsErrorName(e) === 'AbortError' || deps.signal.aborted) throw e;
      // Anything else (denied access, CodePipeline down) fails closed on a protected env.
      const why = e instanceof Error ? e.message.replace(/\.$/, '') : String(e);
      return { verdict: blocking, pipeline, message: `could not be checked: ${why}` };
    }
    return verdictOf(integration, pipeline, tag, blocking);
  };
  return (tag) => {
    if (!judged.has(tag)) judged.set(tag, judge(tag));
    return judged.get(tag)!;
  };
}

function verdictOf(integration: IntegrationView, pipeline: string, tag: string, blocking: GateVerdict): GateCheck {
  const exec = integration.execution ? `execution ${integration.execution.id}` : '';
  const stage = integration.stage;
  switch (integration.result) {
    case 'succeeded':
      return { verdict: 'pass', pipeline, integration, message: `${stage} passed (${exec})` };
    case 'failed':
      return { verdict: blocking, pipeline, integration, message: `${stage} failed (${exec}${integration.stageView?.failure?.message ? `: ${integration.stageView.failure.message}` : ''})` };
    case 'running':
      return { verdict: blocking, pipeline, integration, message: `${stage} not finished (${exec} is ${integration.stageView?.status === 'InProgress' ? `in ${stage}` : 'still in an earlier stage'})` };
    case 'not-run':
      return { verdict: blocking, pipeline, integration, message: `${stage} never ran (${exec} ${integration.execution?.status ?? ''})`.replace(' )', ')') };
    case 'no-execution':
      return { verdict: 'warn', pipeline, integration, message: `no execution of pipeline ${pipeline} built ${tag} (older ones leave the history): not checked` };
    case 'no-stage':
      return { verdict: 'warn', pipeline, integration, message: `pipeline ${pipeline} has no ${stage} stage: not checked (set integrationStage, or promotionGate false)` };
  }
}

/** The refusal of a gate that says no: which execution, how to see it, how to go on anyway. */
export function gateRefusal(check: GateCheck, plan: { project: string; tag: string; to: string }, data?: object): SgnError {
  const i = check.integration;
  const see = i?.execution ? `See it: \`sgn status ${plan.project}\`${i.more ? ` or \`${i.more}\`` : ''}.` : `See the pipeline: \`sgn status ${plan.project}\`.`;
  const wait = i?.result === 'running' ? ` Wait for it: \`sgn status ${plan.project} --watch --exit-status && sgn deploy ${plan.project} ${plan.to}\`.` : '';
  const exec = i?.execution ? `execution ${i.execution.id} of pipeline ${check.pipeline}` : '';
  const failure = i?.stageView?.failure?.message ? `: ${i.stageView.failure.message}` : '';
  const what =
    i?.result === 'failed'
      ? `failed its integration tests (${i.stage}) in ${exec}${failure}`
      : i?.result === 'running'
        ? `has not finished its integration tests (${i.stage}) in ${exec}`
        : i?.result === 'not-run'
          ? `never ran its integration tests (${i.stage}): ${exec} ${i.execution?.status ?? 'ended'} before them`
          : `has integration tests that ${check.message}`;
  return new SgnError(`${plan.project} ${plan.tag} ${what}; sgn deploys nothing to protected ${plan.to}.`, {
    hint: `${see}${wait} To promote it anyway: --skip-checks (or turn the gate off: \`sgn config set promotionGate false\`).`,
    code: 'deploy.gate',
    ...(data ? { data } : {}),
  });
}
