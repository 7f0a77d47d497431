import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { DigestMismatchError } from './client.js';
import { bufferTurnover } from './turnover.js';

/** A blob's stream held more or fewer bytes than its descriptor says. */
export class BlobSizeError extends Error {
  constructor(
    readonly digest: string,
    readonly expected: number,
    readonly got: string,
  ) {
    super(`blob ${digest} should have ${expected} bytes but the registry sent ${got}`);
    this.name = 'BlobSizeError';
  }
}

/**
 * Passes a blob through while hashing and counting it. More bytes than expected stops the
 * stream at once, fewer fails at its end (so an upload with a fixed Content-Length never
 * waits for bytes that will not come), and the last chunk is held until the digest of the
 * whole blob is known: when it is not the expected one, the stream fails without passing it
 * on, so an upload that commits on its last byte (a monolithic PUT) never completes. `check()`
 * says the same after the end: a registry that lies about a digest never gets its bytes tagged.
 */
export class BlobVerifier extends Transform {
  private readonly hash = createHash('sha256');
  private count = 0;
  private actual?: string;
  /** Why the stream failed, once it did (set by its owner's pipeline callback). */
  failure?: Error;

  constructor(
    private readonly expected: { digest: string; size: number },
    private readonly onBytes: (n: number) => void = () => undefined,
    private readonly what = `blob ${expected.digest}`,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.expected.size) return done(new BlobSizeError(this.expected.digest, this.expected.size, 'more'));
    this.hash.update(chunk);
    this.onBytes(chunk.length);
    bufferTurnover(chunk.length);
    if (this.count === this.expected.size) {
      this.actual = 'sha256:' + this.hash.digest('hex');
      if (this.actual !== this.expected.digest) return done(new DigestMismatchError(this.what, this.expected.digest, this.actual));
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.count !== this.expected.size) return done(new BlobSizeError(this.expected.digest, this.expected.size, String(this.count)));
    done();
  }

  /** Throws DigestMismatchError unless the whole stream had the expected digest. */
  check(what: string): void {
    if (this.actual !== this.expected.digest) throw new DigestMismatchError(what, this.expected.digest, this.actual ?? 'an incomplete stream');
  }
}

/**
 * The cheap path of BlobVerifier, for a download whose Content-Length is the expected size (so
 * the HTTP parser already stops it at that many bytes and fails it when it ends short): hashes
 * the chunks from a 'data' listener beside the pipe that uploads them, with no Transform in
 * between (a stream stage per 64 KiB chunk was a fifth of a copy's CPU time).
 */
export class BlobHasher {
  private readonly hash = createHash('sha256');
  private count = 0;
  private actual?: string;
  /** Why the stream was refused (too long, or the wrong digest), once it was. */
  failure?: Error;

  constructor(
    private readonly expected: { digest: string; size: number },
    private readonly onBytes: (n: number) => void = () => undefined,
    private readonly what = `blob ${expected.digest}`,
  ) {}

  /**
   * Hashes `source` as it flows; paused until its consumer (a pipe) starts it. Its listener runs
   * before the pipe's (it is added first), so on the last chunk the digest is known before that
   * chunk goes on: `refuse` is then called with the DigestMismatchError, synchronously, and
   * must stop the consumer at once (abort the upload request) for that chunk never to be sent.
   */
  watch(source: Readable, refuse: (e: Error) => void = () => undefined): Readable {
    source.pause();
    source.on('data', (chunk: Buffer) => {
      if (this.failure) return;
      this.count += chunk.length;
      if (this.count > this.expected.size) return this.fail(source, new BlobSizeError(this.expected.digest, this.expected.size, 'more'), refuse);
      this.hash.update(chunk);
      this.onBytes(chunk.length);
      bufferTurnover(chunk.length);
      if (this.count === this.expected.size) {
        this.actual = 'sha256:' + this.hash.digest('hex');
        if (this.actual !== this.expected.digest) this.fail(source, new DigestMismatchError(this.what, this.expected.digest, this.actual), refuse);
      }
    });
    return source;
  }

  private fail(source: Readable, e: Error, refuse: (e: Error) => void): void {
    this.failure = e;
    refuse(e);
    source.destroy(e);
  }

  /** Throws DigestMismatchError unless the whole stream had the expected digest. */
  check(what: string): void {
    if (this.actual !== this.expected.digest) throw new DigestMismatchError(what, this.expected.digest, this.actual ?? 'an incomplete stream');
  }
}
