import type { Reporter } from '../../io.js';
import type { CodeBuildApi } from '../../aws/codebuild.js';
import type { LogsApi } from '../../aws/logs.js';
import { fillPattern, type Settings } from '../../settings/schema.js';
import { ExitCode, InterruptedError, SgnError, UsageError } from '../../errors.js';
import { filterReader, streamReader, type DrainResult, type LogReader, type LogTarget, type ReaderDeps } from './reader.js';
import { buildNotFound, closeNames, describeBuild, describeEnding, failedPhase, getBuild, isEnded, latestBuildId, listProjectNames, ProjectNotFound, type Build } from './builds.js';
import { PipeClosed } from './output.js';
import { lastEvents, phaseSelector } from './select.js';
import type { LogEvent } from './reader.js';

export interface LogsTailOptions {
  /** sgn's project name (argument or git remote); absent only with a full --build id. */
  project?: string;
  /** --build: `<codebuild project>:<uuid>` or the UUID part. */
  build?: string;
  since?: Date;
  filter?: string;
  follow: boolean;
  wait: boolean;
  exitStatus: boolean;
  /** --failed: only the lines of the phase that failed. */
  failed?: boolean;
  /** -n/--tail: only the last N lines. */
  tail?: number;
}

/** What tailing needs from the outside world; tests pass fakes. */
export interface TailDeps extends ReaderDeps {
  codebuild: CodeBuildApi;
  logs: LogsApi;
  /** Messages for people (which build, waiting, how it ended). */
  report: Reporter;
  /** Where the log lines go, a page at a time; waits while the reader is slow (back-pressure). */
  lines(events: LogEvent[], build: string): Promise<void>;
  settings: Settings;
  now(): Date;
  debug(message: string): void;
  /** The region, for messages (undefined when unknown). */
  region(): Promise<string | undefined>;
  /** Milliseconds between two looks at a followed build. */
  pollMs: number;
}

/** Default follow poll: new lines show within about a second, at one GetLogEvents call a second. */
export const defaultPollMs = 1000;

/** How a tail ended: the build, its status, and the exit code it means. */
export interface TailResult {
  build: string;
  status: string;
  ended: boolean;
  exitCode: number;
}

/** `sgn logs tail`: finds the build, hands its log lines on in order; with follow, until it ends. */
export async function tailBuildLogs(deps: TailDeps, opts: LogsTailOptions): Promise<TailResult> {
  let build: Build | undefined;
  const result = (b: Build, exitCode: number): TailResult => ({ build: b.id ?? '?', status: b.buildStatus ?? 'UNKNOWN', ended: isEnded(b), exitCode });
  // --failed and --tail read their part of the log their own way; the rest reads from the start.
  const reader = opts.failed || opts.tail !== undefined ? undefined : logReader(deps, opts);
  try {
    build = await findBuild(deps, opts, reader);
    return result(build, reader ? await printBuild(deps, opts, build, reader) : await printSelected(deps, opts, build));
  } catch (e) {
    if (e instanceof PipeClosed) return { build: build?.id ?? '?', status: build?.buildStatus ?? 'UNKNOWN', ended: build ? isEnded(build) : false, exitCode: ExitCode.ok };
    if (deps.signal.aborted) {
      throw new InterruptedError(build && opts.follow && !isEnded(build) ? `Stopped following build ${build.id}; the build itself keeps running.` : 'Interrupted.');
    }
    throw e;
  }
}

const codebuildName = (settings: Settings, project: string) => fillPattern(settings.codebuildProject, { project });
const logGroupOf = (settings: Settings, project: string) => fillPattern(settings.logGroup, { project });

/** The sgn project of a CodeBuild project name, through the codebuildProject pattern (`{project}-build`). */
function projectOfCodebuildName(pattern: string, name: string): string {
  const [pre, suf = ''] = pattern.split('{project}');
  return pattern.includes('{project}') && name.length > pre.length + suf.length && name.startsWith(pre) && name.endsWith(suf) ? name.slice(pre.length, name.length - suf.length) : name;
}

function logReader(deps: TailDeps, opts: LogsTailOptions): LogReader {
  const startTime = opts.since?.getTime();
  return opts.filter ? filterReader(deps.logs, { startTime, pattern: opts.filter }, deps) : streamReader(deps.logs, { startTime }, deps);
}

/**
 * While CodeBuild is asked about a build, its log's first page is asked for too, where a build
 * with CodeBuild's default log settings writes it (the logGroup setting, the id's UUID part):
 * the first line comes one round trip sooner. A build that logs elsewhere costs one request.
 */
function readAhead(deps: TailDeps, reader: LogReader | undefined, project: string | undefined, id: string): void {
  if (!reader?.prefetch || project === undefined) return;
  reader.prefetch({ group: logGroupOf(deps.settings, project), stream: id.slice(id.indexOf(':') + 1) });
}

async function findBuild(deps: TailDeps, opts: LogsTailOptions, reader?: LogReader): Promise<Build> {
  const { settings } = deps;
  const fullId = opts.build?.includes(':') ? opts.build : undefined;
  const cbProject = opts.project !== undefined ? codebuildName(settings, opts.project) : fullId!.slice(0, fullId!.indexOf(':'));
  if (opts.build) {
    const id = fullId ?? `${cbProject}:${opts.build}`;
    const owner = id.slice(0, id.indexOf(':'));
    if (owner !== cbProject) throw new UsageError(`Build ${id} belongs to CodeBuild project ${owner}, not ${cbProject}.`, 'Drop the project argument, or pass a build of that project.');
    readAhead(deps, reader, opts.project ?? owner, id);
    const b = await getBuild(deps.codebuild, id, deps);
    if (!b) throw buildNotFound(id, await deps.region());
    return b;
  }
  const project = opts.project!;
  let latest: Build | undefined;
  try {
    const id = await latestBuildId(deps.codebuild, cbProject, deps);
    if (id && !opts.wait) readAhead(deps, reader, project, id);
    latest = id ? await getBuild(deps.codebuild, id, deps) : undefined;
  } catch (e) {
    if (e instanceof ProjectNotFound) throw await unknownProject(deps, project, cbProject);
    throw e;
  }
  if (opts.wait && (!latest || isEnded(latest))) return waitForNextBuild(deps, cbProject, latest);
  if (!latest) {
    throw new SgnError(`CodeBuild project ${cbProject} has no builds yet (its log group is ${logGroupOf(settings, project)}).`, {
      hint: `Start one from the pipeline, or wait for it: \`sgn logs tail ${project} --wait\`.`,
    });
  }
  return latest;
}

async function unknownProject(deps: TailDeps, project: string, cbProject: string): Promise<SgnError> {
  const region = await deps.region();
  const names = await listProjectNames(deps.codebuild, deps);
  const pattern = deps.settings.codebuildProject;
  const asProjects = (names ?? []).map((n) => projectOfCodebuildName(pattern, n));
  const close = closeNames(project, asProjects);
  const where = `${region ? ` in ${region}` : ''} (${cbProject === project ? '' : `for project ${project}, `}log group ${logGroupOf(deps.settings, project)})`;
  const message = `No CodeBuild project named ${cbProject}${where}.`;
  let hint: string;
  if (close.length) hint = `Close names that exist: ${close.join(', ')}.`;
  else if (names === undefined) hint = 'sgn may not list CodeBuild projects (codebuild:ListProjects) to suggest names; check the name and the codebuildProject setting.';
  else if (names.length === 0) hint = 'There are no CodeBuild projects in this region; check --region or the AWS profile.';
  else hint = `No project name is close; \`aws codebuild list-projects\` lists all ${names.length}. If CodeBuild projects are named differently, set codebuildProject (e.g. {project}-build).`;
  return new SgnError(message, { hint });
}

async function waitForNextBuild(deps: TailDeps, cbProject: string, latest: Build | undefined): Promise<Build> {
  deps.report.emit({ level: 'info', code: 'logs.wait-build', message: `Waiting for the next build of ${cbProject}${latest ? ` (latest: ${describeBuild(latest, deps.now()).replace(/\.$/, '')})` : ''}; Ctrl-C to stop.` });
  for (;;) {
    await deps.sleep(deps.pollMs, deps.signal);
    const id = await latestBuildId(deps.codebuild, cbProject, deps);
    if (id && id !== latest?.id) {
      const b = await getBuild(deps.codebuild, id, deps);
      if (b) return b;
    }
  }
}

/** Where a build's log is: as the build reports it, else the logGroup setting and the build id's UUID part. */
export function logTarget(b: Build, settings: Settings, project: string): LogTarget {
  const logs = b.logs;
  if (logs?.cloudWatchLogs?.status === 'DISABLED') {
    throw new SgnError(`Build ${b.id} does not send its log to CloudWatch Logs${logs.s3Logs?.status === 'ENABLED' ? ' (only to S3)' : ''}.`, {
      hint: logs.s3DeepLink ? `Its log is in S3: ${logs.s3DeepLink}` : "Enable CloudWatch Logs in the CodeBuild project's logsConfig.",
    });
  }
  const id = b.id ?? '';
  return { group: logs?.groupName ?? logGroupOf(settings, project), stream: logs?.streamName ?? id.slice(id.indexOf(':') + 1) };
}

/** The messages of a tail: `logs.build`/`logs.waiting` are context (dim), the ending success/warn/error. */
function say(deps: TailDeps, level: 'info' | 'warn' | 'success' | 'error', code: string, message: string): void {
  deps.report.emit({ level, code, message });
}

async function printBuild(deps: TailDeps, opts: LogsTailOptions, first: Build, reader: LogReader): Promise<number> {
  let build = first;
  const id = build.id!;
  const project = opts.project ?? build.projectName ?? id.slice(0, id.indexOf(':'));
  let printed = 0;
  const emit = (events: LogEvent[]) => {
    printed += events.length;
    return deps.lines(events, id);
  };

  let ended = isEnded(build);
  let target = logTarget(build, deps.settings, project);
  say(deps, 'info', 'logs.build', describeBuild(build, deps.now()) + (opts.follow && ended ? ' Nothing to follow; --wait waits for the next build.' : ''));
  deps.debug(`reading ${target.group} ${target.stream}${opts.filter ? ` with filter ${opts.filter}` : ''}`);

  // A build that ended a while ago has all its lines stored; one that just ended gets a second look.
  let lastLook = !opts.follow || (ended && deps.now().getTime() - (build.endTime?.getTime() ?? 0) > 60_000);
  let saidWaiting = false;
  let result: DrainResult;
  for (;;) {
    result = await reader.drain(target, emit);
    if (!opts.follow) break;
    if (result.missing && !ended && !saidWaiting) {
      say(deps, 'info', 'logs.waiting', `Waiting for the log stream ${target.group} ${target.stream} to appear...`);
      saidWaiting = true;
    }
    if (ended) {
      if (lastLook) break;
      // CloudWatch can show a build's last lines a moment after CodeBuild records its end.
      lastLook = true;
      await deps.sleep(deps.pollMs, deps.signal);
      continue;
    }
    if (result.events === 0) {
      // The status is read before the next drain, so every line written before the build ended
      // is printed before sgn says it ended. A busy stream needs no status check yet.
      build = (await getBuild(deps.codebuild, id, deps)) ?? build;
      ended = isEnded(build);
      target = logTarget(build, deps.settings, project);
      if (ended) continue;
    }
    await deps.sleep(deps.pollMs, deps.signal);
  }

  if (result.missing) {
    if (ended) say(deps, 'warn', 'logs.no-log', `Build ${id} left no log in ${target.group} ${target.stream}.`);
    else say(deps, 'info', 'logs.no-log-yet', `Build ${id} has not written its log yet; follow it with -f.`);
  }
  if (printed === 0 && !result.missing && (opts.filter || opts.since)) {
    say(deps, 'info', 'logs.no-lines', `No lines${opts.filter ? ` match ${opts.filter}` : ''}${opts.since ? ` since ${opts.since.toISOString()}` : ''}.`);
  }
  if (!ended && result.missing) return ExitCode.ok;
  return sayEnding(deps, opts, build);
}

/** Says how a build ended (or that it runs) and returns the exit code, as the plain tail does. */
function sayEnding(deps: TailDeps, opts: LogsTailOptions, build: Build): number {
  if (!isEnded(build)) {
    say(deps, 'info', 'logs.build', `${describeBuild(build, deps.now())} Follow it with -f.`);
    return ExitCode.ok;
  }
  const ending = describeEnding(build);
  say(deps, ending.ok ? 'success' : build.buildStatus === 'STOPPED' ? 'warn' : 'error', 'logs.ended', ending.text);
  return opts.exitStatus && !ending.ok ? ExitCode.failure : ExitCode.ok;
}

/**
 * --failed and -n/--tail: a part of the log, read without following. --failed reads from the
 * failed phase's start and keeps that phase's lines (the agent's "Entering phase" to "Phase
 * complete" and its context; by the phase's times when a log has no such lines). --tail reads
 * the last N lines from the end of the stream, backwards, not the whole log.
 */
async function printSelected(deps: TailDeps, opts: LogsTailOptions, build: Build): Promise<number> {
  const id = build.id!;
  const project = opts.project ?? build.projectName ?? id.slice(0, id.indexOf(':'));
  const target = logTarget(build, deps.settings, project);
  say(deps, 'info', 'logs.build', describeBuild(build, deps.now()));
  let events: LogEvent[] = [];
  let missing = false;
  if (opts.failed) {
    const phase = failedPhase(build);
    if (!phase?.phaseType) {
      if (!isEnded(build)) say(deps, 'info', 'logs.failed.none-yet', `Build ${id} is still running and no phase has failed yet; follow it with -f.`);
      else say(deps, 'info', 'logs.failed.none', `No phase of build ${id} failed.`);
      return sayEnding(deps, opts, build);
    }
    const from = phase.startTime ? phase.startTime.getTime() - 2000 : undefined;
    const until = (phase.endTime?.getTime() ?? Infinity) + 2000;
    const selector = phaseSelector(phase.phaseType);
    const byTime: LogEvent[] = [];
    const reader = streamReader(deps.logs, { startTime: from }, deps);
    const result = await reader.drain(target, async (page) => {
      events.push(...selector.take(page));
      // A log without the agent's phase lines: the phase's time range instead.
      if (!selector.seen) byTime.push(...page.filter((e) => (e.timestamp ?? 0) >= (from ?? 0) + 2000 && (e.timestamp ?? 0) <= until));
    });
    missing = result.missing;
    if (!selector.seen) events = byTime;
    if (opts.tail !== undefined) events = events.slice(Math.max(0, events.length - opts.tail));
    deps.debug(`phase ${phase.phaseType}: ${events.length} lines${selector.seen ? '' : ' (by time: no "Entering phase" line)'}`);
  } else {
    ({ events, missing } = await lastEvents(deps.logs, target, opts.tail!, deps));
  }
  if (events.length) await deps.lines(events, id);
  if (missing) say(deps, 'warn', 'logs.no-log', `Build ${id} left no log in ${target.group} ${target.stream}.`);
  return sayEnding(deps, opts, build);
}
