/**
 * Agents that go through the proxies of the environment (src/net-proxy.ts), loaded only when one
 * is set: Node's http and https ignore HTTPS_PROXY and HTTP_PROXY. An https target is reached
 * through a CONNECT tunnel, then TLS with the target (SNI and certificate check: the target's
 * name); an http target gets absolute-URI requests sent to the proxy (what curl does, and what
 * proxies that allow CONNECT only to port 443 accept). Hosts NO_PROXY lists go direct. A proxy
 * that cannot be reached, wants credentials (407) or refuses the tunnel fails as a ProxyError
 * naming it; the time to reach it and open the tunnel is bounded by `connectMs`.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { NetworkError, ProxyError, type ProxyRef } from './net-errors.js';
import { proxyFor, type ProxyEnv, type ProxyServer } from './net-proxy.js';

type Callback = (err: Error | null, stream: Duplex) => void;
type ConnectOptions = http.ClientRequestArgs & { servername?: string };

const refOf = (p: ProxyServer): ProxyRef => ({ host: p.host, from: p.from, credentials: Boolean(p.authorization) });
const bracket = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** Connects to the proxy itself (TLS for an https:// proxy) within `connectMs`; errors name the proxy. */
function reachProxy(p: ProxyServer, target: string, connectMs: number, ready: (socket: net.Socket) => void, fail: (e: Error) => void): net.Socket {
  const socket = p.protocol === 'https:' ? tls.connect({ host: p.hostname, port: p.port, ...(net.isIP(p.hostname) ? {} : { servername: p.hostname }) }) : net.connect({ host: p.hostname, port: p.port });
  let settled = false;
  const timer = setTimeout(() => failWith(new NetworkError('connect-timeout', p.host, `no answer within ${connectMs < 1000 ? `${connectMs} ms` : `${Math.round(connectMs / 1000)} s`}`, 'ETIMEDOUT')), connectMs);
  const failWith = (e: unknown) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.destroy();
    fail(e instanceof ProxyError ? e : ProxyError.unreachable(refOf(p), target, e));
  };
  const onClose = () => failWith(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  socket.on('error', failWith);
  socket.once('close', onClose);
  socket.once(p.protocol === 'https:' ? 'secureConnect' : 'connect', () =>
    ready(
      Object.assign(socket, {
        /** Called once the socket is handed over: from here on the request owns its errors. */
        sgnHandOver: () => {
          settled = true;
          clearTimeout(timer);
          socket.off('error', failWith);
          socket.off('close', onClose);
        },
        sgnFail: failWith,
      }),
    ),
  );
  return socket;
}

type ProxySocket = net.Socket & { sgnHandOver(): void; sgnFail(e: unknown): void };

/** Opens a CONNECT tunnel to host:port through the proxy; resolves with the raw tunnel. */
function tunnel(p: ProxyServer, host: string, port: number, connectMs: number): Promise<net.Socket> {
  const target = `${bracket(host)}:${port}`;
  return new Promise((resolve, reject) => {
    reachProxy(
      p,
      target,
      connectMs,
      (s) => {
        const socket = s as ProxySocket;
        let head = Buffer.alloc(0);
        // Read in paused mode ('readable'), so that no byte of the tunnel is lost to a listener.
        const onReadable = () => {
          let chunk: Buffer | null;
          let end = -1;
          while (end < 0 && (chunk = socket.read() as Buffer | null) !== null) {
            head = Buffer.concat([head, chunk]);
            end = head.indexOf('\r\n\r\n');
          }
          if (end < 0) {
            if (head.length > 16 << 10) socket.sgnFail(Object.assign(new Error('Parse Error'), { code: 'HPE_HEADER_OVERFLOW' }));
            return;
          }
          socket.off('readable', onReadable);
          const status = /^HTTP\/1\.[01] (\d{3}) ?([^\r\n]*)/.exec(head.toString('latin1'));
          if (!status) return socket.sgnFail(Object.assign(new Error('Parse Error'), { code: 'HPE_INVALID_CONSTANT' }));
          const code = Number(status[1]);
          if (code < 200 || code >= 300) return socket.sgnFail(ProxyError.refused(refOf(p), target, code, status[2]));
          socket.sgnHandOver();
          const rest = head.subarray(end + 4);
          if (rest.length) socket.unshift(rest);
          resolve(socket);
        };
        socket.on('readable', onReadable);
        const auth = p.authorization ? `Proxy-Authorization: ${p.authorization}\r\n` : '';
        socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`);
      },
      reject,
    );
  });
}

class TunnelingAgent extends https.Agent {
  constructor(
    private readonly proxies: ProxyEnv,
    private readonly connectMs: number,
    options: https.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: https.RequestOptions, callback?: Callback): Duplex | null | undefined {
    const host = String(options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
    const port = Number(options.port ?? 443);
    const proxy = proxyFor(this.proxies, new URL(`https://${bracket(host)}:${port}`));
    if (!proxy) return super.createConnection(options, callback);
    tunnel(proxy, host, port, this.connectMs).then(
      (raw) => {
        const servername = (options as ConnectOptions).servername || (net.isIP(host) ? undefined : host);
        callback?.(null, tls.connect({ ...(options as tls.ConnectionOptions), socket: raw, ...(servername ? { servername } : {}) }));
      },
      (e: Error) => callback?.(e, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

const proxyKey = Symbol('sgnProxy');

class ForwardingAgent extends http.Agent {
  constructor(
    private readonly proxies: ProxyEnv,
    private readonly connectMs: number,
    options: http.AgentOptions,
  ) {
    super(options);
  }

  /** Rewrites the request to the absolute-URI form a proxy expects, before its head is written. */
  addRequest(req: http.ClientRequest, options: http.ClientRequestArgs & { [proxyKey]?: ProxyServer }): void {
    const host = String(options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
    const port = Number(options.port ?? 80);
    const proxy = proxyFor(this.proxies, new URL(`http://${bracket(host)}:${port}`));
    if (proxy) {
      req.path = `http://${bracket(host)}:${port}${req.path}`;
      if (proxy.authorization) req.setHeader('Proxy-Authorization', proxy.authorization);
      options = { ...options, [proxyKey]: proxy };
    }
    (http.Agent.prototype as unknown as { addRequest(r: http.ClientRequest, o: object): void }).addRequest.call(this, req, options);
  }

  override createConnection(options: http.ClientRequestArgs & { [proxyKey]?: ProxyServer }, callback?: Callback): Duplex | null | undefined {
    const proxy = options[proxyKey];
    if (!proxy) return super.createConnection(options, callback);
    const target = `${bracket(String(options.host))}:${options.port ?? 80}`;
    reachProxy(
      proxy,
      target,
      this.connectMs,
      (s) => {
        (s as ProxySocket).sgnHandOver();
        callback?.(null, s);
      },
      (e) => callback?.(e, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/** The agent pair of a run: `https` tunnels, `http` forwards; both send NO_PROXY hosts direct. */
export function createProxyAgents(proxies: ProxyEnv, opts: { connectMs: number; maxSockets?: number }): { http: http.Agent; https: https.Agent } {
  const common = { keepAlive: true, maxSockets: opts.maxSockets ?? 50 };
  return { http: new ForwardingAgent(proxies, opts.connectMs, common), https: new TunnelingAgent(proxies, opts.connectMs, common) };
}
