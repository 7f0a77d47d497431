import type { DynamoApi } from '../../aws/dynamodb.js';
import type { EcrApi } from '../../aws/ecr.js';
import type { LambdaApi } from '../../aws/lambda.js';
import type { StsApi } from '../../aws/sts.js';
import type { Progress, Reporter } from '../../io.js';
import { CancelledError, ConflictError, InterruptedError, SgnError } from '../../errors.js';
import { fillPattern, type Settings } from '../../settings/schema.js';
import { formatAge, formatDuration } from '../../time.js';
import { getRecord, tableError, type DeployRecord } from '../records.js';
import { InvokeOutcomeUnknownError, invokeDeployer, type InvokeOptions, type InvokeResult } from './invoke.js';
import { acquireDeployLock, describeHolder, type DeployLock } from './lock.js';
import { invocationLines, watchDeployerLogs, type DeployerLogsApi } from './logs.js';
import { promotePlan, readPromotion, type DeployOptions, type PromotePlan, type PlanDeps } from './plan.js';
import { gateRefusal } from './gate.js';
import { verifyPromotion } from './verify.js';

/** The narrow dependencies of a deploy; the command builds them from the composition root. */
export interface DeployDeps {
  db: DynamoApi;
  sts: StsApi;
  ecr: EcrApi;
  /** The long-invoke Lambda adapter (one attempt, no timeout), built when first needed. */
  lambda: () => Promise<LambdaApi>;
  /** Reads the function's configured timeout (a short-lived call), for a lock kept after Ctrl-C. */
  functionTimeout: (name: string) => Promise<number | undefined>;
  logs: () => Promise<DeployerLogsApi>;
  region: string;
  settings: Settings;
  /** The promotion gate the plan asks (gate.ts); none: not checked. */
  gate?: PlanDeps['gate'];
  report: Reporter;
  /** Asks the person at the terminal; throws a usage error when there is none. */
  confirm: (question: string, noTtyHint: string) => Promise<boolean>;
  now: () => Date;
  signal: AbortSignal;
  /** Who runs this deploy, for the lock: host name and process id. */
  host: { name: string; pid: number };
  /** Backoff sleep between throttled invokes (tests pass a fast one). */
  sleep?: InvokeOptions['sleep'];
}

export type DeployStatus = 'deployed' | 'up-to-date' | 'dry-run' | 'failed' | 'no-effect';

interface RecordJson {
  tag: string | null;
  deployed: string | null;
  deployedRaw: string | null;
}

/** What a deploy did, as `--json` prints it (failures carry the same fields beside `error`). */
export interface DeployResult {
  status: DeployStatus;
  project: string;
  from: string;
  to: string;
  tag: string | undefined;
  previous: RecordJson | null;
  current: RecordJson | null;
  function: string;
  requestId: string | null;
  durationMs: number | null;
  caller: string;
  image: { uri: string; status: string };
  payload: PromotePlan['payload'];
}

/** How long `--logs` keeps reading after the invoke returned, for lines CloudWatch has not shown yet. */
const logDrainMs = 5000;
/** Log lines shown from the tail when the deployer fails. */
const tailLines = 25;
/** Slack beyond the function's timeout before an interrupted deploy's lock may be taken. */
const interruptedMarginMs = 60_000;
/** Lambda's longest timeout: the bound when the function's own cannot be read. */
const lambdaMaxTimeoutS = 900;

function recordJson(r: DeployRecord | undefined): RecordJson | null {
  return r ? { tag: r.tag ?? null, deployed: r.deployedAt?.toISOString() ?? null, deployedRaw: r.deployedRaw ?? null } : null;
}

function resultOf(
  plan: PromotePlan,
  status: DeployStatus,
  extra: { invoke?: InvokeResult; durationMs?: number; current?: DeployRecord } = {},
): DeployResult {
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
  };
}

const sameRecord = (a: DeployRecord | undefined, b: DeployRecord | undefined) => a?.tag === b?.tag && a?.deployedRaw === b?.deployedRaw;

/** Reports the image problems of a plan; a missing image is refused later unless forced. */
function imageEvents(report: Reporter, plan: PromotePlan, force: boolean): void {
  const ref = `${plan.project}:${plan.source.tag}`;
  const refusal = force ? ' (--force: deploying anyway)' : '';
  if (plan.image.status === 'missing') report.emit({ level: 'warn', code: 'deploy.image.missing', message: `ECR no longer has ${ref} (a lifecycle rule may have expired it): the cluster cannot pull it, and the deployer fails while tagging it${refusal}.` });
  if (plan.image.status === 'no-repository') report.emit({ level: 'warn', code: 'deploy.image.no-repository', message: `ECR has no repository "${plan.project}": the cluster cannot pull ${ref}${refusal}.` });
  if (plan.image.status === 'unknown') report.emit({ level: 'warn', code: 'deploy.image.unknown', message: `Could not check ${ref} in ECR: ${plan.image.detail ?? 'unknown error'}.` });
}

/** `sgn deploy <project> <env>`: plan, confirm, lock, invoke once, verify. */
export async function deploy(deps: DeployDeps, opts: DeployOptions): Promise<DeployResult> {
  const { report, settings } = deps;
  const planDeps = { db: deps.db, ecr: deps.ecr, sts: deps.sts, settings, region: deps.region, gate: deps.gate };
  const mark = (what: string) => report.emit({ level: 'debug', code: 'deploy.timing', message: `${what} at ${Math.round(performance.now())} ms since start` });
  mark('deploy started');
  const plan = await promotePlan(planDeps, opts);
  mark('plan read');

  const upToDate = (target: DeployRecord): DeployResult => {
    report.emit({
      level: 'success',
      code: 'deploy.up-to-date',
      message: `${plan.project}: ${plan.to} already runs ${plan.source.tag} (deployed ${target.deployedAt ? formatAge(target.deployedAt, deps.now()) : 'at an unknown time'}), as ${plan.from} does; nothing to do.`,
    });
    report.emit({ level: 'info', code: 'deploy.up-to-date.hint', message: 'Pass --force to deploy it again.' });
    return resultOf({ ...plan, target }, 'up-to-date');
  };
  if (plan.upToDate && !opts.force) return upToDate(plan.target!);
  report.emit({ level: 'info', code: 'deploy.plan', message: `Promote ${plan.project}: ${plan.from} -> ${plan.to}`, data: { plan, region: deps.region } });
  imageEvents(report, plan, opts.force);
  if (plan.gate?.verdict === 'warn' || (plan.gate?.verdict === 'refuse' && (opts.skipChecks || opts.dryRun))) {
    const why = plan.gate.verdict === 'warn' ? '' : opts.skipChecks ? ' (--skip-checks: promoting anyway)' : '; a deploy would be refused without --skip-checks';
    report.emit({ level: 'warn', code: 'deploy.gate.warning', message: `Integration tests of ${plan.source.tag}: ${plan.gate.message}${why}.` });
  }

  if (opts.dryRun) {
    report.emit({ level: 'info', code: 'deploy.dry-run', message: `Dry run: nothing was invoked. sgn would invoke ${plan.functionName} (RequestResponse, LogType Tail) with this payload:` });
    return resultOf(plan, 'dry-run');
  }
  if (plan.gate?.verdict === 'refuse' && !opts.skipChecks) throw gateRefusal(plan.gate, { project: plan.project, tag: plan.source.tag!, to: plan.to }, resultOf(plan, 'failed'));
  if ((plan.image.status === 'missing' || plan.image.status === 'no-repository') && !opts.force) {
    throw new SgnError(
      plan.image.status === 'missing'
        ? `ECR repository "${plan.project}" has no image tagged ${plan.source.tag}: the cluster could not pull it, so sgn deploys nothing.`
        : `ECR has no repository "${plan.project}": the cluster could not pull ${plan.project}:${plan.source.tag}, so sgn deploys nothing.`,
      { hint: `Rebuild ${plan.from} through the pipeline, or pass --force to deploy anyway.`, code: 'deploy.image-missing', data: resultOf(plan, 'failed') },
    );
  }

  if (plan.protected && !opts.yes) {
    const ok = await deps.confirm(`Deploy ${plan.source.tag} to ${plan.to}?`, `${plan.to} is protected: pass --yes to deploy without a prompt (scripts, CI), or --dry-run to see the plan only.`);
    if (!ok) throw new CancelledError('Cancelled; nothing was deployed.');
  }
  if (deps.signal.aborted) throw new InterruptedError('Interrupted; nothing was deployed.');

  const lock = await acquireDeployLock(deps.db, {
    table: settings.table,
    project: plan.project,
    env: plan.to,
    holder: { who: plan.caller.arn, host: deps.host.name, pid: deps.host.pid, tag: plan.source.tag, from: plan.from },
    ttlSeconds: settings.lockTtl,
    now: deps.now,
    breakInterrupted: opts.breakLock,
    onWarning: (m) => report.emit({ level: 'warn', code: 'deploy.lock.warning', message: m }),
  });
  try {
    if (lock.tookOver) report.emit({ level: 'warn', code: 'deploy.lock.takeover', message: `Took over the ${lock.tookOver.interrupted ? 'interrupted' : 'expired'} deploy lock of ${describeHolder(lock.tookOver, deps.now())}.` });
    // Under the lock, read again: someone may have deployed since the plan (or the prompt).
    const now = await readPromotion(planDeps, plan.project, plan.from, plan.to);
    if (!sameRecord(now.source, plan.source) || !sameRecord(now.target, plan.target)) {
      if (now.target && now.target.tag === now.source?.tag && !opts.force) return upToDate(now.target);
      throw new ConflictError(
        `The records of ${plan.project} changed since the plan: ${plan.from} runs ${now.source?.tag ?? 'nothing'}, ${plan.to} runs ${now.target?.tag ?? 'nothing'}.`,
        'Run the deploy again to see the new plan.',
      );
    }
    if (deps.signal.aborted) throw new InterruptedError('Interrupted; nothing was deployed.');
    mark('lock taken, records re-read');
    return await invokeAndVerify(deps, opts, plan, lock, mark);
  } finally {
    await lock.release();
  }
}

/**
 * The deployer may still run after sgn stopped waiting (Ctrl-C, a broken connection): keep the
 * lock, marked interrupted, until the function's own timeout has certainly passed.
 */
async function holdLockForRunningDeployer(deps: DeployDeps, plan: PromotePlan, lock: DeployLock, invokeStart: Date): Promise<string> {
  const timeoutS = await Promise.race([
    deps.functionTimeout(plan.functionName).catch(() => undefined),
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000).unref()),
  ]);
  const until = new Date(invokeStart.getTime() + (timeoutS ?? lambdaMaxTimeoutS) * 1000 + interruptedMarginMs);
  const kept = await lock.holdUntil(until);
  const at = `${until.toISOString().slice(11, 19)} UTC`;
  return kept
    ? `The deploy lock stays until ${at} (the deployer's ${timeoutS ?? lambdaMaxTimeoutS} s timeout after the invoke, plus a minute), so that no second deploy overlaps this one; \`sgn deploy ... --break-lock\` takes it over once you know the deployer has finished.`
    : `sgn could not keep the deploy lock; do not deploy ${plan.project} to ${plan.to} again before ${at}.`;
}

async function invokeAndVerify(deps: DeployDeps, opts: DeployOptions, plan: PromotePlan, lock: DeployLock, mark: (what: string) => void): Promise<DeployResult> {
  const { report, settings } = deps;
  const logGroup = fillPattern(settings.deployerLogGroup, { function: plan.functionName, project: plan.project });
  const checkHint = `Check in a minute with \`sgn ls deployed --project ${plan.project}\`; the deployer logs to ${logGroup}.`;
  const lambda = await deps.lambda();
  const progress: Progress = report.progress(`Deploying ${plan.project} ${plan.source.tag} to ${plan.to}`);
  const watcher = opts.logs
    ? watchDeployerLogs(await deps.logs(), {
        logGroup,
        payload: plan.payload,
        // Slack for clock skew between this machine and Lambda; lines are matched, not timed.
        since: deps.now().getTime() - 10_000,
        onLines: (ls) => progress.lines(ls),
        onWarning: (m) => progress.note(m, 'warn'),
      })
    : undefined;
  // Know the invocations already logged before sending ours (but never wait long for that).
  if (watcher) await Promise.race([watcher.ready, new Promise((r) => setTimeout(r, 2000).unref())]);
  if (deps.signal.aborted) {
    watcher?.stop();
    await progress.fail('Interrupted before the invoke.');
    throw new InterruptedError('Interrupted; nothing was deployed.');
  }

  const invokeStart = deps.now();
  let result: InvokeResult;
  try {
    result = await invokeDeployer(lambda, {
      functionName: plan.functionName,
      payload: plan.payload,
      region: deps.region,
      signal: deps.signal,
      sleep: deps.sleep,
      onThrottled: (attempt, delayMs, reason) => progress.note(`Lambda throttled the invoke (${reason}), so the deployer did not start; retrying in ${formatDuration(delayMs)} (attempt ${attempt + 1}).`, 'warn'),
    });
  } catch (e) {
    watcher?.stop();
    if (deps.signal.aborted) {
      await progress.fail(`Stopped waiting after ${formatDuration(progress.elapsed())}.`);
      const held = await holdLockForRunningDeployer(deps, plan, lock, invokeStart);
      throw new InterruptedError(`Interrupted: sgn stopped waiting, but the deployer may still be running.`, `${held} ${checkHint}`);
    }
    await progress.fail(`The invoke failed after ${formatDuration(progress.elapsed())}.`);
    if (e instanceof InvokeOutcomeUnknownError) {
      const held = await holdLockForRunningDeployer(deps, plan, lock, invokeStart);
      throw new SgnError(e.message, { hint: `${e.hint} ${held} ${checkHint}`, cause: e.cause, code: 'deploy.outcome-unknown' });
    }
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
    lock.release(),
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
      report.emit({ level: 'info', code: 'deploy.log-tail', message: `Deployer log, last lines (${where}):` });
      progress.lines(invocationLines(result.logTail).slice(-tailLines));
    }
    const recorded = after && after.tag === plan.source.tag && !sameRecord(after, plan.target);
    if (recorded) report.emit({ level: 'warn', code: 'deploy.recorded-before-failure', message: `The deployer recorded ${plan.source.tag} in ${plan.to} before it failed: the record may not match what runs.` });
    throw new SgnError(`The deployer failed: ${error.errorMessage ?? 'no error message'}`, {
      hint: `${recorded ? '' : `${plan.to} still runs ${plan.target?.tag ?? 'nothing'}. `}Full log: ${where}.`,
      code: 'deploy.failed',
      data: { ...resultOf(plan, 'failed', { invoke: result, durationMs, current: after }), deployerError: { message: error.errorMessage ?? '', type: error.errorType ?? null } },
    });
  }

  const verdict = verifyPromotion(plan, after);
  if (!verdict.ok) {
    await progress.fail(`The deployer answered ${result.payloadText || 'nothing'} after ${formatDuration(durationMs)}, but the deploy did not take effect.`);
    throw new SgnError(`The deploy did not take effect: ${verdict.reason}.`, {
      hint: `The deployer reports success even when it deploys nothing. See its log (${where}) and \`sgn ls deployed --project ${plan.project}\`.`,
      code: 'deploy.no-effect',
      data: resultOf(plan, 'no-effect', { invoke: result, durationMs, current: after }),
    });
  }
  await progress.succeed(`Deployed ${plan.project} ${plan.source.tag} to ${plan.to} in ${formatDuration(durationMs)}${plan.target?.tag && plan.target.tag !== plan.source.tag ? ` (was ${plan.target.tag})` : ''}.`);
  report.emit({ level: 'debug', code: 'deploy.invoke', message: `request ${result.requestId}, ${result.attempts} invoke request(s)` });
  return resultOf(plan, 'deployed', { invoke: result, durationMs, current: verdict.record });
}
