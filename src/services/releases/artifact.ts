import type { S3Api } from '../../aws/s3.js';
import { awsErrorName } from '../../errors.js';
import type { ArtifactCache, CachedArtifact } from './artifact-cache.js';
import { parseDeployspec, type Deployspec } from './deployspec.js';
import { ZipFormatError, entrySpan, locateCentralDirectory, readCentralDirectory, readEntry, type Window } from './zip-index.js';

/**
 * Reads a build artifact's `deployspec.yml` (commitref, namespace, spec, envsecret) from the
 * artifact zip in S3 without downloading it: one ranged GET of the zip's tail for the central
 * directory (more only when the directory is larger than the tail), then one ranged GET of the
 * `deployspec.yml` entry unless the tail already holds it. Results are cached per
 * bucket/key/ETag: artifacts never change, so a warm read costs no zip bytes.
 */

/** Where an artifact is; size and ETag come with a listing (they save a request). */
export interface ArtifactRef {
  bucket: string;
  key: string;
  size?: number;
  etag?: string;
}

export type Artifact =
  | { status: 'ok'; bucket: string; key: string; etag: string; size: number; lastModified?: Date; deployspec: Deployspec }
  /** A zip the deployer could not deploy from (or not a zip at all): `reason` says why. */
  | { status: 'unusable'; bucket: string; key: string; etag: string; size: number; reason: string }
  /** No such object (expired by a bucket lifecycle rule, or deleted). */
  | { status: 'missing'; bucket: string; key: string; reason: string };

/** What reading one artifact cost. */
export interface ArtifactReadStats {
  requests: number;
  /** Body bytes received (zip bytes). */
  bytes: number;
  cached: boolean;
}

export interface ArtifactReaderDeps {
  s3: Pick<S3Api, 'getObject' | 'headObject'>;
  cache: ArtifactCache;
}

/** Bytes of the first ranged read from the end: the central directory of a pipeline artifact (deployspec.yml and a few templates) is well under 1 KiB. */
export const defaultTailBytes = 4 * 1024;
/** A deployspec larger than this is not one (the deployer would still read it; sgn refuses to hold it). */
const maxDeployspecBytes = 1024 * 1024;
/** The central directory of an artifact is small; a huge one means this is not a build artifact. */
const maxDirectoryBytes = 16 * 1024 * 1024;
const deployspecName = 'deployspec.yml';

const isMissing = (e: unknown) => ['NoSuchKey', 'NotFound', 'NoSuchBucket'].includes(awsErrorName(e) ?? '') || (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 404;

/** `bytes a-b/total` -> total. */
function totalOf(contentRange: string | undefined): number | undefined {
  const m = /\/(\d+)\s*$/.exec(contentRange ?? '');
  return m ? Number(m[1]) : undefined;
}

class Reader {
  readonly stats: ArtifactReadStats = { requests: 0, bytes: 0, cached: false };
  etag?: string;
  size?: number;
  lastModified?: Date;
  constructor(
    private readonly s3: ArtifactReaderDeps['s3'],
    private readonly ref: ArtifactRef,
    private readonly signal?: AbortSignal,
  ) {
    this.etag = ref.etag;
    this.size = ref.size;
  }

  /** One ranged GET; `range` is the header value. Pins the ETag so that every range is of one object. */
  async get(range: string, expect: number): Promise<{ body: Buffer; total?: number }> {
    this.signal?.throwIfAborted();
    this.stats.requests++;
    const out = await this.s3.getObject({ Bucket: this.ref.bucket, Key: this.ref.key, Range: range, ...(this.etag ? { IfMatch: this.etag } : {}) }, { maxBytes: expect });
    this.stats.bytes += out.Body.length;
    this.etag ??= out.ETag;
    this.lastModified ??= out.LastModified;
    const total = totalOf(out.ContentRange) ?? (out.ContentRange ? undefined : out.Body.length);
    if (total !== undefined) this.size ??= total;
    return { body: Buffer.from(out.Body), total };
  }

  /** Bytes [from, to) of the object. */
  async range(from: number, to: number): Promise<Buffer> {
    if (to <= from) return Buffer.alloc(0);
    return (await this.get(`bytes=${from}-${to - 1}`, to - from)).body;
  }
}

const unusable = (ref: ArtifactRef, r: Reader, reason: string): Artifact => ({ status: 'unusable', bucket: ref.bucket, key: ref.key, etag: r.etag ?? '', size: r.size ?? 0, reason });

/** Reads the deployspec of one artifact from S3 (no cache). Unusable artifacts are a result, never a throw. */
async function readFromS3(r: Reader, ref: ArtifactRef, tailBytes: number): Promise<Artifact> {
  let w: Window;
  try {
    if (r.size === 0) return unusable(ref, r, 'the artifact is empty (0 bytes)');
    if (r.size !== undefined) {
      const start = Math.max(0, r.size - tailBytes);
      w = { start, bytes: await r.range(start, r.size) };
    } else {
      const first = await r.get(`bytes=-${tailBytes}`, tailBytes);
      r.size ??= first.total ?? first.body.length;
      w = { start: r.size - first.body.length, bytes: first.body };
    }
  } catch (e) {
    if (isMissing(e)) return { status: 'missing', bucket: ref.bucket, key: ref.key, reason: `s3://${ref.bucket}/${ref.key} does not exist` };
    // A suffix range of an empty object cannot be satisfied.
    if (awsErrorName(e) === 'InvalidRange') return unusable(ref, r, 'the artifact is empty (0 bytes)');
    throw e;
  }
  const size = r.size!;
  try {
    let located = locateCentralDirectory(w, size);
    while (!located.ok) {
      if (size - located.needFrom > maxDirectoryBytes) return unusable(ref, r, `its central directory is larger than ${maxDirectoryBytes} bytes`);
      const more = await r.range(located.needFrom, w.start);
      w = { start: located.needFrom, bytes: Buffer.concat([more, w.bytes]) };
      located = locateCentralDirectory(w, size);
    }
    if (located.cd.offset + located.cd.size > size) throw new ZipFormatError('Bad offset for central directory');
    const entry = readCentralDirectory(w, located.cd).find((e) => e.name === deployspecName);
    if (!entry) return unusable(ref, r, 'no deployspec.yml in the artifact');
    if (entry.size > maxDeployspecBytes) return unusable(ref, r, `its deployspec.yml is ${entry.size} bytes, more than a deployspec can reasonably be`);
    let ew: Window;
    if (entry.localOffset >= w.start) ew = { start: entry.localOffset, bytes: w.bytes.subarray(entry.localOffset - w.start) };
    else {
      const end = Math.min(size, entry.localOffset + entrySpan(entry));
      ew = { start: entry.localOffset, bytes: await r.range(entry.localOffset, end) };
    }
    let data = readEntry(ew, entry, maxDeployspecBytes);
    if (!data.ok && data.needTo <= size && ew.start + ew.bytes.length < data.needTo) {
      ew = { start: ew.start, bytes: Buffer.concat([ew.bytes, await r.range(ew.start + ew.bytes.length, data.needTo)]) };
      data = readEntry(ew, entry, maxDeployspecBytes);
    }
    if (!data.ok) throw new ZipFormatError(`${deployspecName} runs past the end of the file`);
    const parsed = await parseDeployspec(data.data.toString('utf8'));
    if (!parsed.ok) return unusable(ref, r, parsed.reason);
    return { status: 'ok', bucket: ref.bucket, key: ref.key, etag: r.etag ?? '', size, lastModified: r.lastModified, deployspec: parsed.deployspec };
  } catch (e) {
    if (e instanceof ZipFormatError) return unusable(ref, r, e.message === 'File is not a zip file' ? 'not a zip file' : `not a readable zip (${e.message})`);
    if (isMissing(e)) return { status: 'missing', bucket: ref.bucket, key: ref.key, reason: `s3://${ref.bucket}/${ref.key} does not exist` };
    throw e;
  }
}

function fromCache(ref: ArtifactRef, c: CachedArtifact): Artifact {
  return c.status === 'ok' && c.deployspec
    ? { status: 'ok', bucket: ref.bucket, key: ref.key, etag: c.etag, size: c.size, lastModified: c.lastModified ? new Date(c.lastModified) : undefined, deployspec: c.deployspec }
    : { status: 'unusable', bucket: ref.bucket, key: ref.key, etag: c.etag, size: c.size, reason: c.reason ?? 'unusable' };
}

function toCache(a: Artifact): CachedArtifact | undefined {
  if (a.status === 'missing' || !a.etag) return undefined;
  return a.status === 'ok' ? { etag: a.etag, size: a.size, status: 'ok', lastModified: a.lastModified?.toISOString(), deployspec: a.deployspec } : { etag: a.etag, size: a.size, status: 'unusable', reason: a.reason };
}

export interface ReadArtifactsOptions {
  /** Ranged GETs in flight at once. */
  concurrency?: number;
  tailBytes?: number;
  signal?: AbortSignal;
  /** Called after each artifact read from S3 (not from the cache): how many so far, of how many not cached. */
  onRead?: (done: number, of: number) => void;
}

/**
 * Reads many artifacts (each with its stats), in the order given. Refs with an ETag (from a
 * listing) are answered from the cache without a request; refs without one cost a HeadObject
 * when the cache knows the key. Errors other than "missing" or "unusable" (access, network) throw.
 */
export async function readArtifacts(deps: ArtifactReaderDeps, refs: ArtifactRef[], opts: ReadArtifactsOptions = {}): Promise<{ artifact: Artifact; stats: ArtifactReadStats }[]> {
  const tailBytes = opts.tailBytes ?? defaultTailBytes;
  const buckets = [...new Set(refs.map((r) => r.bucket))];
  const caches = new Map(await Promise.all(buckets.map(async (b) => [b, await deps.cache.load(b)] as const)));
  const fresh = new Map(buckets.map((b) => [b, new Map<string, CachedArtifact>()]));
  const out: { artifact: Artifact; stats: ArtifactReadStats }[] = new Array(refs.length);
  let next = 0;
  let readFromS3Count = 0;
  const uncached = refs.filter((r) => !(r.etag && caches.get(r.bucket)?.get(r.key)?.etag === r.etag)).length;
  const worker = async () => {
    while (next < refs.length) {
      const i = next++;
      const ref = refs[i];
      const r = new Reader(deps.s3, ref, opts.signal);
      const known = caches.get(ref.bucket)?.get(ref.key);
      if (known && !ref.etag) {
        // Only the ETag is needed to trust the cache: ask for it without any zip bytes.
        try {
          r.stats.requests++;
          const head = await deps.s3.headObject({ Bucket: ref.bucket, Key: ref.key });
          r.etag = head.ETag;
          r.size = head.ContentLength;
          r.lastModified = head.LastModified;
        } catch (e) {
          if (!isMissing(e)) throw e;
          out[i] = { artifact: { status: 'missing', bucket: ref.bucket, key: ref.key, reason: `s3://${ref.bucket}/${ref.key} does not exist` }, stats: r.stats };
          continue;
        }
      }
      if (known && r.etag && known.etag === r.etag) {
        // The ETag names the bytes, not the upload: the same bytes uploaded again are newer.
        const artifact = fromCache(ref, known);
        if (artifact.status === 'ok' && r.lastModified) artifact.lastModified = r.lastModified;
        out[i] = { artifact, stats: { ...r.stats, cached: true } };
        continue;
      }
      const artifact = await readFromS3(r, ref, tailBytes);
      opts.onRead?.(++readFromS3Count, uncached);
      const entry = toCache(artifact);
      if (entry) fresh.get(ref.bucket)!.set(ref.key, entry);
      out[i] = { artifact, stats: r.stats };
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 16, refs.length)) }, worker));
  } finally {
    // Keep what was learnt even when a later read failed.
    await Promise.all([...fresh].map(([b, m]) => deps.cache.save(b, m)));
  }
  return out;
}

/** Reads one artifact (see readArtifacts). */
export async function readArtifact(deps: ArtifactReaderDeps, ref: ArtifactRef, opts: ReadArtifactsOptions = {}): Promise<{ artifact: Artifact; stats: ArtifactReadStats }> {
  return (await readArtifacts(deps, [ref], opts))[0];
}
