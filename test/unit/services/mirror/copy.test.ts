import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { DigestMismatchError, Registry } from '../../../../src/registry/client.js';
import { copyBlob } from '../../../../src/services/mirror/copy.js';
import type { PlannedBlob } from '../../../../src/services/mirror/plan.js';
import type { MirrorProgress } from '../../../../src/services/mirror/progress.js';
import { serve, type Served } from '../../helpers/serve.js';

// The upload protocol of one blob, against in-process registries that show what docker-registry
// cannot on demand: a registry that refuses a blob in the PUT that completes an upload, and a
// source that sends other bytes than its digest says (the target must never get them whole).

const digestOf = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');


/** A source that serves `bytes` for any blob; `chunked`: without Content-Length. */
async function source(bytes: Buffer, opts: { chunked?: boolean } = {}): Promise<Served & { gets: () => number }> {
  let gets = 0;
  const s = await serve((_req, res) => {
    gets++;
    if (!opts.chunked) res.setHeader('Content-Length', String(bytes.length));
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    // Several writes: the copy sees several chunks, and holds the last one back.
    const step = Math.ceil(bytes.length / 4);
    for (let i = 0; i < bytes.length; i += step) res.write(bytes.subarray(i, i + step));
    res.end();
  });
  return { ...s, gets: () => gets };
}

interface Target extends Served {
  /** Method and path (no query) of every request, in order. */
  log: string[];
  /** Digests committed (the registry checked them, as docker-registry does). */
  committed: string[];
  /** Bytes each upload request carried, and whether its body arrived whole. */
  bodies: { method: string; bytes: number; complete: boolean }[];
}

/** A target registry: POST opens a session; PATCH appends; PUT appends its body (unless `refuseMonolithic`) and commits. */
async function target(opts: { refuseMonolithic?: boolean } = {}): Promise<Target> {
  const sessions = new Map<string, Buffer[]>();
  const t = { log: [] as string[], committed: [] as string[], bodies: [] as Target['bodies'] };
  let n = 0;
  const s = await serve((req, res) => {
    const url = new URL(req.url!, 'http://x');
    t.log.push(`${req.method} ${url.pathname}`);
    const id = url.pathname.split('/').pop()!;
    const fail = (status: number, code: string) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code, message: code.toLowerCase() }] }));
    if (req.method === 'POST') {
      sessions.set(String(++n), []);
      return res.writeHead(202, { Location: `/v2/team/app/blobs/uploads/${n}`, 'Content-Length': '0' }).end();
    }
    if (req.method === 'DELETE') {
      sessions.delete(id);
      return res.writeHead(204).end();
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (req.method === 'PUT' && length > 0 && opts.refuseMonolithic) return fail(400, 'BLOB_UPLOAD_INVALID');
    const chunks: Buffer[] = [];
    const body = { method: req.method!, bytes: 0, complete: false };
    t.bodies.push(body);
    req.on('data', (c: Buffer) => {
      chunks.push(c);
      body.bytes += c.length;
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      body.complete = true;
      const session = sessions.get(id);
      if (!session) return fail(404, 'BLOB_UPLOAD_UNKNOWN');
      session.push(...chunks);
      if (req.method === 'PATCH') return res.writeHead(202, { Location: `/v2/team/app/blobs/uploads/${id}`, 'Content-Length': '0' }).end();
      const digest = url.searchParams.get('digest')!;
      if (digestOf(Buffer.concat(session)) !== digest) return fail(400, 'DIGEST_INVALID');
      t.committed.push(digest);
      res.writeHead(201, { 'Docker-Content-Digest': digest, 'Content-Length': '0' }).end();
    });
  });
  return Object.assign(t, s);
}

const quiet: MirrorProgress = { start: () => undefined, bytes: () => undefined, finish: () => undefined, note: () => undefined, stop: () => undefined };
const registry = (host: string, role: 'source' | 'target') => new Registry({ host, insecure: true, actions: role === 'source' ? 'pull' : 'pull,push', role, userAgent: 'sgn-test', retries: 0 });
const blobOf = (bytes: Buffer, digest = digestOf(bytes)): PlannedBlob => ({ digest, size: bytes.length, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', kind: 'layer' });

describe('unit: mirror blob copy (upload protocol)', () => {
  const open: Served[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  const setup = async (bytes: Buffer, opts: { refuseMonolithic?: boolean; chunked?: boolean } = {}) => {
    const [src, dst] = await Promise.all([source(bytes, opts), target(opts)]);
    open.push(src, dst);
    const c = { src: registry(src.host, 'source'), srcRepo: 'lib/app', dst: registry(dst.host, 'target'), dstRepo: 'team/app', progress: quiet, retries: 0 };
    return { src, dst, c };
  };

  it('given a registry that takes a blob in the PUT that completes the upload, then POST and one PUT carry it (no PATCH) and the registry commits its digest', async () => {
    const bytes = randomBytes(300_000);
    const { dst, c } = await setup(bytes);
    assert.deepEqual(await copyBlob(c, blobOf(bytes)), { outcome: 'copied' });
    assert.deepEqual(dst.log, ['POST /v2/team/app/blobs/uploads/', 'PUT /v2/team/app/blobs/uploads/1']);
    assert.deepEqual(dst.committed, [digestOf(bytes)]);
    assert.equal(c.dst.monolithicUploads, true);
  });

  it('given a registry that refuses a blob in the PUT that completes the upload, then the copy starts over as PATCH then PUT, and later blobs go that way at once', async () => {
    const bytes = randomBytes(200_000);
    const { src, dst, c } = await setup(bytes, { refuseMonolithic: true });
    assert.deepEqual(await copyBlob(c, blobOf(bytes)), { outcome: 'copied' });
    assert.deepEqual(dst.committed, [digestOf(bytes)]);
    assert.equal(c.dst.monolithicUploads, false);
    assert.equal(src.gets(), 2, 'the refused transfer is read again from the source');
    dst.log.length = 0;
    assert.deepEqual(await copyBlob(c, blobOf(bytes)), { outcome: 'copied' });
    assert.deepEqual(dst.log.map((l) => l.split(' ')[0]), ['POST', 'PATCH', 'PUT']);
  });

  for (const chunked of [false, true]) {
    it(`given a source that sends other bytes of the right size${chunked ? ' (no Content-Length)' : ''}, then DigestMismatchError and the target never gets the whole body, so nothing is committed`, async () => {
      const bytes = randomBytes(256_000);
      const claimed = digestOf(Buffer.concat([bytes.subarray(0, 1000), Buffer.alloc(1), bytes.subarray(1001)]));
      const { dst, c } = await setup(bytes, { chunked });
      await assert.rejects(copyBlob(c, blobOf(bytes, claimed)), (e: unknown) => e instanceof DigestMismatchError && e.expected === claimed && e.actual === digestOf(bytes));
      // The server side of an aborted request may still be closing: wait for it to have ended.
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(dst.committed, []);
      const put = dst.bodies.find((b) => b.method === 'PUT');
      assert.ok(!put || (!put.complete && put.bytes < bytes.length), `the PUT carried ${put?.bytes} of ${bytes.length} bytes`);
    });
  }

  it('given a source that sends other bytes, when the registry only takes PATCH then PUT, then the committing PUT is never sent', async () => {
    const bytes = randomBytes(100_000);
    const { dst, c } = await setup(bytes, { refuseMonolithic: true });
    c.dst.monolithicUploads = false;
    await assert.rejects(copyBlob(c, blobOf(bytes, digestOf(Buffer.from('other')))), DigestMismatchError);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(dst.committed, []);
    assert.ok(!dst.log.some((l) => l.startsWith('PUT')), dst.log.join(', '));
  });
});
