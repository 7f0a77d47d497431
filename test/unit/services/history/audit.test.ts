import assert from 'node:assert/strict';
import { appendHistory, entryFromItem, historyItem, previousRelease, queryHistory, type HistoryEntry } from '../../../../src/services/history/audit.js';
import { isDeployItem } from '../../../../src/services/records.js';
import { memoryTable } from '../../helpers/table.js';

const entry = (over: Partial<HistoryEntry>): HistoryEntry => ({
  project: 'web',
  env: 'production',
  kind: 'promote',
  from: 'staging',
  fromTag: 'git-1',
  toTag: 'git-2',
  caller: 'arn:aws:sts::1:assumed-role/dev/ana',
  result: 'deployed',
  startedAt: new Date('2026-11-30T10:00:00Z'),
  durationMs: 1234,
  requestId: 'req-1',
  ...over,
});

describe('history items', () => {
  it('given an entry, then its item round-trips, sorts by time under sgn:history: and is hidden from ls deployed', () => {
    const e = entry({ toBucket: 'p', toKey: 'web/BuildArtif/2' });
    const item = historyItem(e, { id: 'abc', expiresAt: new Date('2026-12-30T10:00:00Z') });
    assert.equal(item.Env.S, 'sgn:history:2026-11-30T10:00:00.000Z:production:abc');
    assert.equal(item.sgnExpires.N, String(Date.parse('2026-12-30T10:00:00Z') / 1000));
    assert.equal(isDeployItem(item), false);
    assert.deepEqual(entryFromItem(item), { ...e, fromBucket: undefined, fromKey: undefined, error: undefined });
  });

  it('given entries appended, then a Query reads them newest first, per env, with historyDays as a TTL', async () => {
    const db = memoryTable();
    await appendHistory(db, 't', entry({ startedAt: new Date('2026-11-01T00:00:00Z'), toTag: 'git-a' }));
    await appendHistory(db, 't', entry({ startedAt: new Date('2026-11-03T00:00:00Z'), toTag: 'git-c', env: 'staging' }));
    await appendHistory(db, 't', entry({ startedAt: new Date('2026-11-02T00:00:00Z'), toTag: 'git-b' }), 30);
    assert.deepEqual((await queryHistory(db, 't', 'web')).map((e) => e.toTag), ['git-c', 'git-b', 'git-a']);
    assert.deepEqual((await queryHistory(db, 't', 'web', { env: 'production', limit: 1 })).map((e) => e.toTag), ['git-b']);
    const withTtl = [...db.items.values()].filter((i) => i.sgnExpires);
    assert.equal(withTtl.length, 1);
    assert.equal(Number(withTtl[0].sgnExpires.N), Date.parse('2026-12-02T00:00:00Z') / 1000);
  });

  it('given a history, then the release before the current one is what the newest successful change to it replaced', () => {
    const h = [
      entry({ toTag: 'git-1', fromTag: 'git-3', kind: 'rollback', result: 'failed' }),
      entry({ toTag: 'git-3', fromTag: 'git-2', fromKey: 'k2', fromBucket: 'b' }),
      entry({ toTag: 'git-2', fromTag: undefined }),
    ];
    assert.deepEqual(previousRelease(h, 'production', 'git-3'), { tag: 'git-2', bucket: 'b', key: 'k2', entry: h[1] });
    assert.equal(previousRelease(h, 'production', 'git-2')!.tag, undefined, 'the first deploy: nothing before');
    assert.equal(previousRelease(h, 'staging', 'git-3'), undefined);
  });

  it('given a damaged item, then it is skipped, never a crash', () => {
    assert.equal(entryFromItem({ Application: { S: 'web' }, Env: { S: 'sgn:history:x' } }), undefined);
  });
});
