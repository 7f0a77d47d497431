import assert from 'node:assert/strict';
import { invocationLines, renderLogEvent, requestIdOf } from '../../../../src/services/deploy/logs.js';

describe('unit: deployer log lines', () => {
  it('given a runtime line, then LEVEL hh:mm:ss and the message, tabs folded, multi-line split', () => {
    assert.deepEqual(renderLogEvent('[INFO]\t2026-11-30T12:00:01.123Z\tabc-123\tDeploying web\tto production\nsecond\n'), ['INFO 12:00:01 Deploying web  to production', 'second']);
  });
  it('given a Tail of one invocation, then its lines in order without blanks', () => {
    const tail = 'START RequestId: r1 Version: $LATEST\n[INFO]\t2026-11-30T12:00:01.000Z\tr1\tEvent: {}\nEND RequestId: r1\nREPORT RequestId: r1\tDuration: 5.0 ms\n';
    assert.deepEqual(invocationLines(tail), ['START RequestId: r1 Version: $LATEST', 'INFO 12:00:01 Event: {}', 'END RequestId: r1', 'REPORT RequestId: r1  Duration: 5.0 ms']);
  });
  it('given lines, then the request id they belong to', () => {
    assert.equal(requestIdOf('START RequestId: 1a-2b Version: $LATEST'), '1a-2b');
    assert.equal(requestIdOf('[ERROR]\t2026-11-30T12:00:01.000Z\tff-00\tboom'), 'ff-00');
    assert.equal(requestIdOf('plain line'), undefined);
  });
});
