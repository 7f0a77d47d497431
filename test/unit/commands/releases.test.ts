import assert from 'node:assert/strict';
import { defaultReleasesLimit, parseReleases } from '../../../src/commands/releases.js';
import { UsageError } from '../../../src/errors.js';

describe('sgn releases: parse', () => {
  it('given a project only, then the default limit', () => {
    assert.deepEqual(parseReleases(['web'], {}), { project: 'web', limit: defaultReleasesLimit });
  });
  it('given --all, then no limit; given --limit 5, then 5', () => {
    assert.deepEqual(parseReleases(['web'], { all: true }), { project: 'web', limit: undefined });
    assert.deepEqual(parseReleases(['web'], { limit: '5' }), { project: 'web', limit: 5 });
  });
  it('given --limit 0, a word, or with --all, then a usage error', () => {
    for (const flags of [{ limit: '0' }, { limit: 'many' }, { limit: '2.5' }, { all: true, limit: '3' }]) assert.throws(() => parseReleases(['web'], flags), UsageError);
  });
});
