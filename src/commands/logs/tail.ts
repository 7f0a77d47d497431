import { defineCommand, type Flags } from '../../cli/define.js';
import { UsageError } from '../../errors.js';
import type { LogsTailOptions, TailResult } from '../../services/logs/tail.js';
import { parseSince } from '../../time.js';
import { validateName } from '../../names.js';

const buildIdHint = 'A build id is <codebuild project>:<uuid>, as `aws codebuild list-builds-for-project` prints it; the UUID part alone works too.';

/** The tail's options plus how its lines are printed (the service never sees those). */
export interface LogsTailCommandOptions extends LogsTailOptions {
  timestamps: boolean;
  json: boolean;
  /** --since as typed: a duration counts back from the run's clock, so execute resolves it. */
  sinceText?: string;
}

export function parseLogsTail(args: string[], flags: Flags, now: Date = new Date()): LogsTailCommandOptions {
  const [project] = args;
  if (project !== undefined) validateName(project, 'project');
  const build = flags.build as string | undefined;
  if (build !== undefined) {
    const m = /^(?:([A-Za-z0-9][A-Za-z0-9_-]{1,254}):)?([A-Za-z0-9][A-Za-z0-9-]{7,})$/.exec(build.trim());
    if (!m) throw new UsageError(`"${build}" is not a CodeBuild build id.`, buildIdHint);
  }
  let since: Date | undefined;
  if (flags.since !== undefined) {
    since = parseSince(flags.since as string, now);
    if (!since) throw new UsageError(`--since takes a duration such as 10m, 2h or 1d, or an ISO 8601 time; "${flags.since as string}" is neither.`, 'Example: sgn logs tail web --since 30m');
  }
  const filter = flags.filter as string | undefined;
  if (filter !== undefined && filter.trim() === '') throw new UsageError('--filter needs a pattern.', 'Example: sgn logs tail web --filter ERROR (CloudWatch Logs filter syntax).');
  if (flags.json && flags.timestamps) throw new UsageError('--timestamps is for text output; --json already has a timestamp on every line.', 'Drop one of the two flags.');
  if (flags.wait && build !== undefined) throw new UsageError('--wait waits for the next build, and --build names one: use one of them.', 'sgn logs tail web --wait');
  const wait = Boolean(flags.wait);
  let tail: number | undefined;
  if (flags.tail !== undefined) {
    tail = /^\d+$/.test(String(flags.tail).trim()) ? Number(flags.tail) : NaN;
    if (!(tail! >= 1 && tail! <= 1_000_000)) throw new UsageError(`-n/--tail takes a number of lines, not "${String(flags.tail)}".`, 'Example: sgn logs tail web -n 50');
    if (flags.follow || wait) throw new UsageError('-n/--tail prints the end of a build\'s log; it does not follow yet.', 'Drop -f/--wait, or drop -n.');
    if (filter !== undefined || since !== undefined) throw new UsageError('-n/--tail reads the end of the log; --filter and --since choose lines differently.', 'Use one of them.');
  }
  const failed = Boolean(flags.failed);
  if (failed && (flags.follow || wait)) throw new UsageError('--failed prints the failed phase of a build that has ended; it does not follow.', 'Drop -f/--wait: sgn logs tail web --failed');
  if (failed && (filter !== undefined || since !== undefined)) throw new UsageError('--failed chooses the failed phase\'s lines; --filter and --since choose lines differently.', 'Use one of them.');
  return {
    project,
    build: build?.trim(),
    since,
    sinceText: flags.since as string | undefined,
    filter,
    timestamps: Boolean(flags.timestamps),
    json: Boolean(flags.json),
    follow: Boolean(flags.follow) || wait,
    wait,
    exitStatus: Boolean(flags.exitStatus),
    ...(failed ? { failed } : {}),
    ...(tail !== undefined ? { tail } : {}),
  };
}

export const logsTail = defineCommand<LogsTailCommandOptions, TailResult>({
  name: 'tail',
  arguments: '[project]',
  summary: "print or follow a build's log",
  description:
    "Prints the log of a project's latest CodeBuild build (or of --build <id>) from CloudWatch Logs, every line once and in order. The project is the argument, else the repository name of this folder's git remote \"origin\".\n\nWith -f it follows the build until it ends and says how it ended; --exit-status makes the exit code 0 only when the build SUCCEEDED, 1 otherwise.\n\n--failed prints only the lines of the phase that failed, and -n/--tail N the last N lines (of a build that has ended, or so far).",
  examples: [
    'sgn logs tail web',
    'sgn logs tail -f                      # the project of this git repository, until its build ends',
    'sgn logs tail web -f --exit-status && sgn deploy web production',
    'sgn logs tail web --wait              # wait for the next build, then follow it',
    'sgn logs tail web --since 10m --filter ERROR',
    'sgn logs tail web --failed                # only the phase that failed',
    'sgn logs tail web -n 50                   # the last 50 lines',
    'sgn logs tail --build web:0b6e1c52-5d0e-4c6a-9a55-2f1b8f1c8a11 --timestamps',
    "sgn logs tail web --json | jq -r 'select(.message | test(\"npm ERR\")) | .timestamp'",
  ],
  options: (cmd) => {
    cmd.option('-f, --follow', 'keep printing new lines until the build ends');
    cmd.option('--wait', 'when no build is running, wait for the next one and follow it');
    cmd.option('--exit-status', 'exit 1 unless the build SUCCEEDED (with -f: once it ends)');
    cmd.option('-b, --build <id>', 'this build (<project>:<uuid> or the UUID part) instead of the latest');
    cmd.option('--since <when>', 'only lines since a duration ago (30s, 10m, 2h, 1d) or an ISO 8601 time');
    cmd.option('--failed', 'only the lines of the phase that failed (a build that has ended)');
    cmd.option('-n, --tail <lines>', 'only the last <lines> lines');
    cmd.option('--filter <pattern>', 'only lines matching a CloudWatch Logs filter pattern (ERROR, "npm ERR!", ?ERROR ?WARN)');
    cmd.option('-t, --timestamps', 'prefix each line with its time (ISO 8601, UTC)');
    cmd.option('--json', 'one JSON object per line: {"build", "timestamp", "message"}');
  },
  // --json here is a stream of JSON lines, one per log line (not one document): the command owns it.
  parse: (args, flags) => parseLogsTail(args, flags),
  execute: async (ctx, opts) => {
    const [{ tailBuildLogs, defaultPollMs }, { resolveProject }, { formatEvents }, { streamWriter }, { setTimeout: delay }] = await Promise.all([
      import('../../services/logs/tail.js'),
      import('../../services/logs/project.js'),
      import('../render/log-lines.js'),
      import('../../services/logs/output.js'),
      import('node:timers/promises'),
    ]);
    // --since is relative to the run's clock.
    const since = opts.sinceText !== undefined ? parseSince(opts.sinceText, ctx.now()) : undefined;
    const fullBuildId = opts.build?.includes(':');
    const project = opts.project !== undefined || !fullBuildId ? await resolveProject(opts.project, { cwd: ctx.cwd, processes: ctx.processes, debug: (m) => ctx.debug(m) }) : undefined;
    const [codebuild, logs] = await Promise.all([ctx.api.codebuild(), ctx.api.logs()]);
    const { io } = ctx;
    const out = streamWriter(io.streams.stdout);
    return tailBuildLogs(
      {
        codebuild,
        logs,
        report: {
          emit: (e) => (e.code === 'logs.build' || e.code === 'logs.waiting' ? io.info(io.err.dim(e.message)) : io.emit(e)),
          progress: (label) => io.progress(label),
        },
        lines: (events, build) => {
          io.wroteStdout = true;
          return out.write(formatEvents(events, { timestamps: opts.timestamps, json: opts.json, build, color: io.out }));
        },
        settings: ctx.settings(),
        now: ctx.now,
        debug: (m) => ctx.debug(m),
        onRetry: (m) => ctx.debug(m),
        signal: ctx.signal,
        sleep: (ms, signal) => delay(ms, undefined, { signal }),
        region: () => ctx.api.region().catch(() => undefined),
        pollMs: defaultPollMs,
      },
      { ...opts, project, since },
    );
  },
  render: (_ctx, result: TailResult) => result.exitCode,
});
