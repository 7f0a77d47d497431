import { finished } from 'node:stream/promises';
import { pipeline, type Readable } from 'node:stream';
import { NetworkError, isDroppedConnection } from '../../net-errors.js';
import { DigestMismatchError, RegistryError, type Registry } from '../../registry/client.js';
import { BlobHasher, BlobSizeError, BlobVerifier } from '../../registry/verify.js';
import type { PlannedBlob } from './plan.js';
import type { MirrorProgress } from './progress.js';

export interface BlobCopy {
  src: Registry;
  srcRepo: string;
  dst: Registry;
  dstRepo: string;
  /**
   * Repositories of the target registry that may hold the blob (the source's own repository when
   * both are one registry, then the blob-location cache's): the first is asked to mount it.
   */
  mountFrom?: string;
  progress: MirrorProgress;
  /** Whole-blob attempts after the first, for dropped connections and 5xx mid-transfer. */
  retries?: number;
  /** Debug lines (never secrets). */
  debug?: (line: string) => void;
}

/**
 * True for a failure that a fresh attempt may not meet again, and that no retry has met yet
 * (a request the client already retried to the end of its budget is not retried again here).
 */
export function isTransient(e: unknown): boolean {
  if (e instanceof RegistryError) return e.retryable && e.attempts <= 1;
  if (e instanceof NetworkError) return e.retryable;
  return isDroppedConnection(e);
}

/** What happened to one blob; `refused` names a mount source the registry did not take. */
export interface BlobOutcome {
  outcome: 'copied' | 'mounted';
  refused?: string;
}

async function copyOnce(c: BlobCopy, blob: PlannedBlob, mountFrom: string | undefined): Promise<BlobOutcome> {
  let started: 'mounted' | URL;
  let opened: { body: Readable; length?: number } | undefined;
  let refused: string | undefined;
  if (mountFrom) {
    // A mount costs one request and no bytes; a refused one answers with the upload session
    // the copy needs anyway, so only the download starts one round trip later.
    try {
      started = await c.dst.startUpload(c.dstRepo, { digest: blob.digest, from: mountFrom });
    } catch (e) {
      // Some registries answer a mount they will not do with an error rather than a session
      // (no read access to `from`, a repository gone): upload as if no mount was asked.
      if (!(e instanceof RegistryError) || ![400, 401, 403, 404].includes(e.status)) throw e;
      started = await c.dst.startUpload(c.dstRepo);
    }
    if (started === 'mounted') return { outcome: 'mounted' };
    refused = mountFrom;
  } else {
    // Opening the upload and the download at once saves a round trip per blob.
    const download = c.src.openBlob(c.srcRepo, blob.digest);
    download.catch(() => undefined);
    try {
      started = await c.dst.startUpload(c.dstRepo);
    } catch (e) {
      (await download.catch(() => undefined))?.body.destroy();
      throw e;
    }
    opened = await download.catch(async (e) => {
      await c.dst.cancelUpload(c.dstRepo, started as URL);
      throw e;
    });
  }
  let location = started as URL;
  try {
    c.progress.start(blob);
    opened ??= await c.src.openBlob(c.srcRepo, blob.digest);
    const source = opened.body;
    const onBytes = (n: number) => c.progress.bytes(blob.digest, n);
    const what = `The blob ${blob.digest} from ${c.src.host}`;
    if (opened.length !== undefined && opened.length !== blob.size) throw new BlobSizeError(blob.digest, blob.size, String(opened.length));
    // The upload request is aborted from inside the check, before the last chunk goes out, when
    // the digest is wrong: a monolithic PUT commits on its last byte.
    const guard = new AbortController();
    let body: Readable;
    let verified: { check(what: string): void; failure?: Error };
    if (opened.length === blob.size) {
      // The announced length is the expected one: hash beside the upload's pipe, no extra stage.
      const hasher = new BlobHasher(blob, onBytes, what);
      body = hasher.watch(source, (e) => guard.abort(e));
      verified = hasher;
    } else {
      // No length announced (chunked): a verifying stage that fails a short or long stream itself.
      const verifier = new BlobVerifier(blob, onBytes, what);
      pipeline(source, verifier, (e) => e && (verifier.failure ??= e));
      body = verifier;
      verified = verifier;
    }
    const monolithic = c.dst.monolithicUploads;
    try {
      if (monolithic) await c.dst.putUpload(c.dstRepo, location, body, blob.size, blob.digest, guard.signal);
      else location = await c.dst.patchUpload(c.dstRepo, location, body, blob.size);
    } catch (e) {
      if (verified.failure instanceof DigestMismatchError || verified.failure instanceof BlobSizeError) throw verified.failure;
      if (monolithic && refusesMonolithic(e)) throw new MonolithicRefused(e);
      throw e;
    }
    // The target has every byte; the source's stream may still be ending: wait, then judge it.
    await finished(body);
    verified.check(what);
    if (!monolithic) await c.dst.commitUpload(c.dstRepo, location, blob.digest);
    return { outcome: 'copied', ...(refused ? { refused } : {}) };
  } catch (e) {
    opened?.body.destroy();
    await c.dst.cancelUpload(c.dstRepo, location);
    // A raw socket error here is the download's: the target's own come as RegistryErrors.
    if (e instanceof NetworkError) throw RegistryError.fromNetwork(e, e.host === c.dst.host ? 'target' : 'source');
    const code = (e as NodeJS.ErrnoException).code;
    if (!(e instanceof RegistryError) && isDroppedConnection(e)) {
      throw new RegistryError(0, code ?? 'ECONNRESET', 'the download broke off', c.src.host, 'source');
    }
    throw e;
  }
}

/** The target refused a blob sent with the PUT that completes its upload. */
class MonolithicRefused extends Error {
  constructor(override readonly cause: RegistryError) {
    super(cause.message);
    this.name = 'MonolithicRefused';
  }
}

/**
 * A refusal of the monolithic PUT itself (the registry wants PATCH first, or no body on the
 * PUT), as opposed to a refusal of the credentials, of throttling, or of the bytes.
 */
function refusesMonolithic(e: unknown): e is RegistryError {
  if (!(e instanceof RegistryError) || e.role !== 'target') return false;
  if (e.status === 501) return true;
  return e.status >= 400 && e.status < 500 && ![401, 403, 408, 429].includes(e.status) && e.code !== 'DIGEST_INVALID';
}

/**
 * Copies one blob from source to target, streamed (never whole in memory) and verified on the
 * way: upload session, then GET piped through a sha256 check into the PUT that completes the
 * upload, its last chunk held until the digest matched. A registry that refuses such a PUT gets
 * PATCH then PUT from then on (`Registry.monolithicUploads`). A transfer cut midway starts
 * over with a new session.
 */
export async function copyBlob(c: BlobCopy, blob: PlannedBlob): Promise<BlobOutcome> {
  const retries = c.retries ?? 2;
  let mountFrom = c.mountFrom;
  for (let attempt = 0; ; attempt++) {
    try {
      return await copyOnce(c, blob, mountFrom);
    } catch (e) {
      if (e instanceof MonolithicRefused) {
        // Not a fault of this blob: the same attempt again, as PATCH then PUT.
        c.dst.monolithicUploads = false;
        c.debug?.(`${c.dst.host} refused a blob in the PUT that completes its upload (${e.cause.message}); sending PATCH then PUT from now on`);
        attempt--;
        continue;
      }
      // A retry uploads: a refused mount is not worth asking again.
      mountFrom = undefined;
      if (attempt >= retries || !isTransient(e)) throw e;
      c.progress.note(`retrying ${blob.digest.slice(0, 19)} after ${(e as Error).message}`);
    }
  }
}
