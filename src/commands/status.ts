import { defineCommand, flagReader, type Flags } from '../cli/define.js';
import { ExitCode, UsageError } from '../errors.js';
import { validateName } from '../names.js';
import type { StatusModel } from '../services/status/model.js';
import type { WatchResult } from '../services/status/watch.js';

/** What `sgn status` was asked, validated. */
export interface StatusCommandOptions {
  /** Absent: the git remote's repository name. */
  project?: string;
  limit: number;
  watch: boolean;
  wait: boolean;
  exitStatus: boolean;
  intervalMs: number;
  json: boolean;
}

/** The screen's model, or (with --watch) how the watched execution ended. */
export type StatusResult = StatusModel | WatchResult;

export const isWatchResult = (r: StatusResult): r is WatchResult => 'ok' in r;

const intOf = (v: unknown) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN);

export function parseStatus(args: string[], flags: Flags): StatusCommandOptions {
  const [project] = args;
  if (project !== undefined) validateName(project, 'project');
  const f = flagReader(flags);
  const limit = f.string('limit') === undefined ? 5 : intOf(flags.limit);
  if (!(limit >= 1 && limit <= 100)) throw new UsageError(`--limit takes a number of executions from 1 to 100, not "${String(flags.limit)}".`, 'Example: sgn status web --limit 10');
  const interval = f.string('interval') === undefined ? 2 : Number(flags.interval);
  if (!(interval >= 1 && interval <= 300)) throw new UsageError(`--interval takes seconds from 1 to 300, not "${String(flags.interval)}".`, 'Example: sgn status web --watch --interval 5');
  const wait = f.boolean('wait');
  const watch = f.boolean('watch') || wait;
  if (f.boolean('exitStatus') && !watch) throw new UsageError('--exit-status follows the result of a watched execution: add --watch (or --wait).', 'sgn status web --watch --exit-status');
  if (flags.interval !== undefined && !watch) throw new UsageError('--interval sets how often --watch looks: add --watch.', 'sgn status web --watch --interval 5');
  return { project, limit, watch, wait, exitStatus: f.boolean('exitStatus'), intervalMs: Math.round(interval * 1000), json: f.boolean('json') };
}

const exitOf = (result: StatusResult, opts: StatusCommandOptions) => (opts.exitStatus && isWatchResult(result) && !result.ok ? ExitCode.failure : ExitCode.ok);

export const statusCommand = defineCommand<StatusCommandOptions, StatusResult>({
  name: 'status',
  arguments: '[project]',
  summary: "a project's pipeline on one screen: executions, stages, what runs where",
  // One paragraph per line: commander wraps each at word boundaries for the terminal's width.
  description: [
    "The project's CodePipeline on one screen: its newest executions (commit, when, each stage with its status and duration, why a stage failed and the command that shows more), what each environment runs and whether it waits for promotion, and the integration-test result of the tag staging runs. The project is the argument, else the repository name of the git remote \"origin\". Pipeline and stage names come from the settings pipeline, buildStage, deployStage and integrationStage.",
    'With --watch it follows the running execution stage by stage until it ends (--wait: the next one), redrawn in place on a terminal and one line per change when piped; --exit-status makes the exit code 0 only when the execution Succeeded.',
  ].join('\n\n'),
  examples: [
    'sgn status web',
    'sgn status                                  # the project of this git repository',
    'sgn status web --watch --exit-status && sgn deploy web production',
    'sgn status web --wait                       # follow the next execution after a push',
    'sgn status web --limit 10 --json | jq \'.executions[] | select(.status == "Failed") | .commit.sha\'',
    'sgn --sandbox status worker                 # staging runs a tag whose integration tests failed',
  ],
  options: (cmd) => {
    cmd.option('-L, --limit <n>', 'how many executions, newest first (default 5)');
    cmd.option('-w, --watch', 'follow the running execution until it ends');
    cmd.option('--wait', 'with no execution running, wait for the next one and follow it');
    cmd.option('--exit-status', 'with --watch: exit 1 unless the execution Succeeded');
    cmd.option('-i, --interval <seconds>', 'with --watch: seconds between two looks (default 2)');
  },
  json: true,
  parse: parseStatus,
  execute: async (ctx, opts) => {
    const [{ resolveProject }, { pipelineStatus }, { watchPipeline }, { setTimeout: delay }] = await Promise.all([
      import('../services/logs/project.js'),
      import('../services/status/status.js'),
      import('../services/status/watch.js'),
      import('node:timers/promises'),
    ]);
    const project = await resolveProject(opts.project, { cwd: ctx.cwd, processes: () => ctx.processes(), debug: (m) => ctx.debug(m), command: 'status' });
    const { api, io } = ctx;
    const [codepipeline, db, region] = await Promise.all([api.codepipeline(), api.dynamo(), api.region().catch(() => undefined)]);
    const deps = {
      codepipeline,
      db,
      settings: ctx.settings(),
      now: ctx.now,
      signal: ctx.signal,
      sleep: (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }),
      onRetry: (m: string) => ctx.debug(m),
      region,
    };
    if (!opts.watch) return pipelineStatus(deps, { project, limit: opts.limit });
    // Under --json the changes go to stderr as lines, and how the execution ended to stdout.
    const { watchPrinter } = await import('./render/status-watch.js');
    const target = opts.json ? io.streams.stderr : io.streams.stdout;
    const print = watchPrinter(target, { tty: opts.json ? io.stderrIsTTY : io.stdoutIsTTY, columns: () => target.columns ?? 80, paint: opts.json ? io.err : io.out, intervalMs: opts.intervalMs });
    return watchPipeline({ ...deps, onUpdate: print, onWaiting: (m) => io.info(io.err.dim(m)) }, { project, wait: opts.wait, intervalMs: opts.intervalMs });
  },
  render: async (ctx, result, opts) => {
    if (!isWatchResult(result)) {
      const { renderStatus } = await import('./render/status.js');
      ctx.io.write(renderStatus(result, { width: ctx.io.stdoutIsTTY ? ctx.io.columns : 80, paint: ctx.io.out }));
      for (const note of result.notes) ctx.io.warn(note);
    }
    return exitOf(result, opts);
  },
  exitCode: exitOf,
});
