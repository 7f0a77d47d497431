import assert from 'node:assert/strict';
import { formatAge, formatDeployed, formatDuration, parseDeployed, parseSince } from '../../src/time.js';

describe('unit: time', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  it('given instants apart, then the age reads in the largest whole unit, never negative', () => {
    const ago = (ms: number) => formatAge(new Date(now.getTime() - ms), now);
    assert.equal(ago(59_000), '59s ago');
    assert.equal(ago(60_000), '1m ago');
    assert.equal(ago(3 * 3600_000 + 59_000), '3h ago');
    assert.equal(ago(2 * 86400_000), '2d ago');
    assert.equal(ago(-5000), '0s ago', 'clock skew never shows a negative age');
  });
  it('given durations, then seconds with a tenth below a minute, m and padded s above', () => {
    assert.equal(formatDuration(1234), '1.2s');
    assert.equal(formatDuration(125_000), '2m05s');
  });
  it('given --since texts, then durations back from now and ISO times parse; anything else is undefined', () => {
    assert.equal(parseSince('90s', now)?.toISOString(), '2026-11-30T11:58:30.000Z');
    assert.equal(parseSince('1h30m', now)?.toISOString(), '2026-11-30T10:30:00.000Z');
    assert.equal(parseSince('2026-11-29T00:00:00Z', now)?.toISOString(), '2026-11-29T00:00:00.000Z');
    assert.equal(parseSince('yesterday', now), undefined);
    assert.equal(parseSince('10x', now), undefined);
  });

  it('given a Date, then formatDeployed writes the deployer\'s epoch seconds with microseconds, and parseDeployed reads it back', () => {
    const d = new Date('2026-11-30T12:00:00.123Z');
    assert.equal(formatDeployed(d), '1796040000.123000');
    assert.equal(parseDeployed(formatDeployed(d))?.getTime(), d.getTime());
    assert.equal(parseDeployed('yesterday'), undefined);
    assert.equal(parseDeployed(undefined), undefined);
  });
});
