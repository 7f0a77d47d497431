import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { ApiError, decodeToken, encodeToken, epoch, jsonApi, serveEmulator, type EmulatorFault, type EmulatorServer } from './aws-json-api.js';

// Why this exists: moto 5.2.5 stores pipelines, but an execution it starts is "Succeeded" at
// once, with no source revisions and no stages run; it serves neither GetPipelineState nor
// ListActionExecutions. sgn status reads exactly those. So the sandbox and the tests serve the
// CodePipeline reads sgn calls from here, shaped as AWS documents them (JSON 1.1, POST /,
// X-Amz-Target: CodePipeline_20150709.<Op>, timestamps as epoch seconds), plus control
// functions (and a control endpoint, see controlHandler) that move executions through stages.
// test/sandbox/codepipeline-emulator.test.ts holds a canary that fails once moto serves them.

export type ActionStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Abandoned';
export type ExecutionStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Stopped' | 'Stopping' | 'Superseded' | 'Cancelled';

/** One action of a stage, as a pipeline declares it. */
export interface ActionDeclaration {
  name: string;
  category: 'Source' | 'Build' | 'Deploy' | 'Test' | 'Invoke' | 'Approval';
  provider: string;
  configuration?: Record<string, string>;
}

export interface StageDeclaration {
  name: string;
  actions: ActionDeclaration[];
}

/** The stages of the pipeline every project gets (pipeline-contract.md, "CodePipeline"). */
export function defaultStages(project: string, opts: { functionName?: string; testFunction?: string; integrationStage?: string } = {}): StageDeclaration[] {
  return [
    { name: 'Source', actions: [{ name: 'Source', category: 'Source', provider: 'CodeStarSourceConnection', configuration: { FullRepositoryId: `team/${project}`, BranchName: 'main' } }] },
    { name: 'Build', actions: [{ name: 'Build', category: 'Build', provider: 'CodeBuild', configuration: { ProjectName: project } }] },
    { name: 'Deploy', actions: [{ name: 'Deploy', category: 'Invoke', provider: 'Lambda', configuration: { FunctionName: opts.functionName ?? 'notify_k8s_deploy', UserParameters: `${project}/staging` } }] },
    {
      name: opts.integrationStage ?? 'IntegrationTests',
      actions: [{ name: 'IntegrationTests', category: 'Invoke', provider: 'Lambda', configuration: { FunctionName: opts.testFunction ?? 'integration_tests', UserParameters: project } }],
    },
  ];
}

interface ActionRun {
  id: string;
  stage: string;
  action: ActionDeclaration;
  status: ActionStatus;
  start: Date;
  updated: Date;
  summary?: string;
  externalExecutionId?: string;
  externalExecutionUrl?: string;
  error?: { code: string; message: string };
}

interface ExecutionState {
  id: string;
  pipeline: string;
  status: ExecutionStatus;
  statusSummary?: string;
  start: Date;
  updated: Date;
  revision?: { id: string; summary?: string; url?: string };
  trigger: { triggerType: string; triggerDetail?: string };
  /** Index of the stage it is in (or ended in). */
  stage: number;
  /** When it entered each stage, by stage name (GetPipelineState's "latest execution" of a stage). */
  entered: Map<string, Date>;
  actions: ActionRun[];
}

interface PipelineState {
  name: string;
  created: Date;
  updated: Date;
  stages: StageDeclaration[];
  executions: ExecutionState[];
}

export type { EmulatorFault } from './aws-json-api.js';

export interface StartExecutionInput {
  at?: Date;
  /** The commit: full SHA, and the summary as the source action reports it. Omit for an execution without one. */
  revision?: { id: string; summary?: string; url?: string };
  trigger?: { triggerType: string; triggerDetail?: string };
}

export interface StageInput {
  at?: Date;
  /** What the action ran elsewhere (for a CodeBuild action: the build id). */
  externalExecutionId?: string;
  externalExecutionUrl?: string;
  summary?: string;
}

export interface FinishStageInput extends StageInput {
  status: 'Succeeded' | 'Failed';
  /** The failed action's error, as CodePipeline reports it (errorDetails). */
  error?: { code: string; message: string };
}

export interface CodepipelineEmulatorOptions {
  region?: string;
  accountId?: string;
  now?: () => Date;
}

/** An emulated CodePipeline: an HTTP handler for the reads sgn makes, and control functions. */
export interface CodepipelineEmulator {
  readonly region: string;
  readonly accountId: string;
  /** Serves a CodePipeline API request; false when the request is not one. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Creates a pipeline (idempotent); default stages Source, Build, Deploy, IntegrationTests. */
  createPipeline(name: string, opts?: { stages?: StageDeclaration[]; created?: Date }): void;
  /** Starts an execution: InProgress, its first stage (Source) running. Returns its id. */
  startExecution(pipeline: string, input?: StartExecutionInput): string;
  /** Ends the running stage as `status`; Failed ends the execution, Succeeded on the last stage too. */
  finishStage(executionId: string, input: FinishStageInput): void;
  /** Starts the next stage of an execution whose current stage succeeded. */
  enterStage(executionId: string, input?: StageInput): void;
  /** finishStage(Succeeded) then enterStage, or the end of the execution after the last stage. */
  advance(executionId: string, input?: StageInput & { next?: StageInput }): void;
  /** Stops a running execution: its running actions are Abandoned, the execution Stopped. */
  stopExecution(executionId: string, input?: { at?: Date; reason?: string }): void;
  /** The execution as GetPipelineExecution returns it, plus its current stage name. */
  describeExecution(executionId: string): { status: ExecutionStatus; stage: string; pipeline: string } | undefined;
  /** The next `times` calls of `operation` fail with `fault`. */
  injectFault(operation: string, fault: EmulatorFault, times?: number): void;
  /** The next `times` calls of `operation` are refused as AWS refuses a caller without the permission. */
  denyAccess(operation: string, times?: number): void;
  /** Every call served so far, by operation (for tests that count requests). */
  calls(): Record<string, number>;
  /** Forgets every pipeline, execution and fault. */
  reset(): void;
}

const target = 'CodePipeline_20150709.';
/** Creates an emulated CodePipeline with no pipelines. */
export function createCodepipelineEmulator(opts: CodepipelineEmulatorOptions = {}): CodepipelineEmulator {
  const region = opts.region ?? 'us-east-1';
  const accountId = opts.accountId ?? '123456789012';
  const now = opts.now ?? (() => new Date());
  const pipelines = new Map<string, PipelineState>();
  const executions = new Map<string, ExecutionState>();

  const mustExecution = (id: string) => {
    const e = executions.get(id);
    if (!e) throw new Error(`codepipeline emulator: no execution ${id}`);
    return e;
  };
  const pipelineOf = (e: ExecutionState) => pipelines.get(e.pipeline)!;
  const notFound = (name: string) => new ApiError('PipelineNotFoundException', `Account '${accountId}' does not have a pipeline with name '${name}'`);
  const mustPipeline = (name: unknown) => {
    if (typeof name !== 'string' || name === '') throw new ApiError('ValidationException', '1 validation error detected: Value null at \'name\' failed to satisfy constraint: Member must not be null');
    const p = pipelines.get(name);
    if (!p) throw notFound(name);
    return p;
  };
  const page = <T>(items: T[], token: unknown, max: unknown) => {
    const size = max === undefined ? 100 : Number(max);
    if (!Number.isInteger(size) || size < 1 || size > 100) throw new ApiError('ValidationException', `1 validation error detected: Value '${String(max)}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100`);
    const offset = decodeToken(token);
    if (offset === undefined) throw new ApiError('InvalidNextTokenException', 'The next token was specified in an invalid format. Make sure that the next token you provide is the token returned by a previous call.');
    const slice = items.slice(offset, offset + size);
    return { slice, nextToken: offset + size < items.length ? encodeToken(offset + size) : undefined };
  };

  const runsOf = (e: ExecutionState, stage: string) => e.actions.filter((a) => a.stage === stage);
  const stageStatus = (runs: ActionRun[]): string => {
    if (runs.some((a) => a.status === 'InProgress')) return 'InProgress';
    if (runs.some((a) => a.status === 'Failed')) return 'Failed';
    if (runs.some((a) => a.status === 'Abandoned')) return 'Stopped';
    return 'Succeeded';
  };
  const sourceAction = (p: PipelineState) => p.stages[0]?.actions[0]?.name ?? 'Source';

  const startStage = (e: ExecutionState, index: number, input: StageInput = {}) => {
    const p = pipelineOf(e);
    const stage = p.stages[index];
    const at = input.at ?? now();
    e.stage = index;
    e.entered.set(stage.name, at);
    e.updated = at;
    for (const action of stage.actions) {
      e.actions.push({
        id: randomUUID(),
        stage: stage.name,
        action,
        status: 'InProgress',
        start: at,
        updated: at,
        summary: input.summary,
        externalExecutionId: input.externalExecutionId,
        externalExecutionUrl: input.externalExecutionUrl,
      });
    }
  };

  const finishStage = (id: string, input: FinishStageInput) => {
    const e = mustExecution(id);
    if (e.status !== 'InProgress') throw new Error(`codepipeline emulator: execution ${id} already ended (${e.status})`);
    const p = pipelineOf(e);
    const stage = p.stages[e.stage];
    const at = input.at ?? now();
    const running = runsOf(e, stage.name).filter((a) => a.status === 'InProgress');
    if (!running.length) throw new Error(`codepipeline emulator: stage ${stage.name} of ${id} is not running`);
    for (const [i, a] of running.entries()) {
      // Only the first action carries the failure; its siblings succeed (as parallel actions may).
      a.status = input.status === 'Failed' && i === 0 ? 'Failed' : 'Succeeded';
      a.updated = at;
      if (input.summary !== undefined) a.summary = input.summary;
      if (input.externalExecutionId !== undefined) a.externalExecutionId = input.externalExecutionId;
      if (input.externalExecutionUrl !== undefined) a.externalExecutionUrl = input.externalExecutionUrl;
      if (a.status === 'Failed') a.error = input.error ?? { code: 'JobFailed', message: `${a.action.name} failed` };
    }
    e.updated = at;
    if (input.status === 'Failed') e.status = 'Failed';
    else if (e.stage === p.stages.length - 1) e.status = 'Succeeded';
  };

  const enterStage = (id: string, input: StageInput = {}) => {
    const e = mustExecution(id);
    const p = pipelineOf(e);
    if (e.status !== 'InProgress') throw new Error(`codepipeline emulator: execution ${id} already ended (${e.status})`);
    if (runsOf(e, p.stages[e.stage].name).some((a) => a.status === 'InProgress')) throw new Error(`codepipeline emulator: stage ${p.stages[e.stage].name} of ${id} is still running`);
    if (e.stage + 1 >= p.stages.length) throw new Error(`codepipeline emulator: ${id} has no stage after ${p.stages[e.stage].name}`);
    startStage(e, e.stage + 1, input);
  };

  const executionSummary = (e: ExecutionState) => ({
    pipelineExecutionId: e.id,
    status: e.status,
    ...(e.statusSummary ? { statusSummary: e.statusSummary } : {}),
    startTime: epoch(e.start),
    lastUpdateTime: epoch(e.updated),
    sourceRevisions: e.revision
      ? [{ actionName: sourceAction(pipelineOf(e)), revisionId: e.revision.id, ...(e.revision.summary !== undefined ? { revisionSummary: e.revision.summary } : {}), ...(e.revision.url ? { revisionUrl: e.revision.url } : {}) }]
      : [],
    trigger: e.trigger,
    executionMode: 'SUPERSEDED',
    executionType: 'STANDARD',
  });

  const actionTypeId = (a: ActionDeclaration) => ({ category: a.category, owner: 'AWS', provider: a.provider, version: '1' });

  const actionDetail = (e: ExecutionState, a: ActionRun) => ({
    pipelineExecutionId: e.id,
    actionExecutionId: a.id,
    pipelineVersion: 1,
    stageName: a.stage,
    actionName: a.action.name,
    startTime: epoch(a.start),
    lastUpdateTime: epoch(a.updated),
    status: a.status,
    input: {
      actionTypeId: actionTypeId(a.action),
      configuration: a.action.configuration ?? {},
      resolvedConfiguration: a.action.configuration ?? {},
      roleArn: `arn:aws:iam::${accountId}:role/codepipeline-${e.pipeline}`,
      region,
      inputArtifacts: [],
    },
    output: {
      outputArtifacts: [],
      executionResult: {
        ...(a.externalExecutionId ? { externalExecutionId: a.externalExecutionId } : {}),
        ...(a.summary ? { externalExecutionSummary: a.summary } : {}),
        ...(a.externalExecutionUrl ? { externalExecutionUrl: a.externalExecutionUrl } : {}),
        ...(a.error ? { errorDetails: a.error } : {}),
      },
      outputVariables: {},
    },
  });

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    ListPipelines: (body) => {
      const all = [...pipelines.values()].sort((a, b) => a.name.localeCompare(b.name));
      const { slice, nextToken } = page(all, body.nextToken, body.maxResults);
      return {
        pipelines: slice.map((p) => ({ name: p.name, version: 1, pipelineType: 'V2', executionMode: 'SUPERSEDED', created: epoch(p.created), updated: epoch(p.updated) })),
        ...(nextToken ? { nextToken } : {}),
      };
    },
    ListPipelineExecutions: (body) => {
      const p = mustPipeline(body.pipelineName);
      // Newest first, as AWS lists them.
      const all = [...p.executions].sort((a, b) => b.start.getTime() - a.start.getTime());
      const { slice, nextToken } = page(all, body.nextToken, body.maxResults);
      return { pipelineExecutionSummaries: slice.map(executionSummary), ...(nextToken ? { nextToken } : {}) };
    },
    GetPipelineExecution: (body) => {
      const p = mustPipeline(body.pipelineName);
      const e = typeof body.pipelineExecutionId === 'string' ? executions.get(body.pipelineExecutionId) : undefined;
      if (!e || e.pipeline !== p.name) {
        throw new ApiError('PipelineExecutionNotFoundException', `Pipeline execution with id '${String(body.pipelineExecutionId)}' does not exist in pipeline with name '${p.name}'`);
      }
      return {
        pipelineExecution: {
          pipelineName: p.name,
          pipelineVersion: 1,
          pipelineExecutionId: e.id,
          status: e.status,
          ...(e.statusSummary ? { statusSummary: e.statusSummary } : {}),
          artifactRevisions: e.revision
            ? [{ name: 'SourceArtifact', revisionId: e.revision.id, ...(e.revision.summary !== undefined ? { revisionSummary: e.revision.summary } : {}), ...(e.revision.url ? { revisionUrl: e.revision.url } : {}), created: epoch(e.start) }]
            : [],
          variables: [],
          trigger: e.trigger,
          executionMode: 'SUPERSEDED',
          executionType: 'STANDARD',
        },
      };
    },
    GetPipelineState: (body) => {
      const p = mustPipeline(body.name);
      return {
        pipelineName: p.name,
        pipelineVersion: 1,
        stageStates: p.stages.map((stage) => {
          // A stage shows the execution that entered it last, as AWS does.
          let latest: ExecutionState | undefined;
          for (const e of p.executions) {
            const at = e.entered.get(stage.name);
            if (at && (!latest || at.getTime() >= latest.entered.get(stage.name)!.getTime())) latest = e;
          }
          const runs = latest ? runsOf(latest, stage.name) : [];
          return {
            stageName: stage.name,
            inboundTransitionState: { enabled: true },
            actionStates: stage.actions.map((action) => {
              const run = runs.find((r) => r.action.name === action.name);
              const isSource = stage === p.stages[0];
              return {
                actionName: action.name,
                ...(isSource && latest?.revision ? { currentRevision: { revisionId: latest.revision.id, revisionChangeId: latest.revision.id, created: epoch(latest.start) } } : {}),
                ...(run
                  ? {
                      latestExecution: {
                        actionExecutionId: run.id,
                        status: run.status,
                        ...(run.summary ? { summary: run.summary } : {}),
                        lastStatusChange: epoch(run.updated),
                        ...(run.externalExecutionId ? { externalExecutionId: run.externalExecutionId } : {}),
                        ...(run.externalExecutionUrl ? { externalExecutionUrl: run.externalExecutionUrl } : {}),
                        ...(run.error ? { errorDetails: run.error } : {}),
                      },
                    }
                  : {}),
              };
            }),
            ...(latest ? { latestExecution: { pipelineExecutionId: latest.id, status: stageStatus(runs), type: 'STANDARD' } } : {}),
          };
        }),
        created: epoch(p.created),
        updated: epoch(p.updated),
      };
    },
    ListActionExecutions: (body) => {
      const p = mustPipeline(body.pipelineName);
      const filter = (body.filter ?? {}) as { pipelineExecutionId?: unknown };
      let list = p.executions.flatMap((e) => e.actions.map((a) => ({ e, a })));
      if (filter.pipelineExecutionId !== undefined) {
        const e = typeof filter.pipelineExecutionId === 'string' ? executions.get(filter.pipelineExecutionId) : undefined;
        if (!e || e.pipeline !== p.name) {
          throw new ApiError('PipelineExecutionNotFoundException', `Pipeline execution with id '${String(filter.pipelineExecutionId)}' does not exist in pipeline with name '${p.name}'`);
        }
        list = list.filter((x) => x.e === e);
      }
      // Newest first by start time, as AWS lists them.
      list.sort((x, y) => y.a.start.getTime() - x.a.start.getTime());
      const { slice, nextToken } = page(list, body.nextToken, body.maxResults);
      return { actionExecutionDetails: slice.map((x) => actionDetail(x.e, x.a)), ...(nextToken ? { nextToken } : {}) };
    },
  };

  const api = jsonApi({ target, service: 'codepipeline', name: 'CodePipeline', region, accountId, resource: `arn:aws:codepipeline:${region}:${accountId}:*`, operations });

  const emulator: CodepipelineEmulator = {
    region,
    accountId,
    handle: (req, res) => api.handle(req, res),
    createPipeline(name, o = {}) {
      if (pipelines.has(name)) return;
      const created = o.created ?? now();
      pipelines.set(name, { name, created, updated: created, stages: o.stages ?? defaultStages(name), executions: [] });
    },
    startExecution(pipeline, input = {}) {
      const p = pipelines.get(pipeline);
      if (!p) throw new Error(`codepipeline emulator: no pipeline ${pipeline}`);
      const at = input.at ?? now();
      const e: ExecutionState = {
        id: randomUUID(),
        pipeline,
        status: 'InProgress',
        start: at,
        updated: at,
        revision: input.revision,
        trigger: input.trigger ?? { triggerType: 'WebhookV2', triggerDetail: `arn:aws:codeconnections:${region}:${accountId}:connection/0d1c2b3a-sgn-demo` },
        stage: 0,
        entered: new Map(),
        actions: [],
      };
      p.executions.push(e);
      executions.set(e.id, e);
      startStage(e, 0, { at, ...(input.revision ? { summary: input.revision.summary, externalExecutionId: input.revision.id } : {}) });
      return e.id;
    },
    finishStage,
    enterStage,
    advance(id, input = {}) {
      const { next, ...now_ } = input;
      finishStage(id, { ...now_, status: 'Succeeded' });
      if (mustExecution(id).status === 'InProgress') enterStage(id, { at: now_.at, ...next });
    },
    stopExecution(id, input = {}) {
      const e = mustExecution(id);
      if (e.status !== 'InProgress') return;
      const at = input.at ?? now();
      for (const a of e.actions) {
        if (a.status !== 'InProgress') continue;
        a.status = 'Abandoned';
        a.updated = at;
      }
      e.status = 'Stopped';
      e.statusSummary = input.reason;
      e.updated = at;
    },
    describeExecution(id) {
      const e = executions.get(id);
      return e ? { status: e.status, stage: pipelineOf(e).stages[e.stage].name, pipeline: e.pipeline } : undefined;
    },
    injectFault: (operation, fault, times) => api.injectFault(operation, fault, times),
    denyAccess: (operation, times) => api.denyAccess(operation, times),
    calls: () => api.calls(),
    reset() {
      pipelines.clear();
      executions.clear();
      api.reset();
    },
  };
  return emulator;
}

/**
 * The control endpoint of an emulator that runs in another process (the sandbox's): `POST
 * /_sgn/codepipeline/<start|advance|finish|enter|stop>` with a JSON body, answering JSON. A
 * person or a measurement drives the sandbox's executions through it, e.g.
 * `curl -d '{"executionId":"..."}' <emulator url>/_sgn/codepipeline/advance`.
 */
export function controlHandler(emulator: CodepipelineEmulator): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const prefix = '/_sgn/codepipeline/';
  return async (req, res) => {
    if (req.method !== 'POST' || !req.url?.startsWith(prefix)) return false;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const reply = (status: number, body: unknown) => {
      const text = JSON.stringify(body) + '\n';
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      const body = (chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {}) as Record<string, unknown> & { executionId?: string; pipeline?: string };
      const op = req.url.slice(prefix.length).replace(/[?#].*$/, '');
      const id = String(body.executionId ?? '');
      const at = typeof body.at === 'string' ? new Date(body.at) : undefined;
      switch (op) {
        case 'start':
          return reply(200, { executionId: emulator.startExecution(String(body.pipeline), { at, revision: body.revision as StartExecutionInput['revision'] }) }), true;
        case 'advance':
          emulator.advance(id, { at, externalExecutionId: body.externalExecutionId as string | undefined });
          break;
        case 'finish':
          emulator.finishStage(id, { at, status: body.status === 'Failed' ? 'Failed' : 'Succeeded', error: body.error as FinishStageInput['error'], summary: body.summary as string | undefined });
          break;
        case 'enter':
          emulator.enterStage(id, { at, externalExecutionId: body.externalExecutionId as string | undefined });
          break;
        case 'stop':
          emulator.stopExecution(id, { at, reason: body.reason as string | undefined });
          break;
        default:
          return reply(404, { error: `unknown control ${op}` }), true;
      }
      reply(200, emulator.describeExecution(id));
    } catch (e) {
      reply(400, { error: (e as Error).message });
    }
    return true;
  };
}

export type { EmulatorServer };

/** Serves an emulator (and its control endpoint) on its own loopback port: tests, the bench. */
export function serveCodepipelineEmulator(emulator: CodepipelineEmulator, opts: { port?: number; host?: string } = {}): Promise<EmulatorServer> {
  const control = controlHandler(emulator);
  return serveEmulator(async (req, res) => (await control(req, res)) || emulator.handle(req, res), 'not a CodePipeline request', opts);
}
