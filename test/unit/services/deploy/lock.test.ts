import assert from 'node:assert/strict';
import { acquireDeployLock, lockEnv, RecordsChangedError, unchangedCheck } from '../../../../src/services/deploy/lock.js';
import { recordFromItem } from '../../../../src/services/records.js';
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

  describe('taken in one transaction with checks that the plan\'s records are unchanged', () => {
    const staging = { Application: { S: 'web' }, Env: { S: 'staging' }, Tag: { S: 'git-2' }, Deployed: { S: '1764500000.000001' } };
    const checks = (db: ReturnType<typeof memoryTable>) => [unchangedCheck('web', 'staging', recordFromItem(db.get('web', 'staging')!)), unchangedCheck('web', 'production', undefined)];

    it('given the records as the plan read them, then the lock is written, in one transaction', async () => {
      const db = memoryTable();
      db.put(staging);
      const unchanged = checks(db);
      const lock = await acquireDeployLock(db, { ...input('ana'), unchanged });
      assert.equal(db.get('web', 'sgn:lock:production')?.Holder?.S, 'ana');
      await lock.release();
    });

    it('given staging redeployed or production written since the plan, then RecordsChangedError and no lock item', async () => {
      for (const change of [{ ...staging, Deployed: { S: '1764500099.000001' } }, { ...staging, Env: { S: 'production' } }]) {
        const db = memoryTable();
        db.put(staging);
        const unchanged = checks(db);
        db.put(change);
        await assert.rejects(acquireDeployLock(db, { ...input('ana'), unchanged }), RecordsChangedError);
        assert.equal(db.get('web', 'sgn:lock:production'), undefined);
      }
    });

    it('given a held lock, then the transaction\'s cancellation names its holder, as a plain conditional write would', async () => {
      const db = memoryTable();
      db.put(staging);
      const first = await acquireDeployLock(db, input('ana'));
      await assert.rejects(acquireDeployLock(db, { ...input('bo'), unchanged: checks(db) }), (e: ConflictError) => e instanceof ConflictError && /by ana on h/.test(e.message));
      await first.release();
    });

    it('given a record being written at the same moment (TransactionConflict on a check), then RecordsChangedError (the records are read again)', async () => {
      const db = memoryTable();
      db.put(staging);
      const busy = Object.assign(Object.create(db) as typeof db, {
        transactWriteItems: async () => {
          throw Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }, { Code: 'None' }] });
        },
      });
      await assert.rejects(acquireDeployLock(busy, { ...input('ana'), unchanged: checks(db) }), RecordsChangedError);
      assert.equal(db.get('web', 'sgn:lock:production'), undefined);
    });

    it('given another deploy\'s transaction on the lock at the same moment (TransactionConflict), then the current lock is read and its holder named', async () => {
      const db = memoryTable();
      db.put(staging);
      const first = await acquireDeployLock(db, input('ana'));
      const racing = Object.assign(Object.create(db) as typeof db, {
        transactWriteItems: async () => {
          throw Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'None' }] });
        },
      });
      await assert.rejects(acquireDeployLock(racing, { ...input('bo'), unchanged: checks(db) }), (e: ConflictError) => e instanceof ConflictError && /by ana on h/.test(e.message));
      await first.release();
    });
  });
});
