import { createHash } from 'node:crypto';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { CodebuildEmulator } from './codebuild-emulator.js';
import type { CodepipelineEmulator } from './codepipeline-emulator.js';
import { seedFinishedBuild } from './fixtures-builds.js';

/**
 * Builders for CodePipeline executions as the project's pipeline leaves them (Source -> Build ->
 * Deploy -> IntegrationTests), each Build action pointing at a real build of the CodeBuild
 * emulator with its log in CloudWatch Logs. The sandbox seeds its demo pipelines with these; the
 * tests build their fixtures with the same code.
 */
export interface PipelineFixtureDeps {
  codepipeline: CodepipelineEmulator;
  codebuild: CodebuildEmulator;
  logs: CloudWatchLogsClient;
}

/** The commit SHA behind the demo tag of `name`: gitTag(name) is `git-` and its first 7 digits. */
export function gitCommit(name: string): string {
  return createHash('sha1').update(name).digest('hex');
}

/** The revision summary a CodeStar (GitHub) source action reports: JSON holding the commit message. */
export function codestarSummary(message: string): string {
  return JSON.stringify({ ProviderType: 'GitHub', CommitMessage: message });
}

/** How a seeded execution ends. */
export type ExecutionOutcome =
  | { status: 'Succeeded' }
  /** Failed in `stage` with CodePipeline's error details; a failed Build stage has a FAILED build. */
  | { status: 'Failed'; stage: string; error?: { code: string; message: string } };

export interface FinishedExecutionInput {
  pipeline: string;
  /** The CodeBuild project of the Build stage. Default: the pipeline name. */
  codebuildProject?: string;
  /** The commit (omit for an execution without a source revision). */
  commit?: { sha: string; message?: string; summary?: string };
  startedAt: Date;
  outcome: ExecutionOutcome;
  /** Seconds each stage takes (Build: taken from its build). */
  seconds?: { source?: number; deploy?: number; integration?: number };
  /** Log lines per build phase (the build's length). Default 4. */
  buildLines?: number;
  trigger?: { triggerType: string; triggerDetail?: string };
}

export interface SeededExecution {
  executionId: string;
  buildId?: string;
  /** When the execution ended. */
  endedAt: Date;
}

/**
 * One finished execution: stages one after the other, the Build stage running a real (emulated)
 * build whose log is in CloudWatch, the failing stage (if any) with CodePipeline's error details.
 */
export async function seedFinishedExecution(deps: PipelineFixtureDeps, input: FinishedExecutionInput): Promise<SeededExecution> {
  const { codepipeline } = deps;
  codepipeline.createPipeline(input.pipeline);
  let t = input.startedAt.getTime();
  const at = () => new Date(t);
  const secs = { source: 4, deploy: 41, integration: 186, ...input.seconds };
  const failIn = input.outcome.status === 'Failed' ? input.outcome.stage : undefined;
  const error = input.outcome.status === 'Failed' ? input.outcome.error : undefined;
  const id = codepipeline.startExecution(input.pipeline, {
    at: at(),
    revision: input.commit ? { id: input.commit.sha, summary: input.commit.summary ?? (input.commit.message !== undefined ? codestarSummary(input.commit.message) : undefined) } : undefined,
    trigger: input.trigger,
  });
  t += secs.source * 1000;
  if (failIn === 'Source') {
    codepipeline.finishStage(id, { at: at(), status: 'Failed', error });
    return { executionId: id, endedAt: at() };
  }
  // Build: a real build in the CodeBuild emulator, so that `sgn logs tail --build <id>` shows it.
  const buildStatus = failIn === 'Build' ? 'FAILED' : 'SUCCEEDED';
  const buildId = await seedFinishedBuild(deps, { project: input.codebuildProject ?? input.pipeline, status: buildStatus, startedAt: at(), linesPerPhase: input.buildLines ?? 4, stepMs: 1500 });
  codepipeline.advance(id, { at: at(), next: { externalExecutionId: buildId } });
  const build = deps.codebuild.describeBuild(buildId)!;
  t = (build.endTime as number) * 1000 + 2000;
  if (failIn === 'Build') {
    const context = ((build.phases as { contexts?: { message: string }[] }[]).find((p) => p.contexts)?.contexts ?? [])[0];
    codepipeline.finishStage(id, { at: at(), status: 'Failed', error: error ?? { code: 'JobFailed', message: `Build terminated with state: FAILED${context ? `. ${context.message}` : ''}` } });
    return { executionId: id, buildId, endedAt: at() };
  }
  codepipeline.advance(id, { at: at() });
  t += secs.deploy * 1000;
  if (failIn === 'Deploy') {
    codepipeline.finishStage(id, { at: at(), status: 'Failed', error: error ?? { code: 'JobFailed', message: 'error rolling out! Manually rollback the deployment to restore it!' } });
    return { executionId: id, buildId, endedAt: at() };
  }
  codepipeline.advance(id, { at: at() });
  t += secs.integration * 1000;
  if (failIn) {
    codepipeline.finishStage(id, { at: at(), status: 'Failed', error: error ?? { code: 'JobFailed', message: 'Integration tests failed' } });
    return { executionId: id, buildId, endedAt: at() };
  }
  codepipeline.finishStage(id, { at: at(), status: 'Succeeded' });
  return { executionId: id, buildId, endedAt: at() };
}

interface DemoExecution {
  /** Name behind the commit (its tag is gitTag(name), as the deploy demo seeds). */
  commit?: string;
  message?: string;
  minutesAgo: number;
  outcome: ExecutionOutcome;
  trigger?: { triggerType: string; triggerDetail?: string };
}

/** The project whose staging tag failed its integration tests (try `sgn --sandbox deploy worker production`). */
export const gateDemoProject = 'worker';

const day = 1440;
/**
 * What each demo project's pipeline ran, in step with the deploy records of seedDemoDeploys
 * (fixtures-deploy.ts): each deployed tag `gitTag('<project>-<i>')` has its execution here
 * (test/sandbox/codepipeline-emulator.test.ts checks the two agree).
 */
function demoPlan(accountId: string): Record<string, DemoExecution[]> {
  return {
    web: [
      { commit: 'web-0', message: 'Serve the health check on /healthz', minutesAgo: 6 * day, outcome: { status: 'Succeeded' } },
      { commit: 'web-1', message: 'Cache the landing page for 60s', minutesAgo: 5 * day, outcome: { status: 'Succeeded' } },
      { commit: 'web-2', message: 'Paginate the order list', minutesAgo: 3 * day + 60, outcome: { status: 'Succeeded' } },
      { commit: 'web-broken', message: 'Try the new bundler', minutesAgo: day, outcome: { status: 'Failed', stage: 'Build' } },
      { commit: 'web-3', message: 'Show the order history on the account page', minutesAgo: 50, outcome: { status: 'Succeeded' } },
    ],
    worker: [
      { commit: 'worker-1', message: 'Retry failed jobs with back-off', minutesAgo: 9 * day + 60, outcome: { status: 'Succeeded' } },
      { commit: 'worker-2', message: 'Batch the e-mail sends', minutesAgo: 2 * day, outcome: { status: 'Succeeded' } },
      {
        commit: 'worker-3',
        message: 'Move the invoice job to the new queue',
        minutesAgo: 9,
        outcome: { status: 'Failed', stage: 'IntegrationTests', error: { code: 'JobFailed', message: '3 of 112 integration tests failed: invoices_test.go:88 TestInvoiceIsQueued: timed out after 30s' } },
      },
    ],
    api: [
      { commit: 'api-0', message: 'Paginate /v1/orders', minutesAgo: 4 * day, outcome: { status: 'Succeeded' } },
      { commit: 'api-1', message: 'Return 404 for unknown orders', minutesAgo: 3 * day, outcome: { status: 'Succeeded' } },
      { commit: 'api-2', message: 'Rate-limit by API key', minutesAgo: 27 * 60, outcome: { status: 'Succeeded' } },
    ],
    search: [
      { commit: 'search-0', message: 'Index product tags', minutesAgo: 12 * day, outcome: { status: 'Succeeded' } },
      { commit: 'search-1', message: 'Stem German words', minutesAgo: 10 * day, outcome: { status: 'Succeeded' } },
      { commit: 'search-2', message: 'Boost exact title matches', minutesAgo: 8 * day + 10, outcome: { status: 'Succeeded' } },
    ],
    billing: [
      { commit: 'billing-0', message: 'First version of the billing service', minutesAgo: 100, outcome: { status: 'Succeeded' } },
      {
        // Started by hand with no source revision: shown as it is.
        minutesAgo: 30,
        trigger: { triggerType: 'StartPipelineExecution', triggerDetail: `arn:aws:iam::${accountId}:user/developer` },
        outcome: { status: 'Failed', stage: 'Source', error: { code: 'JobFailed', message: 'The connection is not available: its status is PENDING. Complete the handshake in the console.' } },
      },
    ],
  };
}

export interface DemoPipelines {
  /** Seeded execution ids per project, oldest first. */
  executions: Record<string, SeededExecution[]>;
  /** The running execution of the live project (changes with each new live build). */
  liveExecutionId(): string | undefined;
  stop(): void;
}

/**
 * Seeds one pipeline per demo project with executions that succeeded, one that failed in its
 * Build, one with no source revision, and one (worker's latest, which staging runs) that failed
 * in its integration tests. `live` ties a running execution to the CodeBuild demo's live build:
 * the execution sits in Build while that build writes; when the build ends, the execution is
 * stopped (the sandbox's demo pipeline never deploys, so staging keeps what the deploy demo
 * seeded), and the next live build starts the next execution.
 */
export async function seedDemoPipelines(
  deps: PipelineFixtureDeps,
  input: { projects: string[]; now?: Date; live?: { project: string; buildId(): string | undefined; pollMs?: number } },
): Promise<DemoPipelines> {
  const now = (input.now ?? new Date()).getTime();
  const plan = demoPlan(deps.codepipeline.accountId);
  const executions: Record<string, SeededExecution[]> = {};
  for (const project of input.projects) {
    deps.codepipeline.createPipeline(project, { created: new Date(now - 30 * day * 60_000) });
    executions[project] = [];
    for (const e of plan[project] ?? [{ commit: `${project}-0`, message: 'Initial commit', minutesAgo: day, outcome: { status: 'Succeeded' } }]) {
      executions[project].push(
        await seedFinishedExecution(deps, {
          pipeline: project,
          commit: e.commit ? { sha: gitCommit(e.commit), message: e.message } : undefined,
          startedAt: new Date(now - e.minutesAgo * 60_000),
          outcome: e.outcome,
          trigger: e.trigger,
          // Builds and tests of different lengths, as real ones are.
          buildLines: 3 + (e.minutesAgo % 4),
          seconds: { deploy: 35 + (e.minutesAgo % 13), integration: 150 + (e.minutesAgo % 61) },
        }),
      );
    }
  }
  let liveExecution: string | undefined;
  let liveBuild: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let round = 1;
  const follow = () => {
    const live = input.live!;
    const buildId = live.buildId();
    if (buildId && buildId !== liveBuild) {
      if (liveExecution) deps.codepipeline.stopExecution(liveExecution, { reason: 'Stopped by the sandbox: its demo pipeline never deploys.' });
      liveBuild = buildId;
      // Commits of their own: a live build never shares the commit of a seeded release (the
      // promotion gate would find it running and refuse the README's first promotion).
      const name = `${live.project}-live-${round++}`;
      const start = new Date(Date.now() - 6_000);
      liveExecution = deps.codepipeline.startExecution(live.project, { at: start, revision: { id: gitCommit(name), summary: codestarSummary('Render the cart server-side') } });
      deps.codepipeline.advance(liveExecution, { at: new Date(start.getTime() + 4_000), next: { externalExecutionId: buildId } });
    }
    const build = liveBuild ? deps.codebuild.describeBuild(liveBuild) : undefined;
    const state = liveExecution ? deps.codepipeline.describeExecution(liveExecution) : undefined;
    if (build && state?.status === 'InProgress' && state.stage === 'Build' && build.buildStatus !== 'IN_PROGRESS') {
      const ok = build.buildStatus === 'SUCCEEDED';
      deps.codepipeline.finishStage(liveExecution!, ok ? { status: 'Succeeded' } : { status: 'Failed', error: { code: 'JobFailed', message: `Build terminated with state: ${String(build.buildStatus)}` } });
      if (ok) deps.codepipeline.stopExecution(liveExecution!, { reason: 'Stopped by the sandbox: its demo pipeline never deploys.' });
    }
  };
  if (input.live) {
    follow();
    timer = setInterval(follow, input.live.pollMs ?? 1000);
    timer.unref();
  }
  return {
    executions,
    liveExecutionId: () => liveExecution,
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}
