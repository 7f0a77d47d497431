import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable, pipeline } from 'node:stream';

/*
 * A thin layer over node:http(s) rather than fetch: request bodies stream with backpressure and
 * an exact Content-Length (fetch would send a stream chunked), responses are Node streams
 * (no web-stream conversion per chunk), and redirects are followed by the caller, which decides
 * whether the registry's Authorization header may go along.
 */
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 32 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 32 }),
};

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** A Buffer, or a stream sent as it is read (the caller sets Content-Length). */
  body?: Buffer | Readable;
  signal?: AbortSignal;
  /** The socket may sit idle this long before the request fails (default 60 s). */
  idleTimeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

/** A socket that stayed silent too long. */
export class HttpTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(url: URL, ms: number) {
    super(`no answer from ${url.host} for ${Math.round(ms / 1000)} s`);
    this.name = 'HttpTimeoutError';
  }
}

/** The streamed request body failed (not the connection): `cause` is the body's own error. */
export class BodyStreamError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
    this.name = 'BodyStreamError';
  }
}

/**
 * Sends one request and resolves when the response headers arrive. When a streamed body fails
 * (a digest check, the source closing early), the request is aborted and that error is returned
 * as a BodyStreamError, not the socket error it causes.
 */
export function httpRequest(r: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const secure = r.url.protocol === 'https:';
    const idle = r.idleTimeoutMs ?? 60_000;
    let bodyError: Error | undefined;
    const req = (secure ? https : http).request(r.url, { method: r.method, headers: r.headers, agent: secure ? agents.https : agents.http, signal: r.signal }, (res) => {
      if (r.body instanceof Readable && !r.body.readableEnded && (res.statusCode ?? 0) >= 300) {
        // The registry refused before reading everything: stop sending.
        r.body.unpipe(req);
        r.body.destroy();
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });
    req.setTimeout(idle, () => req.destroy(new HttpTimeoutError(r.url, idle)));
    req.on('error', (e) => reject(bodyError ? new BodyStreamError(bodyError) : e));
    if (r.body instanceof Readable) {
      r.body.once('error', (e) => (bodyError ??= e));
      pipeline(r.body, req, () => undefined);
    } else {
      req.end(r.body);
    }
  });
}

/** Reads a response body of at most `limit` bytes (manifests, tokens, error documents). */
export async function readBody(res: HttpResponse, limit = 8 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.body.destroy();
      throw new Error(`the response is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Reads and drops a body so that the socket goes back to the keep-alive pool. */
export async function discard(res: HttpResponse): Promise<void> {
  if (res.body.readableEnded) return;
  res.body.resume();
  await new Promise<void>((resolve) => {
    res.body.once('end', resolve);
    res.body.once('close', resolve);
    res.body.once('error', () => resolve());
  });
}

/** One header as a string (first value when repeated). */
export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
