import type { DynamoApi } from '../../aws/dynamodb.js';
import type { EcrApi } from '../../aws/ecr.js';
import type { StsApi } from '../../aws/sts.js';
import { SgnError, UsageError, awsErrorName, explainAwsError } from '../../errors.js';
import type { Settings } from '../../settings/schema.js';
import { promotionCycle } from '../../settings/validate.js';
import { getRecord, tableError, type DeployRecord } from '../records.js';

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
}

/** The deployer's manual-deploy event (pipeline-contract.md), key order as documented. */
export interface DeployPayload {
  'SGNRunDeploy.job': { Application: string; envFrom: string; envTo: string };
}

export type ImageStatus = 'present' | 'missing' | 'no-repository' | 'unknown';

/** Everything known before invoking: what moves where, whether it can, and who asks. */
export interface PromotePlan {
  project: string;
  from: string;
  to: string;
  source: DeployRecord;
  target?: DeployRecord;
  /** The target already runs the source's tag. */
  upToDate: boolean;
  image: { uri: string; status: ImageStatus; detail?: string };
  caller: { arn: string; account: string };
  functionName: string;
  payload: DeployPayload;
  /** The target needs a confirmation (settings `protected`). */
  protected: boolean;
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

/**
 * Builds the plan of a promotion from the source and target records, STS and ECR. No source
 * record is an error here: the deployer would do nothing and still answer "Success".
 */
export async function promotePlan(deps: PlanDeps, opts: Pick<DeployOptions, 'project' | 'env' | 'from'>): Promise<PromotePlan> {
  const { settings } = deps;
  const from = sourceEnvFor(settings, opts.env, opts.from);
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
  const image = await checkImage(deps.ecr, opts.project, source.tag);
  return {
    project: opts.project,
    from,
    to: opts.env,
    source,
    target,
    upToDate: target?.tag === source.tag,
    image: { uri: `${registry}/${opts.project}:${source.tag}`, ...image },
    caller: { arn: identity.Arn ?? '?', account },
    functionName: settings.function,
    payload: deployPayload(opts.project, from, opts.env),
    protected: settings.protected.includes(opts.env),
  };
}
