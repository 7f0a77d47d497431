import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { onStop } from './processes.js';

/** One request that went through the proxy, with the bytes of its response body. */
export interface ProxiedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  range?: string;
  status: number;
  bodyBytes: number;
}

/**
 * A transparent HTTP proxy in front of moto that counts what goes through it: tests point the
 * CLI's S3 endpoint at it to prove how many bytes of each object a command really read.
 */
export async function countingProxy(target: string): Promise<{ url: string; requests: ProxiedRequest[]; stop(): Promise<void> }> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const server = http.createServer((req, res) => {
    const entry: ProxiedRequest = { method: req.method ?? '?', url: req.url ?? '/', range: req.headers.range, status: 0, bodyBytes: 0 };
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        entry.status = up.statusCode ?? 0;
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.on('data', (c: Buffer) => (entry.bodyBytes += c.length));
        up.pipe(res);
        up.on('end', () => requests.push(entry));
      },
    );
    out.on('error', () => {
      res.destroy();
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let stopped = false;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      stopped = true;
      server.close(() => resolve());
      server.closeAllConnections();
    });
  onStop(stop);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, stop };
}
