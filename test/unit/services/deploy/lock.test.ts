import assert from 'node:assert/strict';
import { acquireDeployLock, lockEnv } from '../../../../src/services/deploy/lock.js';
import { ConflictError } from '../../../../src/errors.js';
import { memoryTable } from '../../helpers/table.js';

describe('unit: the deploy lock (conditional writes on an in-memory table)', () => {
  let t = new Date('2026-11-30T12:00:00Z').getTime();
  const now = () => new Date(t);
  const input = (who: string, extra: { breakInterrupted?: boolean } = {}) => ({
    table: 'kubernetes_deploy', project: 'web', env: 'production', holder: { who, host: 'h', pid: 1, tag: 'git-1', from: 'staging' }, ttlSeconds: 60, now, ...extra,
  });

  it('given a held lock, then a second taker gets a ConflictError naming the holder; after release it is free', async () => {
    const db = memoryTable();
    const first = await acquireDeployLock(db, input('ana'));
    assert.equal(lockEnv('production'), 'sgn:lock:production');
    assert.ok(db.get('web', 'sgn:lock:production'));
    await assert.rejects(acquireDeployLock(db, input('bo')), (e: ConflictError) => e instanceof ConflictError && /by ana on h \(pid 1\), deploying git-1 from staging/.test(e.message));
    await first.release();
    assert.equal(db.get('web', 'sgn:lock:production'), undefined);
    const second = await acquireDeployLock(db, input('bo'));
    await second.release();
  });

  it('given a lock past its expiry, then it is taken over and the old holder is reported; the old holder\'s release deletes nothing', async () => {
    const db = memoryTable();
    const old = await acquireDeployLock(db, input('ana'));
    t += 61_000;
    const taker = await acquireDeployLock(db, input('bo'));
    assert.equal(taker.tookOver?.who, 'ana');
    await old.release();
    assert.equal(db.get('web', 'sgn:lock:production')?.Holder?.S, 'bo', 'a stale holder cannot delete the new lock');
    await taker.release();
  });

  it('given holdUntil after an interrupt, then the lock stays marked until then, release is a no-op, and only --break-lock takes it early', async () => {
    const db = memoryTable();
    const lock = await acquireDeployLock(db, input('ana'));
    const until = new Date(t + 620_000);
    assert.equal(await lock.holdUntil(until), true);
    await lock.release();
    const item = db.get('web', 'sgn:lock:production')!;
    assert.equal(item.Expires.N, String(Math.floor(until.getTime() / 1000)));
    assert.ok(item.Interrupted?.S);
    t += 300_000;
    await assert.rejects(acquireDeployLock(db, input('bo')), /interrupted at .* while the deployer may still run/);
    const broken = await acquireDeployLock(db, input('bo', { breakInterrupted: true }));
    assert.equal(broken.tookOver?.who, 'ana');
    assert.ok(broken.tookOver?.interrupted);
    await broken.release();
  });
});
