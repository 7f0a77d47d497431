import assert from 'node:assert/strict';
import { text } from 'node:stream/consumers';
import { DigestMismatchError, Registry, RegistryError } from '../../../src/registry/client.js';
import { sha256Digest } from '../../../src/registry/manifest.js';
import { serve } from '../helpers/serve.js';

// Faults docker-registry cannot produce on demand: a blob redirect to another host (a CDN, S3),
// a registry whose Docker-Content-Digest does not match what it sends, a connection cut.


const client = (host: string) => new Registry({ host, insecure: true, actions: 'pull', userAgent: 'sgn-test', credentials: async () => ({ username: 'u', password: 'p' }), retries: 2 });

describe('registry client', () => {
  it('given a blob redirected to another host, then the registry credentials are not sent there', async () => {
    const seen: (string | undefined)[] = [];
    const cdn = await serve((req, res) => {
      seen.push(req.headers.authorization);
      res.end('blob bytes');
    });
    const registry = await serve((req, res) => {
      if (!req.headers.authorization) return res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end();
      res.writeHead(307, { Location: `http://${cdn.host}/signed?X-Amz-Signature=abc` }).end();
    });
    const { body } = await client(registry.host).openBlob('team/app', 'sha256:' + '0'.repeat(64));
    assert.equal(await text(body), 'blob bytes');
    assert.deepEqual(seen, [undefined]);
    await Promise.all([cdn.close(), registry.close()]);
  });

  it('given a tag whose Docker-Content-Digest does not match the bytes sent, then the manifest is refused', async () => {
    const bytes = Buffer.from('{"schemaVersion":2}');
    const registry = await serve((_req, res) => res.writeHead(200, { 'Docker-Content-Digest': 'sha256:' + 'f'.repeat(64), 'Content-Type': 'application/vnd.oci.image.index.v1+json' }).end(bytes));
    await assert.rejects(client(registry.host).getManifest('team/app', '1.0'), (e: unknown) => e instanceof DigestMismatchError && e.actual === sha256Digest(bytes));
    await registry.close();
  });

  it('given connections cut before an answer, then idempotent requests are retried, and an endless cut ends in a network error', async () => {
    let calls = 0;
    const flaky = await serve((req, res) => {
      if (++calls < 3) return req.socket.destroy();
      res.writeHead(200, { 'Docker-Content-Digest': 'sha256:' + 'a'.repeat(64) }).end();
    });
    assert.deepEqual(await client(flaky.host).headManifest('team/app', '1.0'), { digest: 'sha256:' + 'a'.repeat(64), mediaType: undefined });
    assert.equal(calls, 3);
    const dead = await serve((req) => req.socket.destroy());
    await assert.rejects(client(dead.host).headManifest('team/app', '1.0'), (e: unknown) => e instanceof RegistryError && e.status === 0 && e.code === 'ECONNRESET');
    await Promise.all([flaky.close(), dead.close()]);
  });

  it('given a Retry-After longer than sgn waits, then it gives up at once with the 429', async () => {
    let calls = 0;
    const limited = await serve((_req, res) => {
      calls++;
      res.writeHead(429, { 'Retry-After': '3600' }).end();
    });
    await assert.rejects(client(limited.host).headManifest('team/app', '1.0'), (e: unknown) => e instanceof RegistryError && e.status === 429 && e.code === 'TOOMANYREQUESTS');
    assert.equal(calls, 1);
    await limited.close();
  });
});

describe('registry client: cancelling an upload after Ctrl-C', () => {
  it('given the run already interrupted (its signal aborted), when an upload is cancelled, then the DELETE still goes out, once', async () => {
    const seen: string[] = [];
    const registry = await serve((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(204).end();
    });
    const interrupted = new AbortController();
    interrupted.abort(new Error('Interrupted.'));
    const r = new Registry({ host: registry.host, insecure: true, actions: 'pull,push', userAgent: 'sgn-test', signal: interrupted.signal });
    assert.equal(await r.cancelUpload('team/app', new URL(`http://${registry.host}/v2/team/app/blobs/uploads/u-1?_state=s`)), true);
    assert.deepEqual(seen, ['DELETE /v2/team/app/blobs/uploads/u-1?_state=s']);
    await registry.close();
  });

  it('given a registry that answers the cancel with 503, then it is sent once (no retry) and reported as not taken', async () => {
    let calls = 0;
    const registry = await serve((_req, res) => {
      calls++;
      res.writeHead(503).end();
    });
    const r = new Registry({ host: registry.host, insecure: true, actions: 'pull,push', userAgent: 'sgn-test' });
    assert.equal(await r.cancelUpload('team/app', new URL(`http://${registry.host}/v2/team/app/blobs/uploads/u-2`)), false);
    assert.equal(calls, 1);
    await registry.close();
  });
});

describe('registry client: bounded time and faults that name the host', () => {
  const limits = { connectMs: 2000, idleMs: 1500, windowMs: 1000, minBytesPerSecond: 1024 };
  const quick = (host: string, extra: Partial<ConstructorParameters<typeof Registry>[0]> = {}) =>
    new Registry({ host, insecure: true, actions: 'pull', userAgent: 'sgn-test', retries: 4, limits, ...extra });
  const digest = 'sha256:' + 'a'.repeat(64);
  const isNet = (kind: string, host: string) => (e: unknown) => e instanceof RegistryError && e.status === 0 && e.network === kind && e.message.includes(host);

  it('given a server that stalls after the headers, then the read fails naming it, not "aborted"', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': '100', 'Docker-Content-Digest': digest });
      res.flushHeaders();
    });
    await assert.rejects(quick(s.host).getManifest('team/app', '1.0'), isNet('idle', s.host));
    await s.close();
  });

  it('given a server that drips a few bytes a second, then the read fails for being too slow, naming it', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('x')), 200);
      res.on('close', () => clearInterval(t));
    });
    await assert.rejects(quick(s.host).getManifest('team/app', '1.0'), isNet('slow', s.host));
    await s.close();
  });

  it('given a body shorter than its Content-Length, then it is a truncated answer from that host', async () => {
    const s = await serve((req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('{"schemaVersion":', () => req.socket.end());
    });
    await assert.rejects(quick(s.host, { retries: 0 }).getManifest('team/app', '1.0'), isNet('truncated', s.host));
    await s.close();
  });

  it('given bytes that are not HTTP, then it says so and names the host', async () => {
    const s = await serve((req) => req.socket.end('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
    await assert.rejects(quick(s.host).headManifest('team/app', '1.0'), isNet('not-http', s.host));
    await s.close();
  });

  it('given a refused connection, then retries are announced after the first, within the budget, and the error names the host', async () => {
    const s = await serve(() => undefined);
    const host = s.host;
    await s.close();
    const said: string[] = [];
    const started = performance.now();
    await assert.rejects(quick(host, { onRetry: (m) => said.push(m), retryBudgetMs: 3000 }).headManifest('team/app', '1.0'), isNet('refused', host));
    assert.ok(performance.now() - started < 10_000);
    assert.deepEqual(said, [`retrying in 1 s (2/4): connection refused by ${host}`]);
  });

  it('given an invalid JSON token answer, then it is a malformed answer naming the token host', async () => {
    const token = await serve((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('<html>captive portal</html>'));
    const reg = await serve((_req, res) => res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${token.host}/token",service="x"` }).end());
    await assert.rejects(quick(reg.host).headManifest('team/app', '1.0'), (e: unknown) => e instanceof RegistryError && e.host === token.host && /not JSON/.test(e.message));
    await Promise.all([token.close(), reg.close()]);
  });
});
