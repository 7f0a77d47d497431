import http, { type IncomingMessage } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { onStop } from './processes.js';

/**
 * A forward proxy on loopback, as a corporate network has one: CONNECT tunnels (for https
 * targets) and absolute-URI requests (for http targets), each counted, optionally behind Basic
 * proxy authentication (407 until the right Proxy-Authorization comes), or refusing every tunnel
 * with a given status (a proxy whose policy denies the host).
 */
export interface ForwardProxy {
  /** 127.0.0.1:port */
  host: string;
  /** http://[user:password@]127.0.0.1:port */
  url(auth?: { username: string; password: string }): string;
  /** Targets (host:port) of the CONNECT tunnels it opened. */
  tunnels: string[];
  /** Absolute URIs of the requests it forwarded (method and URL). */
  forwarded: { method: string; url: string }[];
  /** Requests it answered 407 (tunnels and forwards). */
  challenged: number;
  /** Requests it proxied, tunnels and forwards together. */
  count(): number;
  stop(): Promise<void>;
}

export interface ForwardProxyOptions {
  /** Require these credentials (Proxy-Authorization: Basic). */
  auth?: { username: string; password: string };
  /** Answer every CONNECT with this status instead of opening the tunnel. */
  refuseTunnels?: { status: number; text: string };
  /** Where a target host connects (the test's TLS front listens on 127.0.0.1 only). */
  resolve?: (host: string) => string;
}

export async function startForwardProxy(opts: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const tunnels: string[] = [];
  const forwarded: ForwardProxy['forwarded'] = [];
  let challenged = 0;
  const sockets = new Set<Socket>();
  const expected = opts.auth ? `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}` : undefined;
  const authorized = (req: IncomingMessage) => !expected || req.headers['proxy-authorization'] === expected;
  const resolve = opts.resolve ?? ((h: string) => h);

  const server = http.createServer((req, res) => {
    if (!authorized(req)) {
      challenged++;
      res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="sgn-test-proxy"', 'Content-Length': '0' }).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
      if (target.protocol !== 'http:') throw new Error('not http');
    } catch {
      res.writeHead(400, { 'Content-Length': '0' }).end();
      return;
    }
    forwarded.push({ method: req.method ?? 'GET', url: target.href });
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const up = http.request({ host: resolve(target.hostname.replace(/^\[|\]$/g, '')), port: Number(target.port || 80), method: req.method, path: target.pathname + target.search, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      res.flushHeaders();
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    client.on('error', () => undefined);
    if (!authorized(req)) {
      challenged++;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="sgn-test-proxy"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (opts.refuseTunnels) {
      client.end(`HTTP/1.1 ${opts.refuseTunnels.status} ${opts.refuseTunnels.text}\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
    if (!m) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    tunnels.push(req.url!);
    const up = net.connect({ host: resolve(m[1].replace(/^\[|\]$/g, '')), port: Number(m[2]) }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    up.on('error', () => client.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= new Promise<void>((done) => {
      for (const s of sockets) s.destroy();
      server.close(() => done());
    }));
  onStop(stop);
  return {
    host,
    url: (auth) => `http://${auth ? `${encodeURIComponent(auth.username)}:${encodeURIComponent(auth.password)}@` : ''}${host}`,
    tunnels,
    forwarded,
    get challenged() {
      return challenged;
    },
    count: () => tunnels.length + forwarded.length,
    stop,
  };
}
