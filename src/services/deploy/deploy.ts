import { hostname } from 'node:os';
import type { Context } from '../../context.js';
import type { DynamoApi } from '../../aws/dynamodb.js';
import type { EcrApi } from '../../aws/ecr.js';
import type { LambdaApi } from '../../aws/lambda.js';
import type { StsApi } from '../../aws/sts.js';
import type { IO } from '../../io.js';
import { CancelledError, ConflictError, InterruptedError, SgnError } from '../../errors.js';
import { fillPattern } from '../../settings/schema.js';
import { formatAge, formatDuration } from '../../time.js';
import { getRecord, tableError, type DeployRecord } from '../records.js';
import { InvokeOutcomeUnknownError, invokeDeployer, type InvokeOptions, type InvokeResult } from './invoke.js';
import { acquireDeployLock, describeHolder } from './lock.js';
import { invocationLines, watchDeployerLogs, type DeployerLogsApi } from './logs.js';
import { promotePlan, readPromotion, type DeployOptions, type PromotePlan } from './plan.js';
import { startProgress } from './progress.js';
import { verifyPromotion } from './verify.js';

/** The AWS operations a deploy needs; tests replace the ones an emulator cannot fault on demand. */
export interface DeployDeps {
  db: DynamoApi;
  sts: StsApi;
  ecr: EcrApi;
  /** The long-invoke Lambda client (one attempt, no timeout), built when first needed. */
  lambda: () => Promise<LambdaApi>;
  logs: () => Promise<DeployerLogsApi>;
  region: string;
  /** Backoff sleep between throttled invokes (tests pass a fast one). */
  sleep?: InvokeOptions['sleep'];
}

type Status = 'deployed' | 'up-to-date' | 'dry-run' | 'failed' | 'no-effect';

/** How long `--logs` keeps reading after the invoke returned, for lines CloudWatch has not shown yet. */
const logDrainMs = 5000;
/** Log lines shown from the tail when the deployer fails. */
const tailLines = 25;

/** The real dependencies of a CLI run; the SDK modules load while the first requests are in flight. */
export async function deployDeps(ctx: Context, opts: DeployOptions): Promise<DeployDeps> {
  const aws = await ctx.aws();
  const [{ dynamoApi }, { stsApi }, { ecrApi }] = await Promise.all([import('../../aws/dynamodb.js'), import('../../aws/sts.js'), import('../../aws/ecr.js')]);
  const [db, sts, ecr, region] = await Promise.all([dynamoApi(aws), stsApi(aws), ecrApi(aws), aws.region()]);
  let lambda: Promise<LambdaApi> | undefined;
  const loadLambda = () => (lambda ??= import('../../aws/lambda.js').then((m) => m.lambdaApi(aws, { forLongInvoke: true })));
  if (!opts.dryRun) loadLambda().catch(() => undefined);
  let logs: Promise<DeployerLogsApi> | undefined;
  return { db, sts, ecr, region, lambda: loadLambda, logs: () => (logs ??= import('./logs.js').then((m) => m.deployerLogsApi(aws))) };
}

/** `sgn deploy <project> <env>`. */
export async function deploy(ctx: Context, opts: DeployOptions): Promise<number> {
  return runDeploy(ctx, opts, await deployDeps(ctx, opts));
}

function recordJson(r: DeployRecord | undefined) {
  return r ? { tag: r.tag ?? null, deployed: r.deployedAt?.toISOString() ?? null, deployedRaw: r.deployedRaw ?? null } : null;
}

function resultJson(plan: PromotePlan, status: Status, extra: { invoke?: InvokeResult; durationMs?: number; current?: DeployRecord; error?: { message: string; type?: string } } = {}) {
  return {
    status,
    project: plan.project,
    from: plan.from,
    to: plan.to,
    tag: plan.source.tag,
    previous: recordJson(plan.target),
    current: recordJson(extra.current ?? (status === 'up-to-date' ? plan.target : undefined)),
    function: plan.functionName,
    requestId: extra.invoke?.requestId ?? null,
    durationMs: extra.durationMs === undefined ? null : Math.round(extra.durationMs),
    caller: plan.caller.arn,
    image: { uri: plan.image.uri, status: plan.image.status },
    payload: plan.payload,
    ...(extra.error ? { error: extra.error } : {}),
  };
}

/** The plan, for people, on stderr. */
function printPlan(io: IO, plan: PromotePlan, region: string, now: Date): void {
  const c = io.err;
  const row = (k: string, v: string) => io.info(`  ${c.dim(k.padEnd(9))} ${v}`);
  const before = plan.target ? `${plan.target.tag ?? '?'} ${c.dim(`(${plan.target.deployedAt ? formatAge(plan.target.deployedAt, now) : '?'})`)}` : c.dim(`(nothing in ${plan.to} yet)`);
  const after = `${c.bold(plan.source.tag ?? '?')} ${c.dim(`(in ${plan.from} since ${plan.source.deployedAt ? formatAge(plan.source.deployedAt, now) : '?'})`)}`;
  io.info(`${c.bold(`Promote ${plan.project}`)}: ${plan.from} -> ${plan.to}`);
  row('tag', `${before} -> ${after}`);
  row('image', `${plan.image.uri} ${plan.image.status === 'present' ? c.green('✓') : plan.image.status === 'unknown' ? c.yellow('?') : c.red('✗ not in ECR')}`);
  row('deployer', `${plan.functionName} ${c.dim(`in ${region}`)}`);
  row('you', plan.caller.arn);
}

function warnImage(io: IO, plan: PromotePlan): void {
  const ref = `${plan.project}:${plan.source.tag}`;
  if (plan.image.status === 'missing') io.warn(`ECR no longer has ${ref} (a lifecycle rule may have expired it): the cluster cannot pull it, and the deployer fails while tagging it.`);
  if (plan.image.status === 'no-repository') io.warn(`ECR has no repository "${plan.project}": the cluster cannot pull ${ref}.`);
  if (plan.image.status === 'unknown') io.warn(`Could not check ${ref} in ECR: ${plan.image.detail ?? 'unknown error'}.`);
}

const sameRecord = (a: DeployRecord | undefined, b: DeployRecord | undefined) => a?.tag === b?.tag && a?.deployedRaw === b?.deployedRaw;

/** Runs a deploy with the given dependencies: plan, confirm, lock, invoke, verify. */
export async function runDeploy(ctx: Context, opts: DeployOptions, deps: DeployDeps): Promise<number> {
  const { io } = ctx;
  const settings = ctx.settings();
  const planDeps = { db: deps.db, ecr: deps.ecr, sts: deps.sts, settings, region: deps.region };
  const mark = (what: string) => ctx.debug(`${what} at ${Math.round(performance.now())} ms since start`);
  mark('deploy started');
  const plan = await promotePlan(planDeps, opts);
  mark('plan read');

  const upToDate = (target: DeployRecord) => {
    io.success(`${plan.project}: ${plan.to} already runs ${plan.source.tag} (deployed ${target.deployedAt ? formatAge(target.deployedAt, ctx.now()) : 'at an unknown time'}), as ${plan.from} does; nothing to do.`);
    io.info(io.err.dim('Pass --force to deploy it again.'));
    if (opts.json) io.json(resultJson({ ...plan, target }, 'up-to-date'));
    return 0;
  };
  if (plan.upToDate && !opts.force) return upToDate(plan.target!);
  printPlan(io, plan, deps.region, ctx.now());
  warnImage(io, plan);

  if (opts.dryRun) {
    io.info(`Dry run: nothing was invoked. sgn would invoke ${plan.functionName} (RequestResponse, LogType Tail) with this payload:`);
    if (opts.json) io.json(resultJson(plan, 'dry-run'));
    else io.print(JSON.stringify(plan.payload, null, 2));
    return 0;
  }

  if (plan.protected && !opts.yes) {
    const ok = await (await ctx.prompter()).confirm(`Deploy ${plan.source.tag} to ${plan.to}?`, {
      default: false,
      noTtyHint: `${plan.to} is protected: pass --yes to deploy without a prompt (scripts, CI), or --dry-run to see the plan only.`,
    });
    if (!ok) throw new CancelledError('Cancelled; nothing was deployed.');
  }
  if (ctx.signal.aborted) throw new InterruptedError('Interrupted; nothing was deployed.');

  const lock = await acquireDeployLock(deps.db, {
    table: settings.table,
    project: plan.project,
    env: plan.to,
    holder: { who: plan.caller.arn, host: hostname(), pid: process.pid, tag: plan.source.tag, from: plan.from },
    ttlSeconds: settings.lockTtl,
    now: ctx.now,
    onWarning: (m) => io.warn(m),
  });
  try {
    if (lock.tookOver) io.warn(`Took over the expired deploy lock of ${describeHolder(lock.tookOver, ctx.now())}.`);
    // Under the lock, read again: someone may have deployed since the plan (or the prompt).
    const now = await readPromotion(planDeps, plan.project, plan.from, plan.to);
    if (!sameRecord(now.source, plan.source) || !sameRecord(now.target, plan.target)) {
      if (now.target && now.target.tag === now.source?.tag && !opts.force) return upToDate(now.target);
      throw new ConflictError(
        `The records of ${plan.project} changed since the plan: ${plan.from} runs ${now.source?.tag ?? 'nothing'}, ${plan.to} runs ${now.target?.tag ?? 'nothing'}.`,
        'Run the deploy again to see the new plan.',
      );
    }
    if (ctx.signal.aborted) throw new InterruptedError('Interrupted; nothing was deployed.');
    mark('lock taken, records re-read');
    return await invokeAndVerify(ctx, opts, deps, plan, { mark, release: lock.release });
  } finally {
    await lock.release();
  }
}

async function invokeAndVerify(
  ctx: Context,
  opts: DeployOptions,
  deps: DeployDeps,
  plan: PromotePlan,
  { mark, release }: { mark: (what: string) => void; release: () => Promise<void> },
): Promise<number> {
  const { io } = ctx;
  const settings = ctx.settings();
  const logGroup = fillPattern(settings.deployerLogGroup, { function: plan.functionName, project: plan.project });
  const checkHint = `Check in a minute with \`sgn ls deployed --project ${plan.project}\`; the deployer logs to ${logGroup}.`;
  const lambda = await deps.lambda();
  const progress = await startProgress(io, `Deploying ${plan.project} ${plan.source.tag} to ${plan.to}`);
  const watcher = opts.logs
    ? watchDeployerLogs(await deps.logs(), {
        logGroup,
        payload: plan.payload,
        // Slack for clock skew between this machine and Lambda; lines are matched, not timed.
        since: Date.now() - 10_000,
        onLines: progress.lines,
        onWarning: (m) => progress.note(m, 'warn'),
      })
    : undefined;
  // Know the invocations already logged before sending ours (but never wait long for that).
  if (watcher) await Promise.race([watcher.ready, new Promise((r) => setTimeout(r, 2000).unref())]);
  if (ctx.signal.aborted) {
    watcher?.stop();
    await progress.fail('Interrupted before the invoke.');
    throw new InterruptedError('Interrupted; nothing was deployed.');
  }

  let result: InvokeResult;
  try {
    result = await invokeDeployer(lambda, {
      functionName: plan.functionName,
      payload: plan.payload,
      region: deps.region,
      signal: ctx.signal,
      sleep: deps.sleep,
      onThrottled: (attempt, delayMs, reason) => progress.note(`Lambda throttled the invoke (${reason}), so the deployer did not start; retrying in ${formatDuration(delayMs)} (attempt ${attempt + 1}).`, 'warn'),
    });
  } catch (e) {
    watcher?.stop();
    if (ctx.signal.aborted) {
      await progress.fail(`Stopped waiting after ${formatDuration(progress.elapsed())}.`);
      throw new InterruptedError(`Interrupted: sgn stopped waiting, but the deployer may still be running.`, `The deploy lock was released. ${checkHint}`);
    }
    await progress.fail(`The invoke failed after ${formatDuration(progress.elapsed())}.`);
    if (e instanceof InvokeOutcomeUnknownError) throw new SgnError(e.message, { hint: `${e.hint} ${checkHint}`, cause: e.cause });
    throw e;
  }
  const durationMs = progress.elapsed();
  mark('invoke returned');
  // The deployer is done: free the lock while reading the outcome and the last log lines.
  const where = `${logGroup}, request ${result.requestId ?? '?'}`;
  const [after] = await Promise.all([
    getRecord(deps.db, settings.table, plan.project, plan.to).catch(async (e: unknown) => {
      await progress.fail(`The deployer answered after ${formatDuration(durationMs)}, but sgn could not read the result.`);
      const why = tableError(e, settings.table, deps.region, `reading table ${settings.table}`);
      throw new SgnError(`Could not verify the deploy: ${why.message}`, { hint: `The deployer ran (${where}). ${checkHint}`, cause: e });
    }),
    release(),
    watcher?.finish(result.requestId, logDrainMs),
  ]);
  mark('target re-read, lock released');

  if (result.functionError) {
    let error: { errorMessage?: string; errorType?: string } = {};
    try {
      error = JSON.parse(result.payloadText) as typeof error;
    } catch {
      error = { errorMessage: result.payloadText };
    }
    await progress.fail(`The deployer failed after ${formatDuration(durationMs)}${error.errorType ? ` (${error.errorType})` : ''}.`);
    if (!opts.logs && result.logTail) {
      io.info(io.err.dim(`Deployer log, last lines (${where}):`));
      for (const l of invocationLines(result.logTail).slice(-tailLines)) io.info(io.err.dim(`  │ ${l}`));
    }
    const recorded = after && after.tag === plan.source.tag && !sameRecord(after, plan.target);
    if (recorded) io.warn(`The deployer recorded ${plan.source.tag} in ${plan.to} before it failed: the record may not match what runs.`);
    if (opts.json) io.json(resultJson(plan, 'failed', { invoke: result, durationMs, current: after, error: { message: error.errorMessage ?? '', type: error.errorType } }));
    throw new SgnError(`The deployer failed: ${error.errorMessage ?? 'no error message'}`, {
      hint: `${recorded ? '' : `${plan.to} still runs ${plan.target?.tag ?? 'nothing'}. `}Full log: ${where}.`,
    });
  }

  const verdict = verifyPromotion(plan, after);
  if (!verdict.ok) {
    await progress.fail(`The deployer answered ${result.payloadText || 'nothing'} after ${formatDuration(durationMs)}, but the deploy did not take effect.`);
    if (opts.json) io.json(resultJson(plan, 'no-effect', { invoke: result, durationMs, current: after }));
    throw new SgnError(`The deploy did not take effect: ${verdict.reason}.`, {
      hint: `The deployer reports success even when it deploys nothing. See its log (${where}) and \`sgn ls deployed --project ${plan.project}\`.`,
    });
  }
  await progress.succeed(`Deployed ${plan.project} ${plan.source.tag} to ${plan.to} in ${formatDuration(durationMs)}${plan.target?.tag && plan.target.tag !== plan.source.tag ? ` (was ${plan.target.tag})` : ''}.`);
  ctx.debug(`request ${result.requestId}, ${result.attempts} invoke request(s)`);
  if (opts.json) io.json(resultJson(plan, 'deployed', { invoke: result, durationMs, current: verdict.record }));
  return 0;
}
