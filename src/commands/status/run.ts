import { setTimeout as delay } from 'node:timers/promises';
import type { Context } from '../../context.js';
import { codePipelineApi } from '../../aws/codepipeline.js';
import { dynamoApi } from '../../aws/dynamodb.js';
import { ExitCode } from '../../errors.js';
import { resolveProject } from '../../services/logs/project.js';
import { pipelineStatus, type StatusDeps } from '../../services/status/status.js';
import { watchPipeline } from '../../services/status/watch.js';
import type { StatusCommandOptions } from './index.js';
import { renderStatus } from './render.js';
import { watchPrinter } from './watch-render.js';

/** Builds the narrow deps of the status services from the run's context. */
async function statusDeps(ctx: Context): Promise<StatusDeps> {
  const aws = await ctx.aws();
  const [codepipeline, db, region] = await Promise.all([codePipelineApi(aws), dynamoApi(aws), aws.region().catch(() => undefined)]);
  return {
    codepipeline,
    db,
    settings: ctx.settings(),
    now: () => ctx.now(),
    signal: ctx.signal,
    sleep: (ms, signal) => delay(ms, undefined, { signal }),
    onRetry: (m) => ctx.debug(m),
    region,
  };
}

/** `sgn status`: one screen, or --watch; returns the exit code. */
export async function runStatus(ctx: Context, opts: StatusCommandOptions): Promise<number> {
  const project = await resolveProject(opts.project, { cwd: ctx.cwd, env: ctx.env, debug: (m) => ctx.debug(m), command: 'status' });
  const deps = await statusDeps(ctx);
  const { io } = ctx;
  if (!opts.watch) {
    const model = await pipelineStatus(deps, { project, limit: opts.limit });
    if (opts.json) io.json(model);
    else io.write(renderStatus(model, { width: io.stdoutIsTTY ? io.columns : 80, paint: io.out }));
    for (const note of model.notes) io.warn(note);
    return ExitCode.ok;
  }
  // Under --json the changes go to stderr as lines, and the final execution to stdout.
  const target = opts.json ? io.streams.stderr : io.streams.stdout;
  const tty = opts.json ? io.stderrIsTTY : io.stdoutIsTTY;
  const print = watchPrinter(target, { tty, columns: () => target.columns ?? 80, paint: opts.json ? io.err : io.out, intervalMs: opts.intervalMs });
  const result = await watchPipeline(
    { ...deps, onUpdate: print, onWaiting: (m) => io.info(io.err.dim(m)) },
    { project, wait: opts.wait, intervalMs: opts.intervalMs },
  );
  if (opts.json) io.json(result);
  return opts.exitStatus && !result.ok ? ExitCode.failure : ExitCode.ok;
}
