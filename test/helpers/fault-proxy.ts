import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { onStop } from './processes.js';

/**
 * The fault-injection proxy of testing.md ("Faults are first-class"): a loopback HTTP proxy in
 * front of a real server (moto, the deployer emulator, a docker-registry) that forwards requests
 * untouched, except those a rule picks, which meet a fault of the network or of the server:
 *
 * - `refuse`: no listener at all (the proxy's port is closed: ECONNREFUSED), see `refusedHost()`;
 * - `reset`: the request is forwarded, then the connection is reset after `afterBytes` of the
 *   answer's body (0: before the status line, as a dropped connection mid-wait);
 * - `stall`: status line and headers are sent, then nothing, ever (the socket stays open);
 * - `hang`: the connection is accepted and nothing is ever answered (no status line);
 * - `drip`: the answer is sent at `bytesPerSecond`;
 * - `truncate`: headers with the full Content-Length, then only `bytes` of the body, then a clean
 *   close (the client sees a body shorter than announced);
 * - `garbage`: bytes that are not HTTP at all, then a close;
 * - `status`: an error answer (5xx, 429) with an optional Retry-After, not forwarded.
 *
 * Rules match on method and path and apply `times` times (default: always); a request no rule
 * picks is forwarded as it is. The Host header is passed through, so servers that build absolute
 * URLs from it (docker-registry's upload locations) point back at the proxy.
 */
export type Fault =
  | { kind: 'pass' }
  | { kind: 'reset'; afterBytes?: number }
  | { kind: 'stall' }
  | { kind: 'hang' }
  | { kind: 'drip'; bytesPerSecond: number }
  | { kind: 'truncate'; bytes?: number }
  | { kind: 'garbage'; text?: string }
  | { kind: 'status'; status: number; retryAfter?: string; body?: string; headers?: Record<string, string> };

export interface FaultRule {
  method?: string;
  path?: RegExp;
  /** Only for requests carrying this header value (e.g. X-Amz-Target: Logs_20140328.FilterLogEvents). */
  header?: { name: string; value: RegExp };
  fault: Fault;
  /** How many matching requests meet the fault (default: every one). */
  times?: number;
}

export interface FaultProxy {
  /** 127.0.0.1:port */
  host: string;
  url: string;
  /** Every request that reached the proxy, and what it did with it. */
  hits: { method: string; path: string; fault: Fault['kind'] }[];
  /** Replaces the rules (a test can change faults between steps). */
  setRules(rules: FaultRule[]): void;
  stop(): Promise<void>;
}

/** A loopback host:port where nothing listens: connecting is refused at once. */
export async function refusedHost(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

let refusedCount = 0;

/**
 * A loopback address of its own (127.x.y.z, port 1, where nothing listens: not even a wildcard
 * listener, which only ever gets high ports) for each call: connecting is refused at once, and,
 * unlike a port freed by `refusedHost()`, no server started in parallel can take it over.
 */
export function refusedAddress(): string {
  const n = refusedCount++;
  return `127.${100 + Math.floor(n / 62500)}.${Math.floor(n / 250) % 250}.${(n % 250) + 1}:1`;
}

function matches(rule: FaultRule, req: IncomingMessage): boolean {
  if (rule.times !== undefined && rule.times <= 0) return false;
  if (rule.method && rule.method !== req.method) return false;
  if (rule.path && !rule.path.test(req.url ?? '/')) return false;
  if (rule.header) {
    const v = req.headers[rule.header.name.toLowerCase()];
    if (typeof v !== 'string' || !rule.header.value.test(v)) return false;
  }
  return true;
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Starts the proxy on a free loopback port in front of `upstream` (http://host:port or host:port). */
export async function startFaultProxy(upstream: string, rules: FaultRule[] = []): Promise<FaultProxy> {
  const target = new URL(upstream.includes('://') ? upstream : `http://${upstream}`);
  let current = rules.map((r) => ({ ...r }));
  const hits: FaultProxy['hits'] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const forward = async (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const up = http.request({ host: target.hostname, port: Number(target.port), method: req.method, path: req.url, headers: req.headers }, (res) => {
        readAll(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject);
      });
      up.on('error', reject);
      up.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const rule = current.find((r) => matches(r, req));
    if (rule && rule.times !== undefined) rule.times--;
    const fault: Fault = rule?.fault ?? { kind: 'pass' };
    hits.push({ method: req.method ?? 'GET', path: req.url ?? '/', fault: fault.kind });
    const socket = req.socket;
    const body = await readAll(req).catch(() => Buffer.alloc(0));

    if (fault.kind === 'hang') return;
    if (fault.kind === 'garbage') {
      socket.end(fault.text ?? 'SSH-2.0-OpenSSH_9.2p1 this is not HTTP\r\n\u0000\u0001\u0002');
      return;
    }
    if (fault.kind === 'status') {
      res.writeHead(fault.status, {
        'Content-Type': 'application/json',
        ...(fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {}),
        ...fault.headers,
      });
      res.end(fault.body ?? JSON.stringify({ message: `injected ${fault.status} by the test proxy` }));
      return;
    }
    if (fault.kind === 'reset' && !fault.afterBytes) {
      // The request reaches the server (it may act on it), the caller never hears back.
      forward(req, body).catch(() => undefined);
      later(300, () => socket.resetAndDestroy());
      return;
    }
    let answer;
    try {
      answer = await forward(req, body);
    } catch {
      socket.destroy();
      return;
    }
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    if (req.method !== 'HEAD') headers['content-length'] = String(answer.body.length);
    headers.connection = 'close';
    switch (fault.kind) {
      case 'pass':
        res.writeHead(answer.status, headers).end(answer.body);
        return;
      case 'stall':
        res.writeHead(answer.status, headers);
        res.flushHeaders();
        return;
      case 'truncate': {
        const n = Math.min(fault.bytes ?? Math.floor(answer.body.length / 2), Math.max(0, answer.body.length - 1));
        res.writeHead(answer.status, headers);
        res.write(answer.body.subarray(0, n), () => socket.end());
        return;
      }
      case 'reset': {
        res.writeHead(answer.status, headers);
        res.write(answer.body.subarray(0, Math.min(fault.afterBytes ?? 0, answer.body.length - 1)), () => later(50, () => socket.resetAndDestroy()));
        return;
      }
      case 'drip': {
        res.writeHead(answer.status, headers);
        res.flushHeaders();
        const perTick = Math.max(1, Math.round(fault.bytesPerSecond / 10));
        let offset = 0;
        const tick = () => {
          if (socket.destroyed) return;
          if (offset >= answer.body.length) return void res.end();
          res.write(answer.body.subarray(offset, offset + perTick));
          offset += perTick;
          later((perTick / fault.bytesPerSecond) * 1000, tick);
        };
        tick();
        return;
      }
    }
  };
  // A handler that throws answers 502 instead of leaving the request hanging.
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= new Promise<void>((resolve) => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }));
  onStop(stop);
  return {
    host,
    url: `http://${host}`,
    hits,
    setRules: (next) => {
      current = next.map((r) => ({ ...r }));
    },
    stop,
  };
}
