import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mapLimit } from '../../../../src/services/mirror/pool.js';
import { BlobSizeError, BlobVerifier } from '../../../../src/registry/verify.js';
import { DigestMismatchError } from '../../../../src/registry/client.js';

describe('unit: mirror pool and blob verification', () => {
  it('given a limit, then never more calls in flight, results in input order', async () => {
    let running = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30]);
    assert.equal(most, 2);
  });

  it('given a failing call, then no new call starts and the first error is thrown after the running ones end', async () => {
    const started: number[] = [];
    await assert.rejects(
      mapLimit([0, 1, 2, 3, 4, 5], 2, async (n) => {
        started.push(n);
        if (n === 1) throw new Error('boom 1');
        await new Promise((r) => setTimeout(r, 5));
        return n;
      }),
      /boom 1/,
    );
    assert.ok(started.length < 6, `started ${started.join(',')}`);
  });

  const digestOf = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
  const run = (bytes: Buffer, expected: { digest: string; size: number }) => {
    const v = new BlobVerifier(expected);
    const sink: Buffer[] = [];
    const into = new Writable({
      write(c: Buffer, _e, done) {
        sink.push(c);
        done();
      },
    });
    return { v, sink, done: pipeline(Readable.from([bytes.subarray(0, 3), bytes.subarray(3)]), v, into) };
  };

  it('given the right bytes, then they pass through and check() is quiet', async () => {
    const bytes = Buffer.from('hello blob');
    const { v, done } = run(bytes, { digest: digestOf(bytes), size: bytes.length });
    await done;
    v.check('layer');
  });

  it('given more or fewer bytes than the descriptor, then a BlobSizeError; given other bytes of the right size, then DigestMismatchError before the last chunk passes', async () => {
    const bytes = Buffer.from('hello blob');
    await assert.rejects(run(bytes, { digest: digestOf(bytes), size: 4 }).done, BlobSizeError);
    await assert.rejects(run(bytes, { digest: digestOf(bytes), size: 20 }).done, BlobSizeError);
    const other = run(Buffer.from('hello blub'), { digest: digestOf(bytes), size: bytes.length });
    await assert.rejects(other.done, DigestMismatchError);
    // An upload that commits on its last byte (a monolithic PUT) never gets it.
    assert.equal(Buffer.concat(other.sink).toString(), 'hel');
    assert.throws(() => other.v.check('layer'), DigestMismatchError);
  });
});
