import type { DynamoApi } from '../../aws/dynamodb.js';
import type { EcrApi } from '../../aws/ecr.js';
import type { LambdaApi } from '../../aws/lambda.js';
import type { StsApi } from '../../aws/sts.js';
import type { S3Api } from '../../aws/s3.js';
import type { Progress, Reporter } from '../../io.js';
import { CancelledError, ConflictError, InterruptedError, SgnError, awsErrorName } from '../../errors.js';
import { fillPattern, type Settings } from '../../settings/schema.js';
import { formatAge, formatDuration } from '../../time.js';
import { getRecord, tableError, type DeployRecord } from '../records.js';
import { InvokeOutcomeUnknownError, invokeDeployer, type InvokeOptions, type InvokeResult } from './invoke.js';
import { acquireDeployLock, describeHolder, RecordsChangedError, unchangedCheck, type AcquireLockInput, type DeployLock } from './lock.js';
import { invocationLines, watchDeployerLogs, type DeployerLogsApi } from './logs.js';
import { promotePlan, readPromotion, releasePlan, type DeployOptions, type PromotePlan, type PlanDeps } from './plan.js';
import { gateRefusal } from './gate.js';
import { verifyPromotion } from './verify.js';
import { cleanLeftovers } from './release.js';
import { failurePhase, type DeployerError, type FailurePhase } from './failure.js';
import { appendHistory, historyId, type HistoryEntry, type HistoryResult } from '../history/audit.js';
import type { ArtifactCache } from '../releases/artifact-cache.js';

/** The narrow dependencies of a deploy; the command builds them from the composition root. */
export interface DeployDeps {
  db: DynamoApi;
  sts: StsApi;
  ecr: EcrApi;
  /** Artifacts (ranged GETs), config files (HEAD), the project's builds (rollback, --tag). */
  s3: Pick<S3Api, 'getObject' | 'headObject' | 'listObjectsV2'>;
  /** Deployspecs read before, per artifact ETag. */
  cache: ArtifactCache;
  /** Lets the person at a terminal pick a build (rollback without history); undefined without one. */
  pick?: (question: string, choices: { value: string; name: string }[]) => Promise<string>;
  /** The long-invoke Lambda adapter (one attempt, no timeout), built when first needed. */
  lambda: () => Promise<LambdaApi>;
  /**
   * Reads the function's configured timeout, for a lock kept after Ctrl-C. Asked while the plan
   * is read (on the long-invoke client, whose connection the invoke then reuses); `signal`
   * drops it when the deploy ends first.
   */
  functionTimeout: (name: string, signal: AbortSignal) => Promise<number | undefined>;
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
  /** promote, rollback or release (`deploy --tag`). */
  kind: PromotePlan['kind'];
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
  /** The source record's Tag, when the artifact's commitref (`tag`) differs from it. */
  recordTag?: string;
  artifact: { bucket: string | null; key: string | null; status: string; reason?: string };
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
/** A temporary source record older than this cannot be in use by any deployer (Lambda's longest timeout plus a margin). */
const leftoverAgeS = lambdaMaxTimeoutS + interruptedMarginMs / 1000;

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
    kind: plan.kind,
    project: plan.project,
    from: plan.from,
    to: plan.to,
    tag: plan.tag,
    previous: recordJson(plan.target),
    current: recordJson(extra.current ?? (status === 'up-to-date' ? plan.target : undefined)),
    function: plan.functionName,
    requestId: extra.invoke?.requestId ?? null,
    durationMs: extra.durationMs === undefined ? null : Math.round(extra.durationMs),
    caller: plan.caller.arn,
    image: { uri: plan.image.uri, status: plan.image.status },
    ...(plan.source.tag !== plan.tag ? { recordTag: plan.source.tag } : {}),
    artifact: { bucket: plan.artifact.bucket ?? null, key: plan.artifact.key ?? null, status: plan.artifact.status, ...('reason' in plan.artifact ? { reason: plan.artifact.reason } : {}) },
    payload: plan.payload,
  };
}

const sameRecord = (a: DeployRecord | undefined, b: DeployRecord | undefined) => a?.tag === b?.tag && a?.deployedRaw === b?.deployedRaw;

/** Reports the image problems of a plan; a missing image is refused later unless forced. */
function imageEvents(report: Reporter, plan: PromotePlan, force: boolean): void {
  const ref = `${plan.project}:${plan.tag}`;
  const refusal = force ? ' (--force: deploying anyway)' : '';
  if (plan.image.status === 'missing') report.emit({ level: 'warn', code: 'deploy.image.missing', message: `ECR no longer has ${ref} (a lifecycle rule may have expired it): the cluster cannot pull it, and the deployer fails while tagging it${refusal}.` });
  if (plan.image.status === 'no-repository') report.emit({ level: 'warn', code: 'deploy.image.no-repository', message: `ECR has no repository "${plan.project}": the cluster cannot pull ${ref}${refusal}.` });
  if (plan.image.status === 'unknown') report.emit({ level: 'warn', code: 'deploy.image.unknown', message: `Could not check ${ref} in ECR: ${plan.image.detail ?? 'unknown error'}.` });
}

/** The events of what the plan found in the artifact and the config file (issue 16). */
function planEvents(report: Reporter, plan: PromotePlan, now: Date): void {
  const a = plan.artifact;
  if (plan.kind === 'promote' && a.status === 'ok' && a.commitref !== plan.source.tag) {
    report.emit({
      level: 'warn',
      code: 'deploy.tag-differs',
      message: `The ${plan.from} record says ${plan.source.tag}, but its artifact (s3://${a.bucket}/${a.key}) is the build of ${a.commitref}: the deployer deploys and records ${a.commitref}.`,
    });
  }
  if (a.status !== 'ok') report.emit({ level: 'warn', code: `deploy.artifact.${a.status}`, message: `sgn could not read the artifact${a.key ? ` s3://${a.bucket}/${a.key}` : ''}: ${a.reason}.` });
  const c = plan.config;
  if (a.status === 'ok' && a.envsecret && c && 'exists' in c && !c.exists) {
    report.emit({
      level: 'warn',
      code: 'deploy.config.missing',
      message: `The build has envsecret: true, but ${plan.project} has no config file for ${plan.to} (${c.key}): the deployer only warns on Slack and deploys pods that reference a Secret that does not exist.`,
    });
  }
  const changed = configChangedSince(plan);
  if (changed) {
    report.emit({
      level: 'info',
      code: 'deploy.config.changed',
      message: `The config file of ${plan.project} in ${plan.to} changed ${formatAge(changed, now)}, after ${plan.to}'s last deploy: this deploy applies it.`,
    });
  }
}

/** When the target's config file changed after the target's last deploy (S3 LastModified vs the record's Deployed). */
function configChangedSince(plan: PromotePlan): Date | undefined {
  const c = plan.config;
  const deployed = plan.target?.deployedAt;
  if (!c || !('exists' in c) || !c.exists || !c.lastModified || !deployed) return undefined;
  return c.lastModified.getTime() > deployed.getTime() ? c.lastModified : undefined;
}

/** The audit item of one run that reached the deployer. */
function historyEntry(plan: PromotePlan, started: Date, result: HistoryResult, extra: { requestId?: string | null; durationMs?: number; error?: string } = {}): HistoryEntry {
  return {
    project: plan.project,
    env: plan.to,
    kind: plan.kind,
    ...(plan.kind === 'promote' ? { from: plan.from } : {}),
    fromTag: plan.target?.tag,
    fromBucket: plan.target?.bucketName,
    fromKey: plan.target?.objectKey,
    toTag: plan.tag,
    toBucket: plan.source.bucketName,
    toKey: plan.source.objectKey,
    caller: plan.caller.arn,
    result,
    startedAt: started,
    durationMs: extra.durationMs,
    requestId: extra.requestId ?? undefined,
    error: extra.error,
  };
}

/** What a run that reached the deployer ended as, for the history. */
function historyResultOf(e: unknown): HistoryResult {
  const code = (e as { code?: string })?.code;
  if (e instanceof InterruptedError) return 'interrupted';
  // The deployer failed, or Lambda never started it (refused, throttled): nothing was deployed.
  if (code === 'deploy.failed' || code === 'deploy.not-invoked') return 'failed';
  if (code === 'deploy.no-effect') return 'no-effect';
  return 'unknown';
}

/** `sgn deploy <project> <env>` (and `rollback`, `deploy --tag`): plan, confirm, lock, invoke once, verify. */
export async function deploy(deps: DeployDeps, opts: DeployOptions): Promise<DeployResult> {
  const { report } = deps;
  const mark = (what: string) => report.emit({ level: 'debug', code: 'deploy.timing', message: `${what} at ${Math.round(performance.now())} ms since start` });
  mark('deploy started');
  // The function's timeout (only needed after Ctrl-C) is asked with the plan's first reads, on
  // the long-invoke client: its connection is then open when the invoke is sent.
  const prefetch = new AbortController();
  const timeout = opts.dryRun ? Promise.resolve(undefined) : deps.functionTimeout(deps.settings.function, prefetch.signal).catch(() => undefined);
  try {
    return await planAndDeploy(deps, opts, mark, timeout);
  } finally {
    prefetch.abort();
  }
}

async function planAndDeploy(deps: DeployDeps, opts: DeployOptions, mark: (what: string) => void, timeout: Promise<number | undefined>): Promise<DeployResult> {
  const { report, settings } = deps;
  const planDeps = { db: deps.db, ecr: deps.ecr, sts: deps.sts, s3: deps.s3, cache: deps.cache, settings, region: deps.region, gate: deps.gate };
  // Leftovers of killed rollbacks go while the plan is read (never on the critical path).
  const leftovers = cleanLeftovers(deps.db, settings.table, opts.project, { now: deps.now(), olderThanS: leftoverAgeS, report });
  const plan = await (opts.release
    ? releasePlan({ ...planDeps, now: deps.now, pick: deps.pick, report, signal: deps.signal }, { project: opts.project, env: opts.env, release: opts.release })
    : promotePlan(planDeps, opts)
  ).finally(() => leftovers);
  mark('plan read');

  const upToDate = (target: DeployRecord): DeployResult => {
    const same = plan.kind === 'promote' ? `, as ${plan.from} does` : '';
    report.emit({
      level: 'success',
      code: 'deploy.up-to-date',
      message: `${plan.project}: ${plan.to} already runs ${plan.tag} (deployed ${target.deployedAt ? formatAge(target.deployedAt, deps.now()) : 'at an unknown time'})${same}; nothing to do.`,
    });
    const changed = configChangedSince({ ...plan, target });
    report.emit({
      level: changed ? 'warn' : 'info',
      code: 'deploy.up-to-date.hint',
      message: changed
        ? `But its config file changed ${formatAge(changed, deps.now())}, after that deploy: the new config only reaches the cluster with a redeploy. Run it again with --force to apply it.`
        : 'Pass --force to deploy it again (e.g. to apply a changed config file).',
    });
    return resultOf({ ...plan, target }, 'up-to-date');
  };
  if (plan.upToDate && !opts.force) return upToDate(plan.target!);
  report.emit({ level: 'info', code: 'deploy.plan', message: `${plan.kind === 'promote' ? `Promote ${plan.project}: ${plan.from} -> ${plan.to}` : `${plan.kind === 'rollback' ? 'Roll back' : 'Deploy a release of'} ${plan.project} in ${plan.to}`}`, data: { plan, region: deps.region } });
  planEvents(report, plan, deps.now());
  imageEvents(report, plan, opts.force);
  if (plan.gate?.verdict === 'warn' || (plan.gate?.verdict === 'refuse' && (opts.skipChecks || opts.dryRun))) {
    const why = plan.gate.verdict === 'warn' ? '' : opts.skipChecks ? ' (--skip-checks: promoting anyway)' : '; a deploy would be refused without --skip-checks';
    report.emit({ level: 'warn', code: 'deploy.gate.warning', message: `Integration tests of ${plan.tag}: ${plan.gate.message}${why}.` });
  }

  if (opts.dryRun) {
    const temp = plan.temporarySource ? ` after writing a temporary source record (Env "${plan.from}", deleted right after)` : '';
    report.emit({ level: 'info', code: 'deploy.dry-run', message: `Dry run: nothing was invoked. sgn would invoke ${plan.functionName} (RequestResponse, LogType Tail)${temp} with this payload:` });
    return resultOf(plan, 'dry-run');
  }
  if (plan.gate?.verdict === 'refuse' && !opts.skipChecks) throw gateRefusal(plan.gate, { project: plan.project, tag: plan.tag, to: plan.to }, resultOf(plan, 'failed'));
  if (plan.artifact.status === 'missing' && !opts.force) {
    throw new SgnError(`The artifact of ${plan.project} ${plan.tag} (s3://${plan.artifact.bucket}/${plan.artifact.key}) is gone: the deployer would fail before touching the cluster, so sgn deploys nothing.`, {
      hint: `Rebuild through the pipeline, or deploy another build (\`sgn releases ${plan.project}\`).`,
      code: 'deploy.artifact-gone',
      data: resultOf(plan, 'failed'),
    });
  }
  if ((plan.image.status === 'missing' || plan.image.status === 'no-repository') && !opts.force) {
    throw new SgnError(
      plan.image.status === 'missing'
        ? `ECR repository "${plan.project}" has no image tagged ${plan.tag}: the cluster could not pull it, so sgn deploys nothing.`
        : `ECR has no repository "${plan.project}": the cluster could not pull ${plan.project}:${plan.tag}, so sgn deploys nothing.`,
      {
        hint: plan.kind === 'promote' ? `Rebuild ${plan.from} through the pipeline, or pass --force to deploy anyway.` : `Pick a build whose image is still in ECR: \`sgn releases ${plan.project}\`.`,
        code: 'deploy.image-missing',
        data: resultOf(plan, 'failed'),
      },
    );
  }

  if (plan.protected && !opts.yes) {
    const ok = await deps.confirm(
      plan.kind === 'rollback' ? `Roll back ${plan.to} to ${plan.tag}?` : `Deploy ${plan.tag} to ${plan.to}?`,
      `${plan.to} is protected: pass --yes to deploy without a prompt (scripts, CI), or --dry-run to see the plan only.`,
    );
    if (!ok) throw new CancelledError('Cancelled; nothing was deployed.');
  }
  if (deps.signal.aborted) throw new InterruptedError('Interrupted; nothing was deployed.');

  const lockInput: AcquireLockInput = {
    table: settings.table,
    project: plan.project,
    env: plan.to,
    holder: { who: plan.caller.arn, host: deps.host.name, pid: deps.host.pid, tag: plan.tag, from: plan.from },
    ttlSeconds: settings.lockTtl,
    now: deps.now,
    breakInterrupted: opts.breakLock,
    onWarning: (m) => report.emit({ level: 'warn', code: 'deploy.lock.warning', message: m }),
  };
  // Someone may have deployed since the plan (or the prompt): read again, and compare.
  const changedSincePlan = async (): Promise<DeployResult | undefined> => {
    if (plan.kind === 'promote') {
      const now = await readPromotion(planDeps, plan.project, plan.from, plan.to);
      if (sameRecord(now.source, plan.source) && sameRecord(now.target, plan.target)) return undefined;
      if (now.target && now.target.tag === now.source?.tag && !opts.force) return upToDate(now.target);
      throw new ConflictError(
        `The records of ${plan.project} changed since the plan: ${plan.from} runs ${now.source?.tag ?? 'nothing'}, ${plan.to} runs ${now.target?.tag ?? 'nothing'}.`,
        'Run the deploy again to see the new plan.',
      );
    }
    const target = await getRecord(deps.db, settings.table, plan.project, plan.to).catch((e: unknown) => {
      throw tableError(e, settings.table, deps.region, `reading table ${settings.table}`);
    });
    if (sameRecord(target, plan.target)) return undefined;
    if (target?.tag === plan.tag && !opts.force) return upToDate(target);
    throw new ConflictError(`${plan.to} of ${plan.project} changed since the plan: it runs ${target?.tag ?? 'nothing'} now.`, `Run the ${plan.kind === 'rollback' ? 'rollback' : 'deploy'} again to see the new plan.`);
  };
  // One round trip: the lock is written only if the records are still those of the plan (a
  // transaction with checks of the source and target records), so nothing can change between
  // the plan and the lock. The records are read again only when a check failed.
  let lock: DeployLock;
  try {
    lock = await acquireDeployLock(deps.db, {
      ...lockInput,
      unchanged: [unchangedCheck(plan.project, plan.to, plan.target), ...(plan.kind === 'promote' ? [unchangedCheck(plan.project, plan.from, plan.source)] : [])],
    });
  } catch (e) {
    if (!(e instanceof RecordsChangedError) && awsErrorName(e) !== 'AccessDeniedException') throw e;
    if (e instanceof RecordsChangedError) {
      const changed = await changedSincePlan();
      if (changed) return changed;
    }
    // Unchanged after all (a value stored in another type than the deployer's), or no permission
    // for the transaction (dynamodb:ConditionCheckItem): take the lock, then read again under it.
    lock = await acquireDeployLock(deps.db, lockInput);
    try {
      const changed = await changedSincePlan();
      if (changed) {
        await lock.release();
        return changed;
      }
    } catch (e2) {
      await lock.release();
      throw e2;
    }
  }
  try {
    if (lock.tookOver) report.emit({ level: 'warn', code: 'deploy.lock.takeover', message: `Took over the ${lock.tookOver.interrupted ? 'interrupted' : 'expired'} deploy lock of ${describeHolder(lock.tookOver, deps.now())}.` });
    if (deps.signal.aborted) throw new InterruptedError('Interrupted; nothing was deployed.');
    mark('lock taken (records unchanged)');
    const started = deps.now();
    const trace: { invoked: boolean; requestId?: string | null; durationMs?: number } = { invoked: false };
    // One history item per run: written as soon as the outcome is likely (while the result is
    // verified), and written again, same key, only if the verification says otherwise.
    const id = historyId();
    let written: { result: HistoryResult; done: Promise<void> } | undefined;
    const audit = (result: HistoryResult, error?: string): Promise<void> => {
      if (written?.result === result && !error) return written.done;
      const again = written !== undefined;
      const done = (written?.done ?? Promise.resolve()).then(() =>
        appendHistory(deps.db, settings.table, historyEntry(plan, started, result, { ...trace, error }), settings.historyDays, { id, replace: again }).catch((e: unknown) =>
          report.emit({ level: 'warn', code: 'deploy.history.error', message: `Could not append to the deploy history: ${(e as Error).message}.` }),
        ),
      );
      written = { result, done };
      return done;
    };
    try {
      const result = await invokeAndVerify(deps, opts, plan, lock, mark, trace, timeout, () => audit('deployed'));
      await audit('deployed');
      return result;
    } catch (e) {
      if (trace.invoked) await audit(historyResultOf(e), (e as Error).message);
      throw e;
    }
  } finally {
    await lock.release();
  }
}

/**
 * The deployer may still run after sgn stopped waiting (Ctrl-C, a broken connection): keep the
 * lock, marked interrupted, until the function's own timeout has certainly passed.
 */
async function holdLockForRunningDeployer(plan: PromotePlan, lock: DeployLock, invokeStart: Date, timeout: Promise<number | undefined>): Promise<string> {
  const timeoutS = await Promise.race([
    timeout,
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000).unref()),
  ]);
  const until = new Date(invokeStart.getTime() + (timeoutS ?? lambdaMaxTimeoutS) * 1000 + interruptedMarginMs);
  const kept = await lock.holdUntil(until);
  const at = `${until.toISOString().slice(11, 19)} UTC`;
  // The same command again, with --break-lock: a hint sgn accepts as it stands.
  const again =
    plan.kind === 'rollback' ? `sgn rollback ${plan.project} ${plan.to} --to ${plan.tag} --break-lock` : plan.kind === 'release' ? `sgn deploy ${plan.project} ${plan.to} --tag ${plan.tag} --break-lock` : `sgn deploy ${plan.project} ${plan.to} --break-lock`;
  return kept
    ? `The deploy lock stays until ${at} (the deployer's ${timeoutS ?? lambdaMaxTimeoutS} s timeout after the invoke, plus a minute), so that no second deploy overlaps this one; \`${again}\` takes it over once you know the deployer has finished.`
    : `sgn could not keep the deploy lock; do not deploy ${plan.project} to ${plan.to} again before ${at}.`;
}

/** Writes the temporary source record of a rollback/release; returns its deletion (which never throws). */
async function writeTemporarySource(deps: DeployDeps, plan: PromotePlan): Promise<() => Promise<void>> {
  const item = plan.temporarySource;
  if (!item) return async () => undefined;
  const { table } = deps.settings;
  await deps.db.putItem({ TableName: table, Item: item }).catch((e: unknown) => {
    throw tableError(e, table, deps.region, `writing the temporary source record to table ${table}`);
  });
  let deleted = false;
  return async () => {
    if (deleted) return;
    deleted = true;
    try {
      await deps.db.deleteItem({ TableName: table, Key: { Application: item.Application, Env: item.Env } });
    } catch (e) {
      deps.report.emit({
        level: 'warn',
        code: 'deploy.temporary.left',
        message: `Could not delete the temporary source record ${item.Env.S} (${(e as Error).message}); the next deploy or rollback of ${plan.project} removes it.`,
      });
    }
  };
}

async function invokeAndVerify(
  deps: DeployDeps,
  opts: DeployOptions,
  plan: PromotePlan,
  lock: DeployLock,
  mark: (what: string) => void,
  trace: { invoked: boolean; requestId?: string | null; durationMs?: number },
  timeout: Promise<number | undefined>,
  auditDeployed: () => Promise<void>,
): Promise<DeployResult> {
  const { report, settings } = deps;
  const logGroup = fillPattern(settings.deployerLogGroup, { function: plan.functionName, project: plan.project });
  const checkHint = `Check in a minute with \`sgn ls deployed --project ${plan.project}\`; the deployer logs to ${logGroup}.`;
  const lambda = await deps.lambda();
  const progress: Progress = report.progress(`${plan.kind === 'rollback' ? 'Rolling back' : 'Deploying'} ${plan.project} ${plan.kind === 'rollback' ? `${plan.to} to ${plan.tag}` : `${plan.tag} to ${plan.to}`}`);
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

  // The temporary source record exists only while the deployer may read it: written right
  // before the invoke, deleted as soon as it returns, fails or is interrupted.
  const removeSource = await writeTemporarySource(deps, plan).catch(async (e: unknown) => {
    watcher?.stop();
    await progress.fail('Could not write the temporary source record; nothing was invoked.');
    throw e;
  });
  if (deps.signal.aborted) {
    await removeSource();
    watcher?.stop();
    await progress.fail('Interrupted before the invoke.');
    throw new InterruptedError('Interrupted; nothing was deployed.');
  }
  const invokeStart = deps.now();
  let result: InvokeResult;
  try {
    trace.invoked = true;
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
      const held = await holdLockForRunningDeployer(plan, lock, invokeStart, timeout);
      throw new InterruptedError(`Interrupted: sgn stopped waiting, but the deployer may still be running.`, `${held} ${checkHint}`);
    }
    await progress.fail(`The invoke failed after ${formatDuration(progress.elapsed())}.`);
    if (e instanceof InvokeOutcomeUnknownError) {
      const held = await holdLockForRunningDeployer(plan, lock, invokeStart, timeout);
      throw new SgnError(e.message, { hint: `${e.hint} ${held} ${checkHint}`, cause: e.cause, code: 'deploy.outcome-unknown' });
    }
    throw e;
  } finally {
    await removeSource();
  }
  const durationMs = progress.elapsed();
  trace.requestId = result.requestId;
  trace.durationMs = durationMs;
  mark('invoke returned');
  // The deployer is done: free the lock while reading the outcome and the last log lines, and
  // record the deploy in the history (as deployed when the deployer said so; corrected if not).
  const where = `${logGroup}, request ${result.requestId ?? '?'}`;
  const [after] = await Promise.all([
    getRecord(deps.db, settings.table, plan.project, plan.to).catch(async (e: unknown) => {
      await progress.fail(`The deployer answered after ${formatDuration(durationMs)}, but sgn could not read the result.`);
      const why = tableError(e, settings.table, deps.region, `reading table ${settings.table}`);
      throw new SgnError(`Could not verify the deploy: ${why.message}`, { hint: `The deployer ran (${where}). ${checkHint}`, cause: e });
    }),
    lock.release(),
    watcher?.finish(result.requestId, logDrainMs),
    result.functionError ? undefined : auditDeployed(),
  ]);
  mark('target re-read, lock released');

  if (result.functionError) {
    let error: DeployerError = {};
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
    const recorded = Boolean(after && after.tag === plan.tag && !sameRecord(after, plan.target));
    const phase: FailurePhase = recorded ? 'after-record' : failurePhase(error);
    const before = plan.target?.tag;
    const rollbackCmd = before ? `sgn rollback ${plan.project} ${plan.to} --to ${before}` : `sgn releases ${plan.project}`;
    const explained: Record<FailurePhase, { consequence: string; hint: string }> = {
      'before-cluster': {
        consequence: `It failed before touching the cluster: nothing changed, ${plan.to} still runs ${before ?? 'nothing'}.`,
        hint: `Fix the cause above and run it again. Full log: ${where}.`,
      },
      rollout: {
        consequence: `It failed during the rollout: the cluster may run ${plan.tag} (the Deployment was replaced) while the ${plan.to} record still says ${before ?? 'nothing'}.`,
        hint: `Roll back with \`${rollbackCmd}\`${before ? '' : ' (pick a build)'}, or fix and deploy again. Full log: ${where}.`,
      },
      'after-record': {
        consequence: `It failed after recording ${plan.tag} in ${plan.to}: the deploy ran, but a later step (tagging the image in ECR) did not.`,
        hint: `Check what runs (\`sgn ls deployed --project ${plan.project}\`); roll back with \`${rollbackCmd}\` if needed. Full log: ${where}.`,
      },
      unknown: {
        consequence: `${plan.to} may or may not have changed: the record still says ${before ?? 'nothing'}.`,
        hint: `Check the deployer's log (${where}) before deploying again; \`${rollbackCmd}\` restores the previous build.`,
      },
    };
    const x = explained[phase];
    const said = (error.errorMessage ?? 'no error message').trim();
    throw new SgnError(`The deployer failed: ${said}${/[.!?]$/.test(said) ? '' : '.'} ${x.consequence}`, {
      hint: x.hint,
      code: 'deploy.failed',
      data: { ...resultOf(plan, 'failed', { invoke: result, durationMs, current: after }), deployerError: { message: error.errorMessage ?? '', type: error.errorType ?? null, phase } },
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
  await progress.succeed(
    `${plan.kind === 'rollback' ? 'Rolled back' : 'Deployed'} ${plan.project} ${plan.kind === 'rollback' ? `${plan.to} to ${plan.tag}` : `${plan.tag} to ${plan.to}`} in ${formatDuration(durationMs)}${plan.target?.tag && plan.target.tag !== plan.tag ? ` (was ${plan.target.tag})` : ''}.`,
  );
  report.emit({ level: 'debug', code: 'deploy.invoke', message: `request ${result.requestId}, ${result.attempts} invoke request(s)` });
  return resultOf(plan, 'deployed', { invoke: result, durationMs, current: verdict.record });
}
