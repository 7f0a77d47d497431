import type { DynamoApi, Item } from '../../aws/dynamodb.js';
import type { EcrApi } from '../../aws/ecr.js';
import type { StsApi } from '../../aws/sts.js';
import { SgnError, UsageError, awsErrorName, explainAwsError } from '../../errors.js';
import { fillPattern, type Settings } from '../../settings/schema.js';
import { getRecord, queryProject, tableError, type DeployRecord } from '../records.js';
import { queryHistory, type HistoryEntry } from '../history/audit.js';
import { readArtifact, type ArtifactReaderDeps } from '../releases/artifact.js';
import type { ArtifactCache } from '../releases/artifact-cache.js';
import type { S3Api } from '../../aws/s3.js';
import { resolveRelease, temporaryEnv, temporaryItem, type ChosenRelease, type ReleaseKind, type ResolveDeps } from './release.js';
import { promotionCycle } from '../../settings/validate.js';
import type { GateCheck, GateJudge } from './gate.js';

/** What `sgn deploy` was asked to do, validated. */
export interface DeployOptions {
  project: string;
  env: string;
  /** Source environment; else the target's `promoteFrom` setting. */
  from?: string;
  yes: boolean;
  dryRun: boolean;
  force: boolean;
  logs: boolean;
  /** Take over a lock that an interrupted deploy left while the deployer may still run. */
  breakLock: boolean;
  /** Deploy a chosen build instead of promoting: a rollback (to `tag`, else what ran before) or `deploy --tag`. */
  release?: { kind: ReleaseKind; tag?: string };
  /** Promote even when the promotion gate (integration tests) says no. */
  skipChecks?: boolean;
}

/** The deployer's manual-deploy event (pipeline-contract.md), key order as documented. */
export interface DeployPayload {
  'SGNRunDeploy.job': { Application: string; envFrom: string; envTo: string };
}

export type ImageStatus = 'present' | 'missing' | 'no-repository' | 'unknown';

/** What the plan read from the artifact that will be deployed (issue 16: the deployer deploys its commitref). */
export type ArtifactCheck =
  | { status: 'ok'; bucket: string; key: string; commitref: string; envsecret: boolean; namespace?: string }
  | { status: 'missing' | 'unusable' | 'unreadable'; bucket?: string; key?: string; reason: string };

/** The target env's config file (the deployer's Secret source when envsecret is true). */
export type ConfigCheck = { key: string; exists: true; lastModified?: Date } | { key: string; exists: false } | { key: string; unknown: string };

/** Everything known before invoking: what moves where, whether it can, and who asks. */
export interface PromotePlan {
  /** A promotion from another env, or a chosen build through a temporary source record. */
  kind: 'promote' | ReleaseKind;
  project: string;
  /** The source env, or the temporary source record's Env (rollback, release). */
  from: string;
  to: string;
  source: DeployRecord;
  target?: DeployRecord;
  /**
   * The tag the deployer will deploy and write as the target's Tag: the artifact's commitref
   * (it may differ from the source record's Tag, see `artifact`); the record's Tag when the
   * artifact could not be read.
   */
  tag: string;
  artifact: ArtifactCheck;
  config?: ConfigCheck;
  /** The chosen build of a rollback or `deploy --tag`, and the temporary source record to write for it. */
  release?: ChosenRelease;
  temporarySource?: Item;
  /** The target already runs the tag that would be deployed. */
  upToDate: boolean;
  image: { uri: string; status: ImageStatus; detail?: string };
  caller: { arn: string; account: string };
  functionName: string;
  payload: DeployPayload;
  /** The target needs a confirmation (settings `protected`). */
  protected: boolean;
  /** What the integration tests said about the tag (gate.ts), when the plan had a gate to ask. */
  gate?: GateCheck;
}

/**
 * A promoteFrom that gives `env` a source and that sgn accepts (known environments, no cycle,
 * the other pairs kept): the environment before it in the settings' order first.
 */
export function proposedPromoteFrom(settings: Settings, env: string): string | undefined {
  const envs = settings.environments;
  const i = envs.indexOf(env);
  if (i < 0) return undefined;
  for (const candidate of [...envs.slice(0, i).reverse(), ...envs.slice(i + 1)]) {
    const map = { ...settings.promoteFrom, [env]: candidate };
    if (!promotionCycle(map)) return Object.entries(map).map(([t, s]) => `${t}=${s}`).join(',');
  }
  return undefined;
}

/** The source environment of a promotion: `--from`, else the target's `promoteFrom`. */
export function sourceEnvFor(settings: Settings, env: string, from?: string): string {
  if (from) return from;
  const source = settings.promoteFrom[env];
  if (!source || source === env) {
    const proposal = proposedPromoteFrom(settings, env);
    const now = Object.entries(settings.promoteFrom).map(([t, s]) => `${t}=${s}`).join(', ') || 'none';
    throw new UsageError(
      `"${env}" has no source environment to promote from (promoteFrom: ${now}).`,
      !settings.environments.includes(env)
        ? `"${env}" is not one of the environments (${settings.environments.join(', ')}); check the spelling.`
        : `Pass --from <env>${proposal ? `, or set one: \`sgn config set promoteFrom ${proposal}\`` : ''}.`,
    );
  }
  return source;
}

/** The exact payload the deployer expects for a promotion. */
export function deployPayload(project: string, from: string, to: string): DeployPayload {
  return { 'SGNRunDeploy.job': { Application: project, envFrom: from, envTo: to } };
}

/** Whether ECR still has the image a promotion will deploy (a lifecycle rule may have expired it). */
export async function checkImage(ecr: EcrApi, repository: string, tag: string): Promise<{ status: ImageStatus; detail?: string }> {
  try {
    const out = await ecr.describeImages({ repositoryName: repository, imageIds: [{ imageTag: tag }] });
    return out.imageDetails?.length ? { status: 'present' } : { status: 'missing' };
  } catch (e) {
    const name = awsErrorName(e);
    if (name === 'ImageNotFoundException') return { status: 'missing' };
    if (name === 'RepositoryNotFoundException') return { status: 'no-repository' };
    return { status: 'unknown', detail: explainAwsError(e, 'checking the image in ECR')?.message ?? (e as Error).message };
  }
}

export interface PlanDeps {
  db: DynamoApi;
  ecr: EcrApi;
  sts: StsApi;
  settings: Settings;
  region: string;
  /**
   * Opens the promotion gate of a promotion (gate.ts) before the tag is known: it starts its
   * tag-independent reads at once; the judge then says what the integration tests said about a tag.
   */
  gate?: (input: { project: string; env: string; protected: boolean }) => Promise<GateJudge>;
  /** Artifacts (ranged GETs), the config file (HEAD), the project's builds (listing). */
  s3: Pick<S3Api, 'getObject' | 'headObject' | 'listObjectsV2'>;
  /** What was read from artifacts before, per ETag. */
  cache: ArtifactCache;
}

const readerOf = (deps: Pick<PlanDeps, 's3' | 'cache'>): ArtifactReaderDeps => ({ s3: deps.s3, cache: deps.cache });

/** Reads the deployspec of a record's artifact; failures are part of the answer. */
export async function checkArtifact(deps: ArtifactReaderDeps, record: DeployRecord): Promise<ArtifactCheck> {
  if (!record.bucketName || !record.objectKey) return { status: 'unusable', reason: `the ${record.env} record names no artifact (bucketName/objectKey)` };
  const where = { bucket: record.bucketName, key: record.objectKey };
  try {
    const { artifact } = await readArtifact(deps, where);
    if (artifact.status === 'ok') return { status: 'ok', ...where, commitref: artifact.deployspec.commitref, envsecret: artifact.deployspec.envsecret, namespace: artifact.deployspec.namespace };
    return { status: artifact.status, ...where, reason: artifact.reason };
  } catch (e) {
    return { status: 'unreadable', ...where, reason: explainAwsError(e, `reading s3://${where.bucket}/${where.key}`)?.message ?? (e as Error).message };
  }
}

/** HEADs the env's config file (`configBucket`/`configKey`): does it exist, and since when. */
export async function checkConfig(deps: ArtifactReaderDeps, settings: Pick<Settings, 'configBucket' | 'configKey'>, project: string, env: string): Promise<ConfigCheck> {
  const key = fillPattern(settings.configKey, { project, env });
  try {
    const head = await deps.s3.headObject({ Bucket: settings.configBucket, Key: key });
    return { key, exists: true, lastModified: head.LastModified };
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || awsErrorName(e) === 'NotFound' || awsErrorName(e) === 'NoSuchKey') return { key, exists: false };
    return { key, unknown: explainAwsError(e, `reading s3://${settings.configBucket}/${key}`)?.message ?? (e as Error).message };
  }
}

/** Reads the source and target records together, strongly consistent. */
export async function readPromotion(deps: Pick<PlanDeps, 'db' | 'settings' | 'region'>, project: string, from: string, to: string): Promise<{ source?: DeployRecord; target?: DeployRecord }> {
  const { db, settings } = deps;
  try {
    const [source, target] = await Promise.all([getRecord(db, settings.table, project, from), getRecord(db, settings.table, project, to)]);
    return { source, target };
  } catch (e) {
    throw tableError(e, settings.table, deps.region, `reading table ${settings.table}`);
  }
}

/** One answer per key, asked at most once: the plan asks speculatively and takes what it needs. */
function once<T>(ask: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const asked = new Map<string, Promise<T>>();
  return (key) => {
    if (!asked.has(key)) asked.set(key, ask(key));
    return asked.get(key)!;
  };
}

/**
 * Builds the plan of a promotion from the source and target records, STS, ECR, the artifact, the
 * config file and the promotion gate. No source record is an error here: the deployer would do
 * nothing and still answer "Success".
 *
 * Round trips (issue 15): everything that needs only the names goes first, together (the two
 * records, STS, the config file's HEAD, the gate's pipeline reads); then everything that needs
 * the source record, together (the artifact, the image and the gate's verdict for the record's
 * Tag, and for the commitref the artifact cache remembers of that artifact when it differs). A
 * third round trip only when the artifact turns out to be the build of another tag than both.
 */
export async function promotePlan(deps: PlanDeps, opts: Pick<DeployOptions, 'project' | 'env' | 'from'>): Promise<PromotePlan> {
  const { settings } = deps;
  const from = sourceEnvFor(settings, opts.env, opts.from);
  const isProtected = settings.protected.includes(opts.env);
  // Round trip 1. Promises that may settle unawaited (an error below) never reject.
  const config = checkConfig(readerOf(deps), settings, opts.project, opts.env);
  // The image check needs the tag from the source record; one image of the repository now opens
  // the connection to ECR that the check then reuses (a new connection costs a round trip or two).
  deps.ecr.describeImages({ repositoryName: opts.project, maxResults: 1 }).catch(() => undefined);
  const gate = deps.gate?.({ project: opts.project, env: opts.env, protected: isProtected }).then(
    (judge) => judge,
    (e: unknown) => async (): Promise<GateCheck> => {
      throw e;
    },
  );
  const [records, identity] = await Promise.all([
    readPromotion(deps, opts.project, from, opts.env),
    deps.sts.getCallerIdentity().catch((e: unknown) => {
      throw explainAwsError(e, 'asking STS who you are') ?? e;
    }),
  ]);
  const { source, target } = records;
  if (!source) {
    throw new SgnError(`${opts.project} has no ${from} record in table ${settings.table}: there is nothing to promote to ${opts.env}.`, {
      hint: `Check the project and environment names (\`sgn ls deployed --project ${opts.project}\`). The deployer would do nothing here and still report success, so sgn invoked nothing.`,
    });
  }
  if (!source.tag) {
    throw new SgnError(`The ${from} record of ${opts.project} has no Tag: sgn cannot tell what would be deployed.`, { hint: `Redeploy ${from} through the pipeline, then promote.` });
  }
  const account = identity.Account ?? '?';
  const registry = settings.ecrRegistry ?? `${account}.dkr.ecr.${deps.region}.amazonaws.com`;
  // Round trip 2: per tag, the image and the gate's verdict, each asked once.
  const imageOf = once((tag) => checkImage(deps.ecr, opts.project, tag));
  const gateOf = once(async (tag) => (gate ? (await gate)(tag) : undefined));
  const artifact = checkArtifact(readerOf(deps), source);
  // The deployer deploys the artifact's commitref: when the cache already knows it and it
  // differs from the record's Tag, ask about it too, now, instead of after the artifact.
  const remembered = source.bucketName && source.objectKey ? rememberedCommitref(deps.cache, source.bucketName, source.objectKey) : Promise.resolve(undefined);
  void remembered.then((ref) => {
    if (ref && ref !== source.tag) {
      void imageOf(ref);
      gateOf(ref).catch(() => undefined);
    }
  });
  const [checked, recordImage, configCheck, recordGate] = await Promise.all([artifact, imageOf(source.tag), config, gateOf(source.tag)]);
  const tag = checked.status === 'ok' ? checked.commitref : source.tag;
  // The image and the gate, too, judge the tag the deployer will deploy (already asked, as a rule).
  const [image, gateCheck] = tag === source.tag ? [recordImage, recordGate] : await Promise.all([imageOf(tag), gateOf(tag)]);
  return {
    kind: 'promote',
    project: opts.project,
    from,
    to: opts.env,
    source,
    target,
    tag,
    artifact: checked,
    config: configCheck,
    upToDate: target?.tag === tag,
    image: { uri: `${registry}/${opts.project}:${tag}`, ...image },
    caller: { arn: identity.Arn ?? '?', account },
    functionName: settings.function,
    payload: deployPayload(opts.project, from, opts.env),
    protected: isProtected,
    ...(gateCheck ? { gate: gateCheck } : {}),
  };
}

/** The commitref the artifact cache remembers of an artifact (not checked against its ETag: only a guess to ask about early). */
async function rememberedCommitref(cache: ArtifactCache, bucket: string, key: string): Promise<string | undefined> {
  try {
    return (await cache.load(bucket)).get(key)?.deployspec?.commitref;
  } catch {
    return undefined;
  }
}

/**
 * Builds the plan of a rollback or `deploy --tag`: the target record, the history and the
 * chosen build, then the same checks as a promotion. The source is a temporary record that
 * the deploy writes right before the invoke and deletes right after.
 */
export async function releasePlan(
  deps: PlanDeps & Pick<ResolveDeps, 'now' | 'pick' | 'report' | 'signal'>,
  opts: Pick<DeployOptions, 'project' | 'env'> & { release: NonNullable<DeployOptions['release']> },
): Promise<PromotePlan & { history: HistoryEntry[] }> {
  const { settings } = deps;
  const [read, identity] = await Promise.all([
    Promise.all([queryProject(deps.db, settings.table, opts.project), queryHistory(deps.db, settings.table, opts.project, { env: opts.env, limit: 50 })]).catch((e: unknown) => {
      throw tableError(e, settings.table, deps.region, `reading table ${settings.table}`);
    }),
    deps.sts.getCallerIdentity().catch((e: unknown) => {
      throw explainAwsError(e, 'asking STS who you are') ?? e;
    }),
  ]);
  const [projectRecords, history] = read;
  // The target must be read strongly consistent: the Query above may lag a write just made.
  const target = await getRecord(deps.db, settings.table, opts.project, opts.env).catch((e: unknown) => {
    throw tableError(e, settings.table, deps.region, `reading table ${settings.table}`);
  });
  const records = projectRecords.filter((r) => r.env !== opts.env).concat(target ? [target] : []);
  const release = await resolveRelease(
    { db: deps.db, s3: deps.s3, ecr: deps.ecr, cache: deps.cache, settings, region: deps.region, signal: deps.signal, report: deps.report, now: deps.now, pick: deps.pick },
    { project: opts.project, env: opts.env, kind: opts.release.kind, tag: opts.release.tag, target, history, records },
  );
  const account = identity.Account ?? '?';
  const registry = settings.ecrRegistry ?? `${account}.dkr.ecr.${deps.region}.amazonaws.com`;
  const from = temporaryEnv(opts.release.kind, release.tag, opts.env);
  const [image, config] = await Promise.all([checkImage(deps.ecr, opts.project, release.tag), checkConfig(readerOf(deps), settings, opts.project, opts.env)]);
  const source: DeployRecord = { project: opts.project, env: from, tag: release.tag, deployedAt: release.builtAt, bucketName: release.bucket, objectKey: release.key, extra: {} };
  return {
    kind: opts.release.kind,
    project: opts.project,
    from,
    to: opts.env,
    source,
    target,
    tag: release.tag,
    artifact: { status: 'ok', bucket: release.bucket, key: release.key, commitref: release.deployspec.commitref, envsecret: release.deployspec.envsecret, namespace: release.deployspec.namespace },
    config,
    release,
    temporarySource: temporaryItem(opts.project, from, release, deps.now(), identity.Arn ?? '?'),
    upToDate: target?.tag === release.tag,
    image: { uri: `${registry}/${opts.project}:${release.tag}`, ...image },
    caller: { arn: identity.Arn ?? '?', account },
    functionName: settings.function,
    payload: deployPayload(opts.project, from, opts.env),
    protected: settings.protected.includes(opts.env),
    history,
  };
}
