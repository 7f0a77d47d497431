/**
 * Reading and writing one config object. Writes are conditional (If-Match the ETag that was
 * read, If-None-Match "*" for a new file), so a change made meanwhile is never overwritten; and
 * they carry the object's settings over (content type, SSE-KMS key, metadata, tags), because a
 * PutObject without them would silently drop encryption or metadata from the new version.
 */
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import { ObjectTooLargeError, type S3Api } from '../../aws/s3.js';
import { awsErrorName, explainAwsError, SgnError } from '../../errors.js';
import { exactBytes, formatBytes } from '../../bytes.js';

export interface ConfigRef {
  bucket: string;
  key: string;
  project: string;
  env: string;
}

/** s3://bucket/key */
export function s3Url(ref: Pick<ConfigRef, 'bucket' | 'key'>): string {
  return `s3://${ref.bucket}/${ref.key}`;
}

/** What a new version must carry over from the object it replaces. */
export type KeptSettings = Pick<
  PutObjectCommandInput,
  | 'ContentType'
  | 'ContentEncoding'
  | 'ContentLanguage'
  | 'ContentDisposition'
  | 'CacheControl'
  | 'Metadata'
  | 'ServerSideEncryption'
  | 'SSEKMSKeyId'
  | 'BucketKeyEnabled'
  | 'StorageClass'
  | 'Tagging'
>;

export interface StoredConfig {
  bytes: Uint8Array;
  etag: string;
  versionId?: string;
  lastModified?: Date;
  keep: KeptSettings;
}

/** The content type of config files sgn creates. */
export const newFileContentType = 'text/plain; charset=utf-8';

/** Turns S3 errors every cfg command can meet into one sentence with a hint; rethrows others. */
export function s3Error(e: unknown, ref: Pick<ConfigRef, 'bucket'> & { key?: string }, what: string): Error {
  const known = explainAwsError(e, what);
  if (known) return known;
  const name = awsErrorName(e);
  if (name === 'NoSuchBucket') {
    return new SgnError(`The config bucket "${ref.bucket}" does not exist.`, { hint: 'Point sgn at the right one: sgn config set configBucket <name> (or -c configBucket=<name> for one run).', cause: e });
  }
  return e as Error;
}

/**
 * Reads a config object (a given version, or the current one); undefined when there is none
 * (or the current version is a delete marker). With `withTags`, also reads its tags to keep them.
 */
export async function fetchConfig(
  s3: S3Api,
  ref: ConfigRef,
  opts: { versionId?: string; maxBytes: number; withTags?: boolean; debug?: (m: string) => void },
): Promise<StoredConfig | undefined> {
  let out;
  try {
    out = await s3.getObject({ Bucket: ref.bucket, Key: ref.key, ...(opts.versionId ? { VersionId: opts.versionId } : {}) }, { maxBytes: opts.maxBytes });
  } catch (e) {
    const name = awsErrorName(e);
    if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
    if (e instanceof ObjectTooLargeError) {
      throw new SgnError(`${s3Url(ref)} is over ${exactBytes(opts.maxBytes)} (${formatBytes(opts.maxBytes, 'binary')}), the most sgn reads as a config file.`, {
        hint: 'The deployer reads it, but a Secret holds at most 1 MiB of values, so it is mostly comments or ignored sections. Inspect it with `aws s3 cp`.',
      });
    }
    if (opts.versionId && (name === 'NoSuchVersion' || name === 'InvalidArgument')) {
      throw new SgnError(`${s3Url(ref)} has no version "${opts.versionId}".`, { hint: `List its versions with: sgn cfg history ${ref.project} ${ref.env}` });
    }
    throw s3Error(e, ref, `reading ${s3Url(ref)}`);
  }
  let tagging: string | undefined;
  if (opts.withTags) {
    try {
      const tags = await s3.getObjectTagging({ Bucket: ref.bucket, Key: ref.key, VersionId: out.VersionId });
      if (tags.TagSet?.length) tagging = new URLSearchParams(tags.TagSet.map((t): [string, string] => [t.Key ?? '', t.Value ?? ''])).toString();
    } catch (e) {
      throw s3Error(e, ref, `reading the tags of ${s3Url(ref)} (sgn keeps them on the new version)`);
    }
  }
  opts.debug?.(`GetObject ${s3Url(ref)}: version ${out.VersionId ?? '-'}, ETag ${out.ETag}, ${out.Body.length} bytes, SSE ${out.ServerSideEncryption ?? 'none'}`);
  return {
    bytes: out.Body,
    etag: out.ETag ?? '',
    versionId: out.VersionId && out.VersionId !== 'null' ? out.VersionId : undefined,
    lastModified: out.LastModified,
    keep: {
      ContentType: out.ContentType,
      ContentEncoding: out.ContentEncoding,
      ContentLanguage: out.ContentLanguage,
      ContentDisposition: out.ContentDisposition,
      CacheControl: out.CacheControl,
      Metadata: out.Metadata && Object.keys(out.Metadata).length ? out.Metadata : undefined,
      ServerSideEncryption: out.ServerSideEncryption,
      SSEKMSKeyId: out.SSEKMSKeyId,
      BucketKeyEnabled: out.BucketKeyEnabled,
      StorageClass: out.StorageClass && out.StorageClass !== 'STANDARD' ? out.StorageClass : undefined,
      Tagging: tagging,
    },
  };
}

export type PutOutcome =
  | { ok: true; etag: string; versionId?: string }
  /** changed: not the fetched version any more; deleted: gone since; exists: created meanwhile. */
  | { ok: false; reason: 'changed' | 'deleted' | 'exists' };

/**
 * Uploads a new version only if the object is still the one that was read (`expected`), or
 * still absent when `expected` is undefined. S3 answers 412 when the ETag no longer matches,
 * 409 when another conditional write is in flight, 404 when the object is gone.
 */
export async function putConfig(
  s3: S3Api,
  ref: ConfigRef,
  bytes: Uint8Array,
  expected: Pick<StoredConfig, 'etag'> | undefined,
  keep: KeptSettings,
  debug?: (m: string) => void,
): Promise<PutOutcome> {
  const settings = Object.fromEntries(Object.entries(keep).filter(([, v]) => v !== undefined)) as KeptSettings;
  try {
    const out = await s3.putObject({
      Bucket: ref.bucket,
      Key: ref.key,
      Body: bytes,
      ContentLength: bytes.length,
      ...(settings.ContentType ? {} : { ContentType: newFileContentType }),
      ...settings,
      ...(expected ? { IfMatch: expected.etag } : { IfNoneMatch: '*' }),
    });
    debug?.(`PutObject ${s3Url(ref)} (${expected ? `If-Match ${expected.etag}` : 'If-None-Match *'}): version ${out.VersionId ?? '-'}, ETag ${out.ETag}`);
    return { ok: true, etag: out.ETag ?? '', versionId: out.VersionId && out.VersionId !== 'null' ? out.VersionId : undefined };
  } catch (e) {
    const name = awsErrorName(e);
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    debug?.(`PutObject ${s3Url(ref)} refused: ${name} (${status})`);
    if (name === 'NoSuchBucket') throw s3Error(e, ref, `writing ${s3Url(ref)}`);
    if (name === 'PreconditionFailed' || status === 412) return { ok: false, reason: expected ? 'changed' : 'exists' };
    if (name === 'ConditionalRequestConflict' || status === 409) return { ok: false, reason: 'changed' };
    if (expected && (name === 'NoSuchKey' || status === 404)) return { ok: false, reason: 'deleted' };
    throw s3Error(e, ref, `writing ${s3Url(ref)}`);
  }
}
