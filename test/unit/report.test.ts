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
  it('given a runaway argument in a message, then it is shortened to its start and end, with its length', async () => {
    const { main } = await import('../../src/cli.js');
    const { cleanEnv } = await import('./helpers/io.js');
    const io = testStreams();
    const long = 'x'.repeat(5000);
    const code = await main(['deploy', long, 'production'], { streams: io, env: cleanEnv(), cwd: '/', signal: new AbortController().signal });
    assert.equal(code, 2);
    const first = io.err().split('\n')[0];
    assert.ok(first.length < 300, first);
    assert.match(first, /^Error: "x{99}…x{39}" \(5002 characters\) is not a valid project name\.$/);
  });
  it('given an unknown error, then it is called a bug, with --debug for details, and no stack without --debug', () => {
    const io = testStreams();
    assert.equal(reportError(io, new TypeError('x is undefined'), { debug: false }), 1);
    assert.match(io.err(), /bug in sgn/);
    assert.doesNotMatch(io.err(), /at /);
  });
});
