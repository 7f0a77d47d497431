import type { DynamoApi, Item } from '../../aws/dynamodb.js';
import { SgnError, awsErrorName } from '../../errors.js';
import type { Reporter } from '../../io.js';
import { formatAge, formatDeployed } from '../../time.js';
import { sgnItemPrefix, type DeployRecord } from '../records.js';
import { previousRelease, type HistoryEntry } from '../history/audit.js';
import { readArtifact, type ArtifactReaderDeps } from '../releases/artifact.js';
import type { Deployspec } from '../releases/deployspec.js';
import { listReleases, type Release, type ReleasesDeps } from '../releases/releases.js';

/**
 * Deploying a chosen build (rollback, `deploy --tag`) through the unchanged deployer
 * (pipeline-contract.md, "Releases and rollback"): sgn writes a temporary source record whose
 * bucketName/objectKey/Tag are the build's, under an Env of its own, invokes the deployer with
 * envFrom = that Env, and deletes the record on every exit path. A run killed before it could
 * delete leaves one behind: the next run of the project removes it once no deployer can still
 * be reading it (older than the function's timeout).
 */

export type ReleaseKind = 'rollback' | 'release';

/** The build a rollback or `deploy --tag` deploys. */
export interface ChosenRelease {
  tag: string;
  bucket: string;
  key: string;
  builtAt?: Date;
  deployspec: Deployspec;
  /** How it was chosen, for the plan: "history", "--to", "picked". */
  via: 'history' | 'tag' | 'picked';
}

/** Temporary source records: `sgn:rollback:<tag>@<env>` / `sgn:release:<tag>@<env>`, so the deployer's Slack line reads "Deployment from sgn:rollback:git-x@production to production". */
export const temporaryPrefixes = [`${sgnItemPrefix}rollback:`, `${sgnItemPrefix}release:`];

export function temporaryEnv(kind: ReleaseKind, tag: string, env: string): string {
  return `${sgnItemPrefix}${kind}:${tag}@${env}`;
}

/** The temporary source record: what the deployer reads (Tag, bucketName, objectKey) plus sgn's own marks. */
export function temporaryItem(project: string, envName: string, release: ChosenRelease, created: Date, caller: string): Item {
  return {
    Application: { S: project },
    Env: { S: envName },
    Tag: { S: release.tag },
    bucketName: { S: release.bucket },
    objectKey: { S: release.key },
    Deployed: { S: formatDeployed(release.builtAt ?? created) },
    sgnTemporary: { BOOL: true },
    sgnCreated: { N: String(Math.floor(created.getTime() / 1000)) },
    sgnCaller: { S: caller },
  };
}

/** Levenshtein distance, for "did you mean" lists of tags. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The releases whose tags are closest to `tag` (then newest first), at most `n`. */
export function nearestReleases(tag: string, releases: Release[], n = 5): Release[] {
  const bare = (t: string) => t.replace(/^git-/, '');
  return releases
    .filter((r) => r.tag)
    .map((r, i) => ({ r, i, d: editDistance(bare(tag), bare(r.tag!)) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .slice(0, n)
    .map((x) => x.r);
}

export interface ResolveDeps extends Omit<ReleasesDeps, 'settings'> {
  settings: ReleasesDeps['settings'];
  now: () => Date;
  /** Asks the person at the terminal to pick; undefined when there is none. */
  pick?: (question: string, choices: { value: string; name: string }[]) => Promise<string>;
}

export interface ResolveInput {
  project: string;
  env: string;
  kind: ReleaseKind;
  /** `--to` / `--tag`. */
  tag?: string;
  target?: DeployRecord;
  history: HistoryEntry[];
  records: DeployRecord[];
}

function gone(project: string, tag: string, bucket: string, key: string): SgnError {
  return new SgnError(`The artifact of ${project} ${tag} (s3://${bucket}/${key}) is gone: it was deleted or expired by a bucket lifecycle rule, so the deployer could not read it.`, {
    hint: `Pick another build: \`sgn releases ${project}\`.`,
    code: 'deploy.artifact-gone',
  });
}

/** Reads the artifact at bucket/key and checks it is the build of `tag`; refuses a gone or unusable one. */
async function releaseAt(deps: ArtifactReaderDeps, project: string, tag: string, bucket: string, key: string, via: ChosenRelease['via']): Promise<ChosenRelease> {
  const { artifact } = await readArtifact(deps, { bucket, key });
  if (artifact.status === 'missing') throw gone(project, tag, bucket, key);
  if (artifact.status === 'unusable') throw new SgnError(`The artifact of ${project} ${tag} (s3://${bucket}/${key}) cannot be deployed: ${artifact.reason}.`, { hint: `Pick another build: \`sgn releases ${project}\`.` });
  return { tag: artifact.deployspec.commitref, bucket, key, builtAt: artifact.lastModified, deployspec: artifact.deployspec, via };
}

/**
 * Finds the build to deploy: `tag` if given (from the records and history first, else the
 * project's releases); else, for a rollback, what the env ran before its current tag (history),
 * or a pick from the releases on a terminal.
 */
export async function resolveRelease(deps: ResolveDeps, input: ResolveInput): Promise<ChosenRelease> {
  const reader: ArtifactReaderDeps = { s3: deps.s3, cache: deps.cache };
  const { project, env } = input;
  const listAll = async () => (await listReleases({ ...deps, settings: deps.settings }, { project })).releases;

  if (input.tag) {
    const tag = input.tag;
    // Known artifacts of this tag first: no listing needed.
    const known = [
      ...input.records.filter((r) => r.tag === tag && r.bucketName && r.objectKey).map((r) => ({ bucket: r.bucketName!, key: r.objectKey! })),
      ...input.history.flatMap((h) => [
        ...(h.toTag === tag && h.toBucket && h.toKey ? [{ bucket: h.toBucket, key: h.toKey }] : []),
        ...(h.fromTag === tag && h.fromBucket && h.fromKey ? [{ bucket: h.fromBucket, key: h.fromKey }] : []),
      ]),
    ];
    for (const k of known) {
      const { artifact } = await readArtifact(reader, k);
      if (artifact.status === 'ok' && artifact.deployspec.commitref === tag) return { tag, bucket: k.bucket, key: k.key, builtAt: artifact.lastModified, deployspec: artifact.deployspec, via: 'tag' };
    }
    const releases = await listAll();
    const matches = releases.filter((r) => r.tag === tag);
    const best = matches.find((r) => r.deployable) ?? matches[0];
    if (!best) {
      const near = nearestReleases(tag, releases);
      throw new SgnError(`${tag} is not a release of ${project}${near.length ? `; the nearest are ${near.map((r) => `${r.tag} (built ${formatAge(new Date(r.builtAt), deps.now())})`).join(', ')}` : ': it has no usable builds'}.`, {
        hint: `See every build with \`sgn releases ${project}\`.`,
        code: 'deploy.unknown-tag',
      });
    }
    return { ...(await releaseAt(reader, project, tag, best.bucket, best.key, 'tag')), builtAt: new Date(best.builtAt) };
  }

  const current = input.target?.tag;
  const before = previousRelease(input.history, env, current);
  if (before) {
    if (!before.tag) {
      throw new SgnError(`${project} has no earlier release in ${env}: ${current ?? 'its first deploy'} was the first one sgn deployed there (${formatAge(before.entry.startedAt, deps.now())}).`, {
        hint: `Deploy a chosen build with \`sgn rollback ${project} ${env} --to <tag>\` (\`sgn releases ${project}\` lists them).`,
        code: 'deploy.no-earlier-release',
      });
    }
    if (before.bucket && before.key) return releaseAt(reader, project, before.tag, before.bucket, before.key, 'history');
    return resolveRelease(deps, { ...input, tag: before.tag });
  }
  // No history of this env: a person may pick from the releases; a script must say --to.
  if (!deps.pick) {
    throw new SgnError(`sgn has no history of ${project} in ${env}, so it cannot tell what ran before ${current ?? 'now'}.`, {
      hint: `Name the build: \`sgn rollback ${project} ${env} --to <tag>\` (\`sgn releases ${project}\` lists them).`,
      code: 'deploy.no-history',
    });
  }
  const releases = (await listAll()).filter((r) => r.tag && r.tag !== current && r.deployable);
  if (releases.length === 0) {
    throw new SgnError(`${project} has no earlier release to roll ${env} back to: no other build is deployable.`, { hint: `See \`sgn releases ${project}\`.`, code: 'deploy.no-earlier-release' });
  }
  const picked = await deps.pick(
    `No history of ${env} yet: which build should ${env} run?`,
    releases.slice(0, 15).map((r) => ({ value: r.key, name: `${r.tag}  built ${formatAge(new Date(r.builtAt), deps.now())}${r.envs.length ? `  (runs in ${r.envs.join(', ')})` : ''}` })),
  );
  const r = releases.find((x) => x.key === picked)!;
  return { ...(await releaseAt(reader, project, r.tag!, r.bucket, r.key, 'picked')), builtAt: new Date(r.builtAt) };
}

/**
 * Removes temporary source records that runs killed before they could delete them (older than
 * the function's timeout plus a margin, so that no deployer can still be reading one). Returns
 * what was removed; never throws (a leftover is harmless: only sgn ever names it as envFrom).
 */
export async function cleanLeftovers(db: Pick<DynamoApi, 'query' | 'deleteItem'>, table: string, project: string, opts: { now: Date; olderThanS: number; report: Reporter }): Promise<string[]> {
  const removed: string[] = [];
  try {
    const pages = await Promise.all(
      temporaryPrefixes.map((prefix) =>
        db.query({
          TableName: table,
          KeyConditionExpression: 'Application = :p AND begins_with(Env, :t)',
          ExpressionAttributeValues: { ':p': { S: project }, ':t': { S: prefix } },
          ConsistentRead: true,
        }),
      ),
    );
    for (const item of pages.flatMap((p) => p.Items ?? [])) {
      const created = Number(item.sgnCreated?.N ?? 0);
      const age = opts.now.getTime() / 1000 - created;
      if (!item.sgnTemporary?.BOOL || age < opts.olderThanS) continue;
      try {
        await db.deleteItem({
          TableName: table,
          Key: { Application: item.Application, Env: item.Env },
          ConditionExpression: 'sgnCreated = :c',
          ExpressionAttributeValues: { ':c': { N: String(created) } },
        });
        removed.push(item.Env.S!);
        opts.report.emit({
          level: 'warn',
          code: 'deploy.leftover.removed',
          message: `Removed the temporary source record ${item.Env.S} (${item.Tag?.S ?? '?'}) that a run of ${item.sgnCaller?.S ?? 'someone'} left ${formatAge(new Date(created * 1000), opts.now)}; it was never deployed by sgn after that run.`,
        });
      } catch (e) {
        if (awsErrorName(e) !== 'ConditionalCheckFailedException') throw e;
      }
    }
  } catch (e) {
    opts.report.emit({ level: 'debug', code: 'deploy.leftover.error', message: `Could not look for leftover temporary records: ${(e as Error).message}` });
  }
  return removed;
}
