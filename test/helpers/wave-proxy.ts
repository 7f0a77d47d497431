import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { onStop } from './processes.js';

/** One request a client sent through the wave proxies, named after its AWS operation. */
export interface WaveRequest {
  /** `GetItem`, `GetCallerIdentity`, `Invoke`, `GetObject`, `HeadObject`, ... */
  name: string;
  /** The wave it was sent in: 1 + the number of releases before it arrived. */
  wave: number;
  method: string;
  url: string;
  /** The proxied server (its origin). */
  upstream: string;
}

/**
 * Loopback proxies (one per server: moto, the emulators) that hold every request a client sends
 * until the test releases them, all at once: a "wave". A request that arrives while the waves
 * before it are still held cannot depend on their answers, so the wave a request arrives in
 * counts the sequential round trips before it: no clock decides anything. The test says what
 * each wave must hold (`arrived`), releases it, and watches the client's output in between.
 */
export interface WaveProxies {
  /** The proxy address of an upstream origin given to `waveProxies`. */
  url(upstream: string): string;
  /** Every request seen so far, in arrival order. */
  requests: WaveRequest[];
  /** The requests held now (sent in the current wave). */
  held(): WaveRequest[];
  /** The current wave: a request arriving now is sent in it. */
  readonly wave: number;
  /**
   * Resolves once the held requests include every name of `names` (a multiset); fails after
   * `failAfterMs` naming what is held (a client that waits on a held answer never sends the rest).
   */
  arrived(names: string[], failAfterMs?: number): Promise<WaveRequest[]>;
  /** Forwards every held request and waits for their answers to reach the client; the next wave starts. */
  release(): Promise<void>;
  /** Stops holding: every request from now on (and those held) goes straight through. */
  passThrough(): Promise<void>;
  stop(): Promise<void>;
}

/** The AWS operation of a request, from its target header, its query body or its REST path. */
export function operationName(method: string, url: string, headers: http.IncomingHttpHeaders, body: Buffer): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString('utf8'));
  if (action) return action[1];
  const path = url.split('?')[0];
  if (/\/functions\/[^/]+\/invocations$/.test(path)) return 'Invoke';
  if (/\/functions\/[^/]+\/configuration$/.test(path)) return 'GetFunctionConfiguration';
  if (/\/2015-03-31\/functions\/[^/]+$/.test(path)) return 'GetFunction';
  // S3, path style: /bucket or /bucket/key.
  const segments = path.split('/').filter(Boolean);
  if (segments.length <= 1) return method === 'GET' ? 'ListObjectsV2' : `${method} bucket`;
  return { GET: 'GetObject', HEAD: 'HeadObject', PUT: 'PutObject', DELETE: 'DeleteObject' }[method] ?? `${method} object`;
}

export async function waveProxies(upstreams: string[]): Promise<WaveProxies> {
  const requests: WaveRequest[] = [];
  let wave = 1;
  let holding = true;
  let pending: { request: WaveRequest; forward: () => Promise<void> }[] = [];
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((l) => l());
  const servers: http.Server[] = [];
  const urls = new Map<string, string>();

  for (const upstream of upstreams) {
    const target = new URL(upstream);
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const request: WaveRequest = { name: operationName(req.method ?? 'GET', req.url ?? '/', req.headers, body), wave, method: req.method ?? 'GET', url: req.url ?? '/', upstream: target.origin };
        requests.push(request);
        const forward = () =>
          new Promise<void>((resolve) => {
            const out = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (up) => {
              res.writeHead(up.statusCode ?? 502, up.headers);
              up.pipe(res);
              // The answer is with the client once the response is flushed to its socket.
              res.on('finish', () => resolve());
              res.on('close', () => resolve());
            });
            out.on('error', () => {
              res.destroy();
              resolve();
            });
            out.end(body);
          });
        if (holding) {
          pending.push({ request, forward });
          changed();
        } else void forward();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    urls.set(target.origin, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  const releaseHeld = async () => {
    const batch = pending;
    pending = [];
    await Promise.all(batch.map((p) => p.forward()));
  };
  let stopped = false;
  const proxies: WaveProxies = {
    url: (upstream) => {
      const u = urls.get(new URL(upstream).origin);
      if (!u) throw new Error(`no wave proxy for ${upstream}`);
      return u;
    },
    requests,
    held: () => pending.map((p) => p.request),
    get wave() {
      return wave;
    },
    arrived: (names, failAfterMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const left = pending.map((p) => p.request.name);
          for (const n of names) {
            const i = left.indexOf(n);
            if (i < 0) return false;
            left.splice(i, 1);
          }
          return true;
        };
        if (check()) return resolve(proxies.held());
        const listener = () => {
          if (!check()) return;
          listeners.delete(listener);
          clearTimeout(timer);
          resolve(proxies.held());
        };
        // Only a failing run gets here: the client waits on an answer it would need first.
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`wave ${wave}: expected ${names.join(', ')}; held: ${proxies.held().map((r) => r.name).join(', ') || 'nothing'}`));
        }, failAfterMs);
        listeners.add(listener);
      }),
    release: async () => {
      wave++;
      await releaseHeld();
    },
    passThrough: async () => {
      holding = false;
      await releaseHeld();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      holding = false;
      await releaseHeld();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve())))));
    },
  };
  onStop(proxies.stop);
  return proxies;
}
