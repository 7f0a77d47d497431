import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import { onStop } from './processes.js';

/**
 * A reverse proxy in front of a real docker-registry that adds what docker-registry cannot do
 * on demand: Docker Hub's anonymous bearer-token auth, throttled bodies (to interrupt a copy
 * midway), injected 429/503 answers with Retry-After, and a blob whose bytes are corrupted.
 */
export interface ProxyOptions {
  /** Response bodies at most this many bytes per second. */
  bytesPerSecond?: number;
  /** Answer the first `times` matching requests with `status` instead of forwarding them. */
  faults?: { method?: string; path: RegExp; status: number; code?: string; retryAfter?: string; times: number }[];
  /** Flip one byte in the body of GETs whose path matches (a registry lying about a digest). */
  corrupt?: RegExp;
  /** Cut the connection after `bytes` of the body of the first `times` GETs whose path matches. */
  cut?: { path: RegExp; bytes: number; times: number };
  /** Require bearer tokens from an anonymous token endpoint on the proxy, as Docker Hub does. */
  bearer?: boolean;
  /** Drop `mount`/`from` from upload POSTs: the registry answers with a plain upload session (as ECR without BLOB_MOUNTING). */
  refuseMounts?: boolean;
}

export interface ProxyInstance {
  host: string;
  /** What reached the proxy: method, path, status sent back, and the scopes asked of the token endpoint. */
  hits: { method: string; path: string; status: number }[];
  tokenScopes: string[];
  stop(): Promise<void>;
}

function throttle(rate: number): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const piece = 64 * 1024;
      let offset = 0;
      const next = () => {
        if (offset >= chunk.length) return done();
        const part = chunk.subarray(offset, offset + piece);
        offset += part.length;
        this.push(part);
        setTimeout(next, (part.length / rate) * 1000);
      };
      next();
    },
  });
}

function corruptFirstByte(): Transform {
  let done = false;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (!done && chunk.length) {
        done = true;
        const copy = Buffer.from(chunk);
        copy[0] ^= 0xff;
        return cb(null, copy);
      }
      cb(null, chunk);
    },
  });
}

/** Starts the proxy on a free loopback port in front of `upstream` (host:port, plain http). */
export async function startRegistryProxy(upstream: string, opts: ProxyOptions = {}): Promise<ProxyInstance> {
  const hits: ProxyInstance['hits'] = [];
  const tokenScopes: string[] = [];
  const tokens = new Set<string>();
  const faults = (opts.faults ?? []).map((f) => ({ ...f }));
  let self = '';
  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    let upstreamPath = path;
    if (opts.refuseMounts && method === 'POST' && /\/blobs\/uploads\/\?/.test(path)) {
      const u = new URL(path, 'http://x');
      u.searchParams.delete('mount');
      u.searchParams.delete('from');
      upstreamPath = u.pathname + u.search;
    }
    const answer = (status: number, headers: Record<string, string>, body = '') => {
      hits.push({ method, path, status });
      res.writeHead(status, headers).end(body);
    };
    if (opts.bearer && path.startsWith('/token')) {
      const url = new URL(path, 'http://x');
      tokenScopes.push(...url.searchParams.getAll('scope'));
      const token = randomBytes(12).toString('hex');
      tokens.add(token);
      return answer(200, { 'Content-Type': 'application/json' }, JSON.stringify({ token, expires_in: 300 }));
    }
    if (opts.bearer && !tokens.has((req.headers.authorization ?? '').replace(/^Bearer /, ''))) {
      const repo = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(path)?.[1];
      return answer(401, { 'WWW-Authenticate': `Bearer realm="http://${self}/token",service="sgn-test"${repo ? `,scope="repository:${repo}:pull"` : ''}`, 'Content-Type': 'application/json' }, JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    }
    const fault = faults.find((f) => f.times > 0 && (!f.method || f.method === method) && f.path.test(path));
    if (fault) {
      fault.times--;
      req.resume();
      return answer(fault.status, { 'Content-Type': 'application/json', ...(fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {}) }, JSON.stringify({ errors: [{ code: fault.code ?? 'TOOMANYREQUESTS', message: 'injected by the test proxy' }] }));
    }
    const headers = { ...req.headers, host: upstream };
    if (opts.bearer) delete headers.authorization;
    const up = http.request({ host: upstream.split(':')[0], port: Number(upstream.split(':')[1]), method, path: upstreamPath, headers }, (upRes) => {
      hits.push({ method, path, status: upRes.statusCode ?? 0 });
      const outHeaders = { ...upRes.headers };
      if (typeof outHeaders.location === 'string') outHeaders.location = outHeaders.location.replace(upstream, self);
      res.writeHead(upRes.statusCode ?? 502, outHeaders);
      let body: NodeJS.ReadableStream = upRes;
      if (opts.corrupt && method === 'GET' && opts.corrupt.test(path)) body = body.pipe(corruptFirstByte());
      if (opts.bytesPerSecond) body = body.pipe(throttle(opts.bytesPerSecond));
      const cut = opts.cut;
      if (cut && cut.times > 0 && method === 'GET' && cut.path.test(path)) {
        cut.times--;
        let sent = 0;
        body.on('data', (chunk: Buffer) => {
          sent += chunk.length;
          if (sent >= cut.bytes) res.destroy();
        });
      }
      body.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self = `127.0.0.1:${(server.address() as { port: number }).port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  onStop(stop);
  return { host: self, hits, tokenScopes, stop };
}
