import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable, pipeline } from 'node:stream';
import { NetworkError, ProxyError, classifyNetworkError } from '../net-errors.js';
import { proxyFor, type ProxyEnv } from '../net-proxy.js';

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

/** The proxying agents of a run's proxy settings (the proxy code loads only when a proxy is set). */
const proxyAgents = new WeakMap<ProxyEnv, Promise<{ http: http.Agent; https: https.Agent }>>();
function agentsFor(proxy: ProxyEnv, connectMs: number): Promise<{ http: http.Agent; https: https.Agent }> {
  let p = proxyAgents.get(proxy);
  if (!p) {
    p = import('../proxy-agent.js').then((m) => m.createProxyAgents(proxy, { connectMs, maxSockets: 32 }));
    proxyAgents.set(proxy, p);
  }
  return p;
}

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** A Buffer, or a stream sent as it is read (the caller sets Content-Length). */
  body?: Buffer | Readable;
  signal?: AbortSignal;
  /** Time limits (defaults: `netLimits`). */
  limits?: Partial<NetLimits>;
  /** The proxies of the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), when any is set. */
  proxy?: ProxyEnv;
}

/**
 * Bounded time for every exchange: a connection within `connectMs`; the status line within
 * `idleMs` of silence; then the body must keep moving: at least `minBytesPerSecond` on average
 * over every `windowMs` (a server that stalls after its headers, or drips a byte a second, fails
 * with a sentence naming it). Time the reader itself spends not reading (backpressure) does not count.
 */
export interface NetLimits {
  connectMs: number;
  idleMs: number;
  windowMs: number;
  minBytesPerSecond: number;
}

export const netLimits: NetLimits = { connectMs: 10_000, idleMs: 30_000, windowMs: 20_000, minBytesPerSecond: 1024 };

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

/** A socket that stayed silent too long (kept for callers that test for it). */
export class HttpTimeoutError extends NetworkError {
  constructor(url: URL, ms: number) {
    super('idle', url.host, `${url.host} sent nothing for ${Math.round(ms / 1000)} s`, 'ETIMEDOUT');
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
 * Watches a response body without reading it (socket byte counts): fails it when the server
 * sends nothing, or too little, over a window while the reader was keeping up.
 */
function watchBody(res: IncomingMessage, url: URL, limits: NetLimits): void {
  const socket = res.socket;
  if (!socket) return;
  const tick = Math.min(1000, limits.windowMs);
  let windowStart = performance.now();
  let bytesAtStart = socket.bytesRead;
  const timer = setInterval(() => {
    if (res.readableEnded || res.destroyed) return clearInterval(timer);
    // The reader is behind (data waits in the buffer): not the server's fault.
    if (res.readableLength > 0) {
      windowStart = performance.now();
      bytesAtStart = socket.bytesRead;
      return;
    }
    const elapsed = performance.now() - windowStart;
    if (elapsed < limits.windowMs) return;
    const got = socket.bytesRead - bytesAtStart;
    if (got === 0) {
      res.destroy(new NetworkError('idle', url.host, `${url.host} stopped sending in the middle of its answer (nothing for ${Math.round(elapsed / 1000)} s)`, 'ETIMEDOUT'));
    } else if (got < (limits.minBytesPerSecond * elapsed) / 1000) {
      const rate = Math.round((got * 1000) / elapsed);
      res.destroy(new NetworkError('slow', url.host, `${url.host} is sending too slowly (${rate} B/s over the last ${Math.round(elapsed / 1000)} s; at least ${limits.minBytesPerSecond} B/s is needed)`, 'ETIMEDOUT'));
    }
    windowStart = performance.now();
    bytesAtStart = socket.bytesRead;
  }, tick);
  timer.unref();
  res.once('close', () => clearInterval(timer));
}

/**
 * Sends one request and resolves when the response headers arrive. When a streamed body fails
 * (a digest check, the source closing early), the request is aborted and that error is returned
 * as a BodyStreamError, not the socket error it causes. Network faults are NetworkErrors that
 * name the host (before and after the headers).
 */
export async function httpRequest(r: HttpRequest): Promise<HttpResponse> {
  const limits = { ...netLimits, ...r.limits };
  const pool = r.proxy ? await agentsFor(r.proxy, limits.connectMs) : agents;
  return new Promise((resolve, reject) => {
    const secure = r.url.protocol === 'https:';
    let bodyError: Error | undefined;
    let connectTimer: NodeJS.Timeout | undefined;
    const req = (secure ? https : http).request(r.url, { method: r.method, headers: r.headers, agent: secure ? pool.https : pool.http, signal: r.signal }, (res) => {
      clearTimeout(connectTimer);
      req.setTimeout(0);
      // An http request forwarded by a proxy hears the proxy's 407 as an answer: the proxy's fault.
      const forwardedBy = res.statusCode === 407 && !secure && r.proxy ? proxyFor(r.proxy, r.url) : undefined;
      if (forwardedBy) {
        res.resume();
        if (r.body instanceof Readable) r.body.destroy();
        return reject(ProxyError.refused({ host: forwardedBy.host, from: forwardedBy.from, credentials: Boolean(forwardedBy.authorization) }, r.url.host, 407, 'Proxy Authentication Required'));
      }
      if (r.body instanceof Readable && !r.body.readableEnded && (res.statusCode ?? 0) >= 300) {
        // The registry refused before reading everything: stop sending.
        r.body.unpipe(req);
        r.body.destroy();
      }
      // A body that breaks off becomes a sentence naming the host, not "aborted".
      const destroy = res.destroy.bind(res);
      res.destroy = (err?: Error) => destroy(err && !(err instanceof NetworkError) ? (classifyNetworkError(err, r.url.host, { midAnswer: true }) ?? err) : err);
      if (r.method !== 'HEAD') watchBody(res, r.url, limits);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      connectTimer = setTimeout(() => req.destroy(new NetworkError('connect-timeout', r.url.host, `no connection to ${r.url.host} within ${Math.round(limits.connectMs / 1000)} s`, 'ETIMEDOUT')), limits.connectMs);
      socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    req.setTimeout(limits.idleMs, () => req.destroy(new HttpTimeoutError(r.url, limits.idleMs)));
    req.on('error', (e) => {
      clearTimeout(connectTimer);
      if (bodyError) return reject(new BodyStreamError(bodyError));
      reject(r.signal?.aborted ? e : (classifyNetworkError(e, r.url.host) ?? e));
    });
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
      throw new Error(`the answer is larger than ${limit} bytes`);
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
