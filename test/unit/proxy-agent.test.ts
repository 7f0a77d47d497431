import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import { NetworkError, ProxyError } from '../../src/net-errors.js';
import { proxyFromEnv } from '../../src/net-proxy.js';
import { createProxyAgents } from '../../src/proxy-agent.js';
import { httpRequest, readBody } from '../../src/registry/http.js';
import { startForwardProxy } from '../helpers/forward-proxy.js';

// Time limits hold through a proxy: a proxy that never answers the CONNECT fails within the
// connect limit, naming the proxy; a server behind a forwarding proxy that stalls or drips fails
// the registry client's idle and throughput limits, naming the server.

async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ host: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('proxy agent: time limits through a proxy', () => {
  it('given a proxy that accepts the connection and never answers the CONNECT, then the request fails on the connect limit, naming the proxy', async () => {
    const sockets = new Set<Socket>();
    const silent = net.createServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const proxyHost = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const { https: agent } = createProxyAgents(proxyFromEnv({ HTTPS_PROXY: `http://${proxyHost}` }), { connectMs: 300 });
    const failure = await new Promise<unknown>((resolve) => {
      https.get('https://registry.test/v2/', { agent }, () => resolve(undefined)).on('error', resolve);
    });
    assert.ok(failure instanceof ProxyError && failure.kind === 'proxy', String(failure));
    assert.equal(failure.message, `could not reach the proxy ${proxyHost} (from HTTPS_PROXY): no answer within 300 ms`);
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it('given a server behind the proxy that stalls after its headers, then the read fails on the idle limit, naming the server', async () => {
    const proxy = await startForwardProxy();
    const stalling = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.flushHeaders();
    });
    const res = await httpRequest({ method: 'GET', url: new URL(`http://${stalling.host}/v2/`), proxy: proxyFromEnv({ HTTP_PROXY: proxy.url() }), limits: { idleMs: 300, windowMs: 300 } });
    await assert.rejects(readBody(res), (e: unknown) => e instanceof NetworkError && e.kind === 'idle' && e.host === stalling.host);
    assert.equal(proxy.forwarded.length, 1);
    await Promise.all([stalling.close(), proxy.stop()]);
  });

  it('given a server behind the proxy that drips its body, then the read fails on the throughput limit, naming the server', async () => {
    const proxy = await startForwardProxy();
    const timers = new Set<NodeJS.Timeout>();
    const dripping = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': '100000' });
      const t = setInterval(() => res.write('x'), 20);
      timers.add(t);
      res.on('close', () => clearInterval(t));
    });
    const res = await httpRequest({ method: 'GET', url: new URL(`http://${dripping.host}/v2/`), proxy: proxyFromEnv({ HTTP_PROXY: proxy.url() }), limits: { windowMs: 400, minBytesPerSecond: 1024 } });
    await assert.rejects(readBody(res), (e: unknown) => e instanceof NetworkError && e.kind === 'slow' && e.host === dripping.host);
    for (const t of timers) clearInterval(t);
    await Promise.all([dripping.close(), proxy.stop()]);
  });
});
