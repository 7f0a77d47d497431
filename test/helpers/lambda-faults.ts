import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onStop } from './processes.js';

/** What the faulty front does with the n-th request. */
export type LambdaFault = 'throttle' | 'drop' | 'pass';

const body = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/**
 * A fake of Lambda's faults in front of the deployer emulator, for what the emulator cannot do
 * on demand: answer 429 TooManyRequestsException (as Lambda does before starting a function), or
 * forward the invoke and then drop the connection (the deployer runs, the caller never hears).
 * Requests beyond `faults` pass through. Counts the requests it received.
 */
export async function faultyLambda(target: string, faults: LambdaFault[]): Promise<{ url: string; requests: () => number; invokes: () => number }> {
  let n = 0;
  let invokes = 0;
  const server = createServer(async (req, res) => {
    // Faults apply to invokes; other calls (GetFunction) pass.
    const isInvoke = /\/invocations$/.test((req.url ?? '').split('?')[0]);
    if (isInvoke) invokes++;
    const fault = isInvoke ? (faults[n++] ?? 'pass') : 'pass';
    const payload = await body(req);
    if (fault === 'throttle') {
      res.writeHead(429, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'TooManyRequestsException', 'Retry-After': '1' });
      res.end(JSON.stringify({ Type: 'User', message: 'Rate Exceeded.', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' }));
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>;
    const forwarded = fetch(target + req.url, { method: req.method, headers, body: req.method === 'GET' ? undefined : payload });
    if (fault === 'drop') {
      forwarded.catch(() => undefined);
      // Give the invoke time to reach the deployer, then cut the caller off mid-wait.
      setTimeout(() => req.socket.destroy(), 300);
      return;
    }
    const out = await forwarded;
    const outHeaders: Record<string, string> = {};
    out.headers.forEach((v, k) => (outHeaders[k] = v));
    delete outHeaders['content-length'];
    delete outHeaders['content-encoding'];
    res.writeHead(out.status, outHeaders);
    res.end(Buffer.from(await out.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onStop(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => n, invokes: () => invokes };
}
