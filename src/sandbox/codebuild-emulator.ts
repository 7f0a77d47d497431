import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { ApiError, decodeToken, encodeToken, epoch, jsonApi, serveEmulator, type EmulatorFault, type EmulatorServer } from './aws-json-api.js';

// Why this exists: moto 5.2.5's CodeBuild cannot show a running build. Its BatchGetBuilds marks
// every build it returns SUCCEEDED (appending nine more phases on each call), no build can fail,
// builds carry no log group or stream (`logs` says "null"), and ListBuildsForProject is oldest
// first while AWS is newest first. So the sandbox and the tests serve CodeBuild from here: the
// few read operations sgn calls, shaped as AWS documents them (JSON 1.1, POST /, X-Amz-Target:
// CodeBuild_20161006.<Op>, timestamps as epoch seconds), plus control functions that move builds
// through their phases. The build logs themselves stay in moto's CloudWatch Logs.

export const buildStatuses = ['SUCCEEDED', 'FAILED', 'FAULT', 'TIMED_OUT', 'IN_PROGRESS', 'STOPPED'] as const;
export type BuildStatus = (typeof buildStatuses)[number];
export type EndStatus = Exclude<BuildStatus, 'IN_PROGRESS'>;

/** CodeBuild's phases, in the order a build goes through them. */
export const phaseOrder = [
  'SUBMITTED',
  'QUEUED',
  'PROVISIONING',
  'DOWNLOAD_SOURCE',
  'INSTALL',
  'PRE_BUILD',
  'BUILD',
  'POST_BUILD',
  'UPLOAD_ARTIFACTS',
  'FINALIZING',
  'COMPLETED',
] as const;
export type PhaseType = (typeof phaseOrder)[number];

interface Phase {
  phaseType: PhaseType;
  phaseStatus?: BuildStatus;
  startTime: Date;
  endTime?: Date;
  contexts?: { statusCode: string; message: string }[];
}

interface BuildState {
  id: string;
  buildNumber: number;
  projectName: string;
  startTime: Date;
  endTime?: Date;
  buildStatus: BuildStatus;
  phases: Phase[];
  sourceVersion: string;
  initiator: string;
  logs?: { groupName: string; streamName: string };
}

interface ProjectState {
  name: string;
  created: Date;
  logGroup: string;
  builds: BuildState[];
}

export type { EmulatorFault } from './aws-json-api.js';

export interface StartBuildInput {
  project: string;
  at?: Date;
  sourceVersion?: string;
  initiator?: string;
  /**
   * Where the build writes its log. Default: the project's log group and the build id's UUID part
   * as the stream, as CodeBuild does. 'later' leaves it unset until setLogs() (a build that has
   * not reached PROVISIONING yet has no log stream).
   */
  logs?: { groupName: string; streamName: string } | 'later';
}

export interface FinishBuildInput {
  status: EndStatus;
  at?: Date;
  /** The phase that failed (default: the current one), for non-SUCCEEDED builds. */
  failedPhase?: PhaseType;
  /** The failed phase's context, as CodeBuild reports it. */
  statusCode?: string;
  message?: string;
}

export interface CodebuildEmulatorOptions {
  region?: string;
  accountId?: string;
  now?: () => Date;
}

/** An emulated CodeBuild: an HTTP handler for the API, and control functions for builds. */
export interface CodebuildEmulator {
  readonly region: string;
  readonly accountId: string;
  /** Serves a CodeBuild API request; false when the request is not one (let another handler take it). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Creates a project (idempotent); its builds log to `logGroup` (default /aws/codebuild/<name>). */
  createProject(name: string, opts?: { logGroup?: string; created?: Date }): void;
  /** Starts a build: SUBMITTED and QUEUED done, PROVISIONING running. Returns its id. */
  startBuild(input: StartBuildInput): string;
  /** Ends the running phase (SUCCEEDED) and starts `phase`. */
  enterPhase(buildId: string, phase: PhaseType, at?: Date): void;
  /** Sets the build's log group and stream (as CodeBuild does once the stream exists). */
  setLogs(buildId: string, logs: { groupName: string; streamName: string }): void;
  /** Moves a build to a terminal state, closing its phases the way CodeBuild does. */
  finishBuild(buildId: string, input: FinishBuildInput): void;
  /** The build as BatchGetBuilds returns it (JSON-ready, timestamps as epoch seconds). */
  describeBuild(buildId: string): Record<string, unknown> | undefined;
  /** The next `times` calls of `operation` fail with `fault`. */
  injectFault(operation: string, fault: EmulatorFault, times?: number): void;
  /** The next `times` calls of `operation` are refused as AWS refuses a caller without the permission. */
  denyAccess(operation: string, times?: number): void;
  /** Resolves once the next `operation` request has been answered (tests order events by it). */
  answered(operation: string): Promise<void>;
  /** Forgets every project, build and fault. */
  reset(): void;
}

const target = 'CodeBuild_20161006.';
const pageSize = 100;

/** Creates an emulated CodeBuild with no projects. */
export function createCodebuildEmulator(opts: CodebuildEmulatorOptions = {}): CodebuildEmulator {
  const region = opts.region ?? 'us-east-1';
  const accountId = opts.accountId ?? '123456789012';
  const now = opts.now ?? (() => new Date());
  const projects = new Map<string, ProjectState>();
  const builds = new Map<string, BuildState>();

  const projectArn = (name: string) => `arn:aws:codebuild:${region}:${accountId}:project/${name}`;
  const mustBuild = (id: string) => {
    const b = builds.get(id);
    if (!b) throw new Error(`codebuild emulator: no build ${id}`);
    return b;
  };
  const openPhase = (b: BuildState) => {
    const last = b.phases[b.phases.length - 1];
    return last && !last.endTime && last.phaseType !== 'COMPLETED' ? last : undefined;
  };
  const closePhase = (p: Phase, at: Date, status: BuildStatus, context?: { statusCode: string; message: string }) => {
    p.endTime = at;
    p.phaseStatus = status;
    if (context) p.contexts = [context];
  };

  const buildJson = (b: BuildState): Record<string, unknown> => {
    const streamArn = b.logs ? `arn:aws:logs:${region}:${accountId}:log-group:${b.logs.groupName}:log-stream:${b.logs.streamName}` : undefined;
    const current = b.phases[b.phases.length - 1];
    return {
      id: b.id,
      arn: `arn:aws:codebuild:${region}:${accountId}:build/${b.id}`,
      buildNumber: b.buildNumber,
      startTime: epoch(b.startTime),
      ...(b.endTime ? { endTime: epoch(b.endTime) } : {}),
      currentPhase: current.phaseType,
      buildStatus: b.buildStatus,
      sourceVersion: b.sourceVersion,
      resolvedSourceVersion: b.sourceVersion,
      projectName: b.projectName,
      phases: b.phases.map((p) => ({
        phaseType: p.phaseType,
        ...(p.phaseStatus ? { phaseStatus: p.phaseStatus } : {}),
        startTime: epoch(p.startTime),
        ...(p.endTime ? { endTime: epoch(p.endTime), durationInSeconds: Math.round((p.endTime.getTime() - p.startTime.getTime()) / 1000) } : {}),
        ...(p.contexts ? { contexts: p.contexts } : {}),
      })),
      source: { type: 'CODEPIPELINE', buildspec: 'buildspec.yml', insecureSsl: false },
      artifacts: { location: '' },
      environment: { type: 'LINUX_CONTAINER', image: 'aws/codebuild/standard:7.0', computeType: 'BUILD_GENERAL1_SMALL', environmentVariables: [], privilegedMode: true, imagePullCredentialsType: 'CODEBUILD' },
      serviceRole: `arn:aws:iam::${accountId}:role/codebuild-${b.projectName}`,
      logs: {
        ...(b.logs ? { groupName: b.logs.groupName, streamName: b.logs.streamName } : {}),
        deepLink: b.logs
          ? `https://console.aws.amazon.com/cloudwatch/home?region=${region}#logEvent:group=${encodeURIComponent(b.logs.groupName)};stream=${b.logs.streamName}`
          : `https://console.aws.amazon.com/cloudwatch/home?region=${region}#logEvent:group=null;stream=null`,
        ...(streamArn ? { cloudWatchLogsArn: streamArn } : {}),
        cloudWatchLogs: { status: 'ENABLED' },
        s3Logs: { status: 'DISABLED', encryptionDisabled: false },
      },
      timeoutInMinutes: 60,
      queuedTimeoutInMinutes: 480,
      buildComplete: b.buildStatus !== 'IN_PROGRESS',
      initiator: b.initiator,
      encryptionKey: `arn:aws:kms:${region}:${accountId}:alias/aws/s3`,
    };
  };

  const page = <T>(items: T[], token: unknown) => {
    const offset = decodeToken(token);
    if (offset === undefined) throw new ApiError('InvalidInputException', 'Invalid pagination token');
    const slice = items.slice(offset, offset + pageSize);
    return { slice, nextToken: offset + pageSize < items.length ? encodeToken(offset + pageSize) : undefined };
  };

  const startBuild = (input: StartBuildInput): string => {
    const project = projects.get(input.project);
    if (!project) throw new ApiError('ResourceNotFoundException', `Project cannot be found: ${projectArn(input.project)}`);
    const at = input.at ?? now();
    const uuid = randomUUID();
    const b: BuildState = {
      id: `${project.name}:${uuid}`,
      buildNumber: project.builds.length + 1,
      projectName: project.name,
      startTime: at,
      buildStatus: 'IN_PROGRESS',
      sourceVersion: input.sourceVersion ?? 'arn:aws:s3:::pipeline-artifacts/' + project.name + '/SourceArti/' + uuid.slice(0, 7),
      initiator: input.initiator ?? `codepipeline/${project.name}`,
      phases: [
        { phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED', startTime: at, endTime: at },
        { phaseType: 'QUEUED', phaseStatus: 'SUCCEEDED', startTime: at, endTime: at },
        { phaseType: 'PROVISIONING', startTime: at },
      ],
      logs: input.logs === 'later' ? undefined : (input.logs ?? { groupName: project.logGroup, streamName: uuid }),
    };
    project.builds.push(b);
    builds.set(b.id, b);
    return b.id;
  };

  const finishBuild = (id: string, input: FinishBuildInput) => {
    const b = mustBuild(id);
    if (b.buildStatus !== 'IN_PROGRESS') throw new Error(`codebuild emulator: build ${id} already ended (${b.buildStatus})`);
    const at = input.at ?? now();
    if (input.failedPhase && input.status !== 'SUCCEEDED' && openPhase(b)?.phaseType !== input.failedPhase) emulator.enterPhase(id, input.failedPhase, at);
    const current = openPhase(b);
    const context =
      input.status === 'SUCCEEDED'
        ? undefined
        : { statusCode: input.statusCode ?? (input.status === 'FAILED' ? 'COMMAND_EXECUTION_ERROR' : input.status), message: input.message ?? (input.status === 'FAILED' ? 'Error while executing command: make build. Reason: exit status 2' : `Build ${input.status.toLowerCase().replace('_', ' ')}`) };
    if (current) closePhase(current, at, input.status === 'SUCCEEDED' ? 'SUCCEEDED' : input.status, context);
    // CodeBuild still finalizes a failed build (FINALIZING), and always ends with an open COMPLETED.
    if (current?.phaseType !== 'FINALIZING') b.phases.push({ phaseType: 'FINALIZING', phaseStatus: 'SUCCEEDED', startTime: at, endTime: at });
    b.phases.push({ phaseType: 'COMPLETED', startTime: at });
    b.buildStatus = input.status;
    b.endTime = at;
  };

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    ListProjects: (body) => {
      const names = [...projects.keys()].sort();
      if (body.sortOrder === 'DESCENDING') names.reverse();
      const { slice, nextToken } = page(names, body.nextToken);
      return { projects: slice, ...(nextToken ? { nextToken } : {}) };
    },
    ListBuildsForProject: (body) => {
      const name = body.projectName;
      if (typeof name !== 'string' || name === '') throw new ApiError('InvalidInputException', 'Project name is required');
      const project = projects.get(name);
      if (!project) throw new ApiError('ResourceNotFoundException', `The provided project ${projectArn(name)} does not exist`);
      // AWS: newest first unless asked; sorting a project with more than 100 builds is refused.
      if (body.sortOrder !== undefined && project.builds.length > pageSize) throw new ApiError('InvalidInputException', 'Sort order cannot be specified for projects with more than 100 builds');
      // In start order, as build numbers go (fixtures may seed a build in the past after a newer one).
      const ids = [...project.builds].sort((a, b) => a.startTime.getTime() - b.startTime.getTime()).map((b) => b.id);
      if (body.sortOrder !== 'ASCENDING') ids.reverse();
      const { slice, nextToken } = page(ids, body.nextToken);
      return { ids: slice, ...(nextToken ? { nextToken } : {}) };
    },
    ListBuilds: (body) => {
      const all = [...builds.values()].sort((a, b) => a.startTime.getTime() - b.startTime.getTime()).map((b) => b.id);
      if (body.sortOrder !== 'ASCENDING') all.reverse();
      const { slice, nextToken } = page(all, body.nextToken);
      return { ids: slice, ...(nextToken ? { nextToken } : {}) };
    },
    BatchGetBuilds: (body) => {
      const ids = body.ids;
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100) throw new ApiError('InvalidInputException', 'ids must hold between 1 and 100 build ids');
      const found: Record<string, unknown>[] = [];
      const notFound: string[] = [];
      for (const id of ids) {
        if (typeof id !== 'string' || !id.includes(':')) throw new ApiError('InvalidInputException', `Invalid build ID provided: ${String(id)}`);
        const b = builds.get(id);
        if (b) found.push(buildJson(b));
        else notFound.push(id);
      }
      return { builds: found, buildsNotFound: notFound };
    },
    StartBuild: (body) => {
      if (typeof body.projectName !== 'string') throw new ApiError('InvalidInputException', 'Project name is required');
      const id = startBuild({ project: body.projectName, sourceVersion: typeof body.sourceVersion === 'string' ? body.sourceVersion : undefined, initiator: 'sgn-emulator' });
      return { build: buildJson(mustBuild(id)) };
    },
    StopBuild: (body) => {
      const b = typeof body.id === 'string' ? builds.get(body.id) : undefined;
      if (!b) throw new ApiError('ResourceNotFoundException', `Build ${String(body.id)} does not exist`);
      if (b.buildStatus === 'IN_PROGRESS') finishBuild(b.id, { status: 'STOPPED', message: 'Build was stopped' });
      return { build: buildJson(b) };
    },
  };

  const api = jsonApi({ target, service: 'codebuild', name: 'CodeBuild', region, accountId, resource: `arn:aws:codebuild:${region}:${accountId}:project/*`, operations });

  const emulator: CodebuildEmulator = {
    region,
    accountId,
    answered: (operation) => api.answered(operation),
    handle: (req, res) => api.handle(req, res),
    createProject(name, o = {}) {
      if (projects.has(name)) return;
      projects.set(name, { name, created: o.created ?? now(), logGroup: o.logGroup ?? `/aws/codebuild/${name}`, builds: [] });
    },
    startBuild: (input) => {
      try {
        return startBuild(input);
      } catch (e) {
        throw e instanceof ApiError ? new Error(`codebuild emulator: ${e.message}`) : e;
      }
    },
    enterPhase(id, phase, at = now()) {
      const b = mustBuild(id);
      const current = openPhase(b);
      if (current) closePhase(current, at, 'SUCCEEDED');
      b.phases.push({ phaseType: phase, startTime: at });
    },
    setLogs(id, logs) {
      mustBuild(id).logs = { ...logs };
    },
    finishBuild,
    describeBuild: (id) => {
      const b = builds.get(id);
      return b ? buildJson(b) : undefined;
    },
    injectFault: (operation, fault, times) => api.injectFault(operation, fault, times),
    denyAccess: (operation, times) => api.denyAccess(operation, times),
    reset() {
      projects.clear();
      builds.clear();
      api.reset();
    },
  };
  return emulator;
}

export type { EmulatorServer };

/**
 * Serves an emulator on its own loopback port (tests, the bench). The sandbox instead mounts
 * `emulator.handle` in its long-lived emulator process next to the deployer emulator.
 */
export function serveCodebuildEmulator(emulator: CodebuildEmulator, opts: { port?: number; host?: string } = {}): Promise<EmulatorServer> {
  return serveEmulator((req, res) => emulator.handle(req, res), 'not a CodeBuild request', opts);
}
