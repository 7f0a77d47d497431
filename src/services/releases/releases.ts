import type { DynamoApi } from '../../aws/dynamodb.js';
import type { EcrApi } from '../../aws/ecr.js';
import type { S3Api } from '../../aws/s3.js';
import { SgnError, awsErrorName, explainAwsError } from '../../errors.js';
import type { Progress, Reporter } from '../../io.js';
import { fillPattern, type Settings } from '../../settings/schema.js';
import { queryProject, tableError, type DeployRecord } from '../records.js';
import type { ArtifactCache } from './artifact-cache.js';
import { readArtifacts, type Artifact, type ArtifactReadStats } from './artifact.js';

/** What `sgn releases` was asked. */
export interface ReleasesOptions {
  project: string;
  /** The newest this many builds; undefined: all. */
  limit?: number;
}

export interface ReleasesDeps {
  db: DynamoApi;
  s3: Pick<S3Api, 'listObjectsV2' | 'getObject' | 'headObject'>;
  ecr: Pick<EcrApi, 'batchGetImage'>;
  cache: ArtifactCache;
  settings: Pick<Settings, 'table' | 'artifactBucket' | 'artifactPrefix'>;
  region?: string;
  signal?: AbortSignal;
  report: Reporter;
}

/** Whether ECR still has a release's image (`<project>:<commitref>`). */
export type ReleaseImage = 'present' | 'missing' | 'no-repository' | 'unknown';

/** One build of the project, as its artifact and ECR tell. */
export interface Release {
  /** The deployspec's commitref (the image tag); undefined when the artifact is unusable. */
  tag?: string;
  /** When the artifact was written (the build's end): S3 LastModified. */
  builtAt: Date;
  bucket: string;
  key: string;
  size: number;
  etag: string;
  /** Environments whose deploy record points at this artifact now. */
  envs: string[];
  /** Unusable artifacts have no image to check. */
  image?: ReleaseImage;
  /** Why the artifact cannot be deployed (not a zip, no deployspec.yml, no commitref). */
  unusable?: string;
  /** The deployer can deploy it: a usable artifact whose image is in ECR. */
  deployable: boolean;
}

export interface ReleasesResult {
  project: string;
  /** Where the builds were listed. */
  sources: { bucket: string; prefix: string }[];
  /** Builds found under the prefixes. */
  total: number;
  /** The newest `limit` of them, newest first. */
  releases: Release[];
  /** What each environment runs now (the project's deploy records). */
  current: { env: string; tag?: string; deployedAt?: Date; bucket?: string; key?: string }[];
  /** What reading the artifacts cost (bytes of zips; cached ones cost none). */
  reads: { artifacts: number; cached: number; requests: number; bytes: number };
}

/** The folder of an object key: `web/BuildArtif/abc123` -> `web/BuildArtif/`. */
export function prefixOf(key: string): string {
  const i = key.lastIndexOf('/');
  return i < 0 ? '' : key.slice(0, i + 1);
}

/**
 * Where a project's builds are: the settings artifactBucket/artifactPrefix when set, else the
 * bucket and folder of each deploy record's artifact (CodePipeline writes every build of a
 * pipeline's artifact under one folder).
 */
export function releaseSources(project: string, records: DeployRecord[], settings: ReleasesDeps['settings']): { bucket: string; prefix: string }[] {
  const fixedPrefix = settings.artifactPrefix ? fillPattern(settings.artifactPrefix, { project }) : undefined;
  const pairs = new Map<string, { bucket: string; prefix: string }>();
  // Newest record first, so that the usual single folder comes out first.
  const byAge = [...records].sort((a, b) => (b.deployedAt?.getTime() ?? 0) - (a.deployedAt?.getTime() ?? 0));
  for (const r of byAge) {
    const bucket = settings.artifactBucket ?? r.bucketName;
    const prefix = fixedPrefix ?? (r.objectKey ? prefixOf(r.objectKey) : undefined);
    if (bucket && prefix !== undefined && prefix !== '') pairs.set(`${bucket}\0${prefix}`, { bucket, prefix });
  }
  if (pairs.size === 0 && settings.artifactBucket && fixedPrefix) pairs.set('', { bucket: settings.artifactBucket, prefix: fixedPrefix });
  if (pairs.size === 0) {
    throw new SgnError(`sgn cannot tell where the builds of ${project} are: it has no deploy record with an artifact${settings.artifactBucket ? ' and no artifactPrefix is set' : ''}.`, {
      hint: `Check the name (\`sgn ls deployed --project ${project}\`), or name the folder: \`sgn config set artifactPrefix '{project}/BuildArtif/'\`${settings.artifactBucket ? '' : ' and `sgn config set artifactBucket <bucket>`'}.`,
    });
  }
  return [...pairs.values()];
}

interface Listed {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
}

async function listBuilds(s3: ReleasesDeps['s3'], bucket: string, prefix: string, signal?: AbortSignal): Promise<Listed[]> {
  const out: Listed[] = [];
  let token: string | undefined;
  do {
    signal?.throwIfAborted();
    let page;
    try {
      page = await s3.listObjectsV2({ Bucket: bucket, Prefix: prefix, ContinuationToken: token });
    } catch (e) {
      if (awsErrorName(e) === 'NoSuchBucket') throw new SgnError(`The artifact bucket "${bucket}" does not exist.`, { hint: 'Name the right one: `sgn config set artifactBucket <bucket>`.', cause: e });
      throw explainAwsError(e, `listing s3://${bucket}/${prefix}`) ?? e;
    }
    for (const o of page.Contents ?? []) {
      // Folder markers are not builds.
      if (!o.Key || o.Key.endsWith('/')) continue;
      out.push({ bucket, key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? '', lastModified: o.LastModified ?? new Date(0) });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/**
 * Which tags of a repository exist, by BatchGetImage (100 ids a call; a tag that is gone is a
 * `failure`, not an error). Errors other than a missing repository give `unknown`.
 */
export async function imagesPresent(ecr: Pick<EcrApi, 'batchGetImage'>, repository: string, tags: string[]): Promise<Map<string, ReleaseImage>> {
  const out = new Map<string, ReleaseImage>();
  const unique = [...new Set(tags)];
  const chunks = Array.from({ length: Math.ceil(unique.length / 100) }, (_, i) => unique.slice(i * 100, i * 100 + 100));
  await Promise.all(
    chunks.map(async (chunk) => {
      try {
        const res = await ecr.batchGetImage({ repositoryName: repository, imageIds: chunk.map((imageTag) => ({ imageTag })) });
        // What came back is named by `failures`: the images themselves may carry another of their tags as imageId.
        for (const t of chunk) out.set(t, 'present');
        for (const f of res.failures ?? []) {
          const t = f.imageId?.imageTag;
          if (t) out.set(t, f.failureCode === 'ImageNotFound' ? 'missing' : 'unknown');
        }
      } catch (e) {
        const status: ReleaseImage = awsErrorName(e) === 'RepositoryNotFoundException' ? 'no-repository' : 'unknown';
        for (const t of chunk) out.set(t, status);
      }
    }),
  );
  return out;
}

/** `sgn releases <project>`: the project's builds, newest first, with where each runs and whether it can be deployed. */
export async function listReleases(deps: ReleasesDeps, opts: ReleasesOptions): Promise<ReleasesResult> {
  let records: DeployRecord[];
  try {
    records = await queryProject(deps.db, deps.settings.table, opts.project);
  } catch (e) {
    throw tableError(e, deps.settings.table, deps.region, `reading table ${deps.settings.table}`);
  }
  const sources = releaseSources(opts.project, records, deps.settings);
  const listed = (await Promise.all(sources.map((s) => listBuilds(deps.s3, s.bucket, s.prefix, deps.signal)))).flat();
  listed.sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime() || (a.key < b.key ? -1 : 1));
  const chosen = opts.limit === undefined ? listed : listed.slice(0, opts.limit);
  let progress: Progress | undefined;
  const reads = await readArtifacts({ s3: deps.s3, cache: deps.cache }, chosen.map((l) => ({ bucket: l.bucket, key: l.key, size: l.size, etag: l.etag })), {
    signal: deps.signal,
    onRead: (done, of) => {
      // Only builds not read before cost requests; say so when there are many.
      if (of >= 20) (progress ??= deps.report.progress(`Reading the deployspec of ${of} builds`)).update(`Reading the deployspec of ${of} builds (${done} done)`);
    },
  }).finally(() => progress?.succeed());
  const tags = reads.flatMap((r) => (r.artifact.status === 'ok' ? [r.artifact.deployspec.commitref] : []));
  const images = tags.length ? await imagesPresent(deps.ecr, opts.project, tags) : new Map<string, ReleaseImage>();
  const envsOf = new Map<string, string[]>();
  for (const r of records) {
    if (!r.bucketName || !r.objectKey) continue;
    const k = `${r.bucketName}\0${r.objectKey}`;
    envsOf.set(k, [...(envsOf.get(k) ?? []), r.env]);
  }
  const releases = chosen.map((l, i): Release => {
    const a: Artifact = reads[i].artifact;
    const base = { builtAt: l.lastModified, bucket: l.bucket, key: l.key, size: l.size, etag: l.etag, envs: envsOf.get(`${l.bucket}\0${l.key}`) ?? [] };
    if (a.status === 'ok') {
      const image = images.get(a.deployspec.commitref) ?? 'unknown';
      return { ...base, tag: a.deployspec.commitref, image, deployable: image === 'present' };
    }
    return { ...base, unusable: a.reason, deployable: false };
  });
  const sum = (f: (s: ArtifactReadStats) => number) => reads.reduce((n, r) => n + f(r.stats), 0);
  return {
    project: opts.project,
    sources,
    total: listed.length,
    releases,
    current: records.map((r) => ({ env: r.env, tag: r.tag, deployedAt: r.deployedAt, bucket: r.bucketName, key: r.objectKey })),
    reads: { artifacts: reads.length, cached: reads.filter((r) => r.stats.cached).length, requests: sum((s) => s.requests), bytes: sum((s) => s.bytes) },
  };
}
