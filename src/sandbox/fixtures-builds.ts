import type { CloudWatchLogsClient, InputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { CodebuildEmulator, EndStatus, PhaseType } from './codebuild-emulator.js';

/**
 * Builders for CodeBuild builds and their CloudWatch logs, as CodeBuild writes them: one log
 * group per project, one stream per build named after the build id's UUID part. The sandbox
 * seeds its demo builds with these, and the tests build their fixtures with the same code.
 * Logs go to CloudWatch Logs (moto); build state goes to the CodeBuild emulator.
 */
export interface BuildFixtureDeps {
  logs: CloudWatchLogsClient;
  codebuild: CodebuildEmulator;
}

/** The build id's UUID part: CodeBuild's log stream name for the build. */
export function streamNameOf(buildId: string): string {
  return buildId.slice(buildId.indexOf(':') + 1);
}

/** Creates the log group and stream when missing. */
export async function ensureLogStream(logs: CloudWatchLogsClient, group: string, stream: string): Promise<void> {
  const { CreateLogGroupCommand, CreateLogStreamCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  for (const command of [new CreateLogGroupCommand({ logGroupName: group }), new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream })]) {
    try {
      await logs.send(command as never);
    } catch (e) {
      if ((e as Error).name !== 'ResourceAlreadyExistsException') throw e;
    }
  }
}

// PutLogEvents takes at most 10,000 events and 1,048,576 bytes (each event counts 26 bytes more).
const maxBatchEvents = 10_000;
const maxBatchBytes = 1_000_000;

/**
 * Appends lines to a stream in as few PutLogEvents calls as the limits allow. Timestamps start at
 * `start` and grow by `stepMs` per line (CloudWatch orders a stream by timestamp). Returns the
 * timestamp after the last line.
 */
export async function putLogLines(logs: CloudWatchLogsClient, group: string, stream: string, lines: Iterable<string>, opts: { start: Date | number; stepMs?: number }): Promise<number> {
  const { PutLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  let ts = typeof opts.start === 'number' ? opts.start : opts.start.getTime();
  const step = opts.stepMs ?? 1;
  let batch: InputLogEvent[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length) await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: batch }));
    batch = [];
    bytes = 0;
  };
  for (const message of lines) {
    const size = Buffer.byteLength(message) + 26;
    if (batch.length === maxBatchEvents || bytes + size > maxBatchBytes) await flush();
    batch.push({ timestamp: Math.floor(ts), message });
    bytes += size;
    ts += step;
  }
  await flush();
  return ts;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** CodeBuild's agent prefix: `[Container] 2024/05/01 12:00:00.123456 `. */
export function containerPrefix(at: Date): string {
  return `[Container] ${at.getUTCFullYear()}/${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}.${pad(at.getUTCMilliseconds(), 3)}000 `;
}

const workPhases: PhaseType[] = ['DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING'];

/** Line i of n of a phase's command output (what a Docker build prints, roughly). */
function phaseLine(phase: PhaseType, project: string, i: number, n: number): string {
  switch (phase) {
    case 'DOWNLOAD_SOURCE':
      return `Downloading source part ${i + 1}`;
    case 'INSTALL':
      return `added ${40 + i} packages in ${(1 + i / 10).toFixed(1)}s`;
    case 'PRE_BUILD':
      return `Login to ECR ${i === 0 ? 'Succeeded' : 'cached'}`;
    case 'BUILD':
      return `Step ${i + 1}/${n} : RUN make ${project} # ${'='.repeat(i % 30)}`;
    case 'POST_BUILD':
      return `pushing layer sha256:${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}`;
    case 'UPLOAD_ARTIFACTS':
      return 'Uploading deployspec.yml and deploy/';
    default:
      return 'Cleaning up';
  }
}

export interface FinishedBuildInput {
  project: string;
  status: EndStatus;
  startedAt: Date;
  /** Lines of command output per phase (the agent's own lines come on top). Default 20. */
  linesPerPhase?: number;
  /** The phase that fails, for a non-SUCCEEDED build. Default BUILD. */
  failedPhase?: PhaseType;
  /** Milliseconds between two lines. Default 250. */
  stepMs?: number;
}

/**
 * A finished build with its whole log, as CodeBuild leaves it: phases with times, the
 * agent's "Entering phase"/"Phase complete" lines, and the failed phase's context.
 * Returns the build id.
 */
export async function seedFinishedBuild(deps: BuildFixtureDeps, input: FinishedBuildInput): Promise<string> {
  const { codebuild, logs } = deps;
  const step = input.stepMs ?? 250;
  const per = input.linesPerPhase ?? 20;
  const failedPhase = input.status === 'SUCCEEDED' ? undefined : (input.failedPhase ?? 'BUILD');
  codebuild.createProject(input.project);
  let t = input.startedAt.getTime();
  const id = codebuild.startBuild({ project: input.project, at: new Date(t) });
  const { groupName, streamName } = codebuild.describeBuild(id)!.logs as { groupName: string; streamName: string };
  await ensureLogStream(logs, groupName, streamName);
  // CodeBuild's log events end with a newline; one line each, `step` ms apart.
  const lines: string[] = [];
  const say = (message: string) => {
    lines.push(message + '\n');
    t += step;
  };
  say(`${containerPrefix(new Date(t))}Waiting for agent ping`);
  for (const phase of workPhases) {
    codebuild.enterPhase(id, phase, new Date(t));
    say(`${containerPrefix(new Date(t))}Entering phase ${phase}`);
    const n = phase === 'BUILD' ? per * 2 : per;
    for (let i = 0; i < n; i++) say(phaseLine(phase, input.project, i, n));
    if (phase === failedPhase) {
      say(`${containerPrefix(new Date(t))}Command did not exit successfully make ${input.project} exit status 2`);
      say(`${containerPrefix(new Date(t))}Phase complete: ${phase} State: FAILED`);
      say(`${containerPrefix(new Date(t))}Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: make ${input.project}. Reason: exit status 2`);
      break;
    }
    say(`${containerPrefix(new Date(t))}Phase complete: ${phase} State: SUCCEEDED`);
  }
  await putLogLines(logs, groupName, streamName, lines, { start: input.startedAt, stepMs: step });
  codebuild.finishBuild(id, {
    status: input.status,
    at: new Date(t),
    ...(failedPhase ? { failedPhase, message: `Error while executing command: make ${input.project}. Reason: exit status 2` } : {}),
  });
  return id;
}

export interface LiveBuildInput {
  project: string;
  /** Milliseconds between two lines. Default 1000. */
  intervalMs?: number;
  /** Lines before the build ends. Default: enough for 10 minutes at the interval. */
  lines?: number;
  /** How the build ends. Default SUCCEEDED. */
  endStatus?: EndStatus;
  /** Text of line i (default: CodeBuild-like output). */
  line?: (i: number, phase: PhaseType) => string;
  /** Creates the log stream only before the first line (CodeBuild creates it while PROVISIONING). */
  streamLater?: boolean;
  /** The project's log group. Default /aws/codebuild/<project>. */
  logGroup?: string;
  /** The first line is written only after this settles (tests: after the CLI first looked). */
  startAfter?: Promise<unknown>;
}

export interface LiveBuild {
  buildId: string;
  /** Every message written so far, in order. */
  written: string[];
  /** Resolves with the end status once the build has ended (or was stopped). */
  done: Promise<EndStatus>;
  /** Stops writing and ends the build as STOPPED (if it is still running). */
  stop(): Promise<void>;
}

/**
 * A build that is still writing: appends one line every `intervalMs` to its stream, moves
 * through the phases as it goes, and after `lines` lines ends the build. Each line is stored in
 * CloudWatch before the next step, and the last line before the build is marked ended, as
 * CodeBuild does. Runs on timers in the calling process (the sandbox's emulator process).
 */
export async function startLiveBuild(deps: BuildFixtureDeps, input: LiveBuildInput): Promise<LiveBuild> {
  const { codebuild, logs } = deps;
  const interval = input.intervalMs ?? 1000;
  const total = input.lines ?? Math.ceil(600_000 / interval);
  const endStatus = input.endStatus ?? 'SUCCEEDED';
  const groupName = input.logGroup ?? `/aws/codebuild/${input.project}`;
  codebuild.createProject(input.project, { logGroup: groupName });
  const id = codebuild.startBuild({ project: input.project, logs: input.streamLater ? 'later' : undefined });
  const streamName = streamNameOf(id);
  if (!input.streamLater) await ensureLogStream(logs, groupName, streamName);
  const written: string[] = [];
  // A failing build fails in BUILD (the usual place); a passing one goes on to UPLOAD_ARTIFACTS.
  const phases = workPhases.slice(0, endStatus === 'SUCCEEDED' ? workPhases.indexOf('FINALIZING') : workPhases.indexOf('BUILD') + 1);
  let i = 0;
  let phaseIndex = -1;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let resolveDone!: (s: EndStatus) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<EndStatus>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  let last = 0;
  const put = async (message: string) => {
    // Timestamps must never go backwards within a stream; two lines in one millisecond stay in order.
    last = Math.max(Date.now(), last + 1);
    await putLogLines(logs, groupName, streamName, [message], { start: last });
    written.push(message);
  };
  const tick = async () => {
    if (stopped) return;
    if (i === 0 && input.streamLater) {
      await ensureLogStream(logs, groupName, streamName);
      codebuild.setLogs(id, { groupName, streamName });
    }
    const want = Math.min(phases.length - 1, Math.floor((i / total) * phases.length));
    while (phaseIndex < want) {
      phaseIndex++;
      codebuild.enterPhase(id, phases[phaseIndex]);
    }
    const phase = phases[phaseIndex];
    await put(input.line ? input.line(i, phase) : `${i % 10 === 0 ? containerPrefix(new Date()) : ''}${phaseLine(phase, input.project, i, total)} (line ${i + 1})\n`);
    i++;
    if (stopped) return;
    if (i >= total) {
      codebuild.finishBuild(id, endStatus === 'SUCCEEDED' ? { status: endStatus } : { status: endStatus, message: `Error while executing command: make ${input.project}. Reason: exit status 2` });
      resolveDone(endStatus);
      return;
    }
    timer = setTimeout(run, interval);
  };
  const run = () => void tick().catch((e) => rejectDone(e));
  if (input.startAfter) void input.startAfter.then(() => (stopped ? undefined : (timer = setTimeout(run, interval))));
  else timer = setTimeout(run, interval);
  return {
    buildId: id,
    written,
    done,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      if (codebuild.describeBuild(id)?.buildStatus === 'IN_PROGRESS') codebuild.finishBuild(id, { status: 'STOPPED', message: 'Build was stopped' });
      resolveDone('STOPPED');
    },
  };
}

export interface DemoBuildsInput {
  projects: string[];
  now?: Date;
  /** The project whose build is still writing. Default: the first project. */
  liveProject?: string;
  /** Minutes the live build writes before it ends. Default 10. */
  liveMinutes?: number;
  /** Seconds between the end of a live build and the start of the next one. Default 30. */
  pauseSeconds?: number;
}

export interface DemoBuilds {
  /** Finished build ids per project, oldest first. */
  finished: Record<string, string[]>;
  /** The id of the live build currently writing (changes as the writer starts new builds). */
  liveBuildId(): string | undefined;
  /** Stops the background writer (the running build ends as STOPPED). */
  stop(): Promise<void>;
}

/**
 * Seeds the sandbox's builds: for each project, finished builds over the last day (one FAILED in
 * BUILD among SUCCEEDED ones), and one build still writing in `liveProject`: a line a second,
 * ending SUCCEEDED after `liveMinutes`; then, after a pause, the next build starts, so that
 * `sgn --sandbox logs tail <project> -f` (and `--wait`) always has something live. Call it in the
 * long-lived emulator process that serves the CodeBuild emulator; `stop()` on shutdown.
 */
export async function seedDemoBuilds(deps: BuildFixtureDeps, input: DemoBuildsInput): Promise<DemoBuilds> {
  const now = (input.now ?? new Date()).getTime();
  const finished: Record<string, string[]> = {};
  const liveProject = input.liveProject ?? input.projects[0];
  for (const [n, project] of input.projects.entries()) {
    const plan: { hoursAgo: number; status: EndStatus }[] = [
      { hoursAgo: 26, status: 'SUCCEEDED' },
      { hoursAgo: 5 + n, status: n % 2 === 0 ? 'FAILED' : 'SUCCEEDED' },
      { hoursAgo: 2 + n / 2, status: 'SUCCEEDED' },
    ];
    finished[project] = [];
    for (const b of plan) {
      finished[project].push(await seedFinishedBuild(deps, { project, status: b.status, startedAt: new Date(now - b.hoursAgo * 3_600_000), linesPerPhase: 15 + ((n * 7) % 20) }));
    }
  }
  let live: LiveBuild | undefined;
  let stopped = false;
  let pause: NodeJS.Timeout | undefined;
  const startNext = async (): Promise<void> => {
    if (stopped || !liveProject) return;
    live = await startLiveBuild(deps, { project: liveProject, intervalMs: 1000, lines: (input.liveMinutes ?? 10) * 60 });
    live.done.then(
      (ended) => {
        if (stopped || ended === 'STOPPED') return;
        pause = setTimeout(() => void startNext().catch(() => undefined), (input.pauseSeconds ?? 30) * 1000);
      },
      () => undefined,
    );
  };
  await startNext();
  return {
    finished,
    liveBuildId: () => live?.buildId,
    stop: async () => {
      stopped = true;
      if (pause) clearTimeout(pause);
      await live?.stop();
    },
  };
}
