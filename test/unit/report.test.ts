import assert from 'node:assert/strict';
import { reportError } from '../../src/report.js';
import { ConflictError, SgnError } from '../../src/errors.js';
import { testStreams } from './helpers/io.js';

describe('unit: the one reporting point', () => {
  it('given a known error, then one sentence, the hint, and its exit code', () => {
    const io = testStreams();
    assert.equal(reportError(io, new ConflictError('Locked by ana.', 'Wait.'), { debug: false }), 5);
    assert.equal(io.err(), 'Error: Locked by ana.\nHint: Wait.\n');
    assert.equal(io.out(), '');
  });
  it('given --json, then one JSON document on stdout with the error and what the command knew', () => {
    const io = testStreams();
    reportError(io, new SgnError('No effect.', { code: 'deploy.no-effect', data: { status: 'no-effect' } }), { debug: false, json: true });
    assert.deepEqual(JSON.parse(io.out()), { status: 'no-effect', error: { code: 'deploy.no-effect', message: 'No effect.', hint: null, exitCode: 1 } });
  });
  it('given an unknown error, then it is called a bug, with --debug for details, and no stack without --debug', () => {
    const io = testStreams();
    assert.equal(reportError(io, new TypeError('x is undefined'), { debug: false }), 1);
    assert.match(io.err(), /bug in sgn/);
    assert.doesNotMatch(io.err(), /at /);
  });
});
