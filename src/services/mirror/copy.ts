import { finished } from 'node:stream/promises';
import { pipeline, type Readable } from 'node:stream';
import { NetworkError } from '../../net-errors.js';
import { RegistryError, type Registry } from '../../registry/client.js';
import { BlobVerifier } from '../../registry/verify.js';
import type { PlannedBlob } from './plan.js';
import type { MirrorProgress } from './progress.js';

export interface BlobCopy {
  src: Registry;
  srcRepo: string;
  dst: Registry;
  dstRepo: string;
  /** Source and target are one registry: ask it to mount the blob instead of moving bytes. */
  mount: boolean;
  progress: MirrorProgress;
  /** Whole-blob attempts after the first, for dropped connections and 5xx mid-transfer. */
  retries?: number;
}

const droppedCodes = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * True for a failure that a fresh attempt may not meet again, and that no retry has met yet
 * (a request the client already retried to the end of its budget is not retried again here).
 */
export function isTransient(e: unknown): boolean {
  if (e instanceof RegistryError) return e.retryable && e.attempts <= 1;
  if (e instanceof NetworkError) return e.retryable;
  const err = e as NodeJS.ErrnoException;
  return droppedCodes.has(err?.code ?? '') || err?.message === 'aborted';
}

async function copyOnce(c: BlobCopy, blob: PlannedBlob): Promise<'copied' | 'mounted'> {
  let started: 'mounted' | URL;
  let source: Readable | undefined;
  if (c.mount) {
    started = await c.dst.startUpload(c.dstRepo, { digest: blob.digest, from: c.srcRepo });
    if (started === 'mounted') return 'mounted';
  } else {
    // Opening the upload and the download at once saves a round trip per blob.
    const download = c.src.getBlob(c.srcRepo, blob.digest);
    download.catch(() => undefined);
    try {
      started = await c.dst.startUpload(c.dstRepo);
    } catch (e) {
      (await download.catch(() => undefined))?.destroy();
      throw e;
    }
    source = await download.catch(async (e) => {
      await c.dst.cancelUpload(c.dstRepo, started as URL);
      throw e;
    });
  }
  let location = started as URL;
  try {
    c.progress.start(blob);
    source ??= await c.src.getBlob(c.srcRepo, blob.digest);
    const verifier = new BlobVerifier(blob, (n) => c.progress.bytes(blob.digest, n));
    pipeline(source, verifier, () => undefined);
    location = await c.dst.patchUpload(c.dstRepo, location, verifier, blob.size);
    // The target has every byte; the source's stream may still be ending: wait, then judge it.
    await finished(verifier);
    verifier.check(`The blob ${blob.digest} from ${c.src.host}`);
    await c.dst.commitUpload(c.dstRepo, location, blob.digest);
    return 'copied';
  } catch (e) {
    source?.destroy();
    await c.dst.cancelUpload(c.dstRepo, location);
    // A raw socket error here is the download's: the target's own come as RegistryErrors.
    if (e instanceof NetworkError) throw RegistryError.fromNetwork(e, e.host === c.dst.host ? 'target' : 'source');
    const code = (e as NodeJS.ErrnoException).code;
    if (!(e instanceof RegistryError) && (droppedCodes.has(code ?? '') || (e as Error).message === 'aborted')) {
      throw new RegistryError(0, code ?? 'ECONNRESET', 'the download broke off', c.src.host, 'source');
    }
    throw e;
  }
}

/**
 * Copies one blob from source to target, streamed (never whole in memory) and verified on the
 * way: upload session, GET piped through a sha256 check into one PATCH, then the committing PUT
 * only when the digest matched. A transfer cut midway starts over with a new session.
 */
export async function copyBlob(c: BlobCopy, blob: PlannedBlob): Promise<'copied' | 'mounted'> {
  const retries = c.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    try {
      return await copyOnce(c, blob);
    } catch (e) {
      if (attempt >= retries || !isTransient(e)) throw e;
      c.progress.note(`retrying ${blob.digest.slice(0, 19)} after ${(e as Error).message}`);
    }
  }
}
