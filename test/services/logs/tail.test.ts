import { strictFake } from '../../unit/helpers/fakes.js';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { streamReader, filterReader, withBackoff, type LogEvent } from '../../../src/services/logs/reader.js';
import { tailBuildLogs, type LogsTailOptions } from '../../../src/services/logs/tail.js';
import type { LogsApi } from '../../../src/aws/logs.js';
import { awsError, FakeCodeBuild, FakeStream, fakeDeps } from './fake-world.js';

const base: LogsTailOptions = { project: 'web', follow: false, wait: false, exitStatus: false };
const target = { group: '/aws/codebuild/web', stream: 'abc' };
const quietDeps = (sleeps: number[] = []) => ({
  signal: new AbortController().signal,
  sleep: async (ms: number) => void sleeps.push(ms),
  backoff: { baseMs: 100, maxMs: 400, attempts: 5 },
});

describe('logs tail: reading a stream (fake CloudWatch for faults moto cannot make)', () => {
  it('given empty pages with new tokens and throttling between pages, when draining, then every line comes once, in order, and a throttled call is retried with the same token', async () => {
    const s = new FakeStream();
    s.append(7);
    const got: string[] = [];
    const sleeps: number[] = [];
    const reader = streamReader(s.api, {}, quietDeps(sleeps));
    s.emptyPages = 1; // an empty first page that still moves the token
    // Call 1: the empty page; call 2: lines 1-3; calls 3 and 4 throttled; then on from line 4.
    s.failOn.set(3, awsError('ThrottlingException')).set(4, awsError('ThrottlingException'));
    const emit = async (events: LogEvent[]) => void got.push(...events.map((e) => e.message!));
    const r = await reader.drain(target, emit);
    assert.deepEqual(got, Array.from({ length: 7 }, (_, i) => `line ${i + 1}\n`));
    assert.equal(r.events, 7);
    assert.equal(sleeps.length, 2, 'backed off once per throttle');
    assert.ok(sleeps[1] > sleeps[0] / 2, 'back-off does not shrink');
    // Throttled twice at token f/3/2, then retried from it; the end is the last token coming back.
    assert.deepEqual(
      s.calls.map((c) => c.nextToken),
      [undefined, 'f/0/1', 'f/3/2', 'f/3/2', 'f/3/2', 'f/6/3', 'f/7/4'],
    );
  });

  it('given lines appended between drains, when draining again, then only the new lines come, none repeated', async () => {
    const s = new FakeStream();
    const got: string[] = [];
    const reader = streamReader(s.api, {}, quietDeps());
    const emit = async (events: LogEvent[]) => void got.push(...events.map((e) => e.message!));
    assert.deepEqual(await reader.drain(target, emit), { events: 0, missing: false });
    s.append(4);
    assert.equal((await reader.drain(target, emit)).events, 4);
    assert.equal((await reader.drain(target, emit)).events, 0);
    s.append(2);
    await reader.drain(target, emit);
    assert.deepEqual(got, ['line 1\n', 'line 2\n', 'line 3\n', 'line 4\n', 'line 5\n', 'line 6\n']);
  });

  it('given any mix of appends, empty pages and throttles, then what is emitted is exactly what was written (property)', async () => {
    const step = fc.record({ append: fc.nat(8), empty: fc.nat(2), throttles: fc.nat(2), pageSize: fc.integer({ min: 1, max: 5 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const s = new FakeStream();
        const got: string[] = [];
        const reader = streamReader(s.api, {}, quietDeps());
        const emit = async (events: LogEvent[]) => void got.push(...events.map((e) => e.message!));
        for (const st of steps) {
          s.append(st.append);
          s.pageSize = st.pageSize;
          s.emptyPages = st.empty;
          for (let i = 0; i < st.throttles; i++) s.faults.push(awsError('ThrottlingException'));
          await reader.drain(target, emit);
        }
        s.emptyPages = 0;
        await reader.drain(target, emit);
        assert.deepEqual(got, s.events.map((e) => e.message));
      }),
      { numRuns: 200 },
    );
  });

  it('given a long stream, when draining, then the next page is asked for while a page is printed (one round trip per page)', async () => {
    const s = new FakeStream();
    s.append(7);
    const askedAtEmit: number[] = [];
    const reader = streamReader(s.api, {}, quietDeps());
    await reader.drain(target, async () => void askedAtEmit.push(s.calls.length));
    // Pages 1-3, 4-6, 7: when each is printed, the request after it is already out.
    assert.deepEqual(askedAtEmit, [2, 3, 4]);
    assert.equal(s.calls.length, 4);
  });

  it('given a first page read ahead for the stream then drained, then it is used, not asked for again; read ahead for another stream, it is dropped', async () => {
    const s = new FakeStream();
    s.append(2);
    const got: string[] = [];
    const emit = async (events: LogEvent[]) => void got.push(...events.map((e) => e.message!));
    const reader = streamReader(s.api, {}, quietDeps());
    reader.prefetch!(target);
    assert.equal(s.calls.length, 1, 'asked at once');
    assert.equal((await reader.drain(target, emit)).events, 2);
    assert.deepEqual(s.calls.map((c) => c.nextToken), [undefined, 'f/2/1']);
    assert.deepEqual(got, ['line 1\n', 'line 2\n']);

    const other = new FakeStream();
    other.append(1);
    const reader2 = streamReader(other.api, {}, quietDeps());
    reader2.prefetch!({ ...target, stream: 'guessed-wrong' });
    const got2: string[] = [];
    await reader2.drain(target, async (events) => void got2.push(...events.map((e) => e.message!)));
    assert.deepEqual(other.calls.map((c) => c.logStreamName), ['guessed-wrong', 'abc', 'abc']);
    assert.deepEqual(got2, ['line 1\n']);
  });

  it('given a stream that does not exist yet, then the drain says missing instead of failing', async () => {
    const s = new FakeStream();
    s.exists = false;
    const r = await streamReader(s.api, {}, quietDeps()).drain(target, async () => undefined);
    assert.deepEqual(r, { events: 0, missing: true });
  });

  it('given throttling that never ends, then after the attempts it gives up with the throttling error', async () => {
    let calls = 0;
    const sleeps: number[] = [];
    await assert.rejects(
      withBackoff(
        async () => {
          calls++;
          throw awsError('ThrottlingException');
        },
        'GetLogEvents',
        quietDeps(sleeps),
      ),
      { name: 'ThrottlingException' },
    );
    assert.equal(calls, 5);
    assert.equal(sleeps.length, 4);
    assert.ok(sleeps.every((ms) => ms <= 400));
  });

  it('given an error that is not transient, then it is thrown at once, without retries', async () => {
    let calls = 0;
    const fail = async () => {
      calls++;
      throw awsError('InvalidParameterException');
    };
    await assert.rejects(withBackoff(fail, 'GetLogEvents', quietDeps()), { name: 'InvalidParameterException' });
    assert.equal(calls, 1);
  });

  it('given AccessDenied on GetLogEvents, then the error names the missing permission', async () => {
    const api: LogsApi = strictFake<LogsApi>('LogsApi', {
      getLogEventsPage: async () => {
        throw awsError('AccessDeniedException');
      },
      filterLogEvents: async () => {
        throw new Error('unexpected');
      },
    });
    await assert.rejects(streamReader(api, {}, quietDeps()).drain(target, async () => undefined), /missing permission logs:GetLogEvents/);
  });
});

describe('logs tail: --filter searches (fake FilterLogEvents)', () => {
  it('given a new search that starts at the last timestamp seen, then events already printed at that timestamp are skipped and later ones printed', async () => {
    const stored = [
      { eventId: 'a', timestamp: 10, message: 'ERROR one' },
      { eventId: 'b', timestamp: 20, message: 'ERROR two' },
    ];
    const inputs: { startTime?: number; nextToken?: string }[] = [];
    const api: LogsApi = strictFake<LogsApi>('LogsApi', {
      getLogEvents: async () => {
        throw new Error('unexpected GetLogEvents with --filter');
      },
      filterLogEvents: async (input) => {
        inputs.push({ startTime: input.startTime, nextToken: input.nextToken });
        assert.equal(input.filterPattern, 'ERROR');
        assert.deepEqual(input.logStreamNames, ['abc']);
        const from = stored.filter((e) => e.timestamp >= (input.startTime ?? 0));
        // Pages of one event, to exercise nextToken.
        const at = input.nextToken ? Number(input.nextToken) : 0;
        return { events: from.slice(at, at + 1), nextToken: at + 1 < from.length ? String(at + 1) : undefined, $metadata: {} };
      },
    });
    const got: string[] = [];
    const reader = filterReader(api, { pattern: 'ERROR' }, quietDeps());
    const emit = async (events: LogEvent[]) => void got.push(...events.map((e) => e.message!));
    await reader.drain(target, emit);
    stored.push({ eventId: 'c', timestamp: 20, message: 'ERROR three, same millisecond' }, { eventId: 'd', timestamp: 30, message: 'ERROR four' });
    await reader.drain(target, emit);
    await reader.drain(target, emit);
    assert.deepEqual(got, ['ERROR one', 'ERROR two', 'ERROR three, same millisecond', 'ERROR four']);
    assert.equal(inputs[2].startTime, 20, 'the second search starts at the last timestamp seen');
  });
});

describe('logs tail: following with fakes (throttling and empty pages while the build runs)', () => {
  it('given a build that writes between polls, is throttled, returns empty pages, then writes its last lines and ends in the same moment, then every line is printed once and the ending after them', async () => {
    const s = new FakeStream();
    const cb = new FakeCodeBuild();
    s.append(2);
    let polls = 0;
    const { deps, stdout, stderr } = fakeDeps(s, cb, (ms) => {
      if (ms !== 1000) return; // a back-off, not a poll: the world does not move
      polls++;
      if (polls <= 6) s.append(polls % 2 ? 3 : 0);
      if (polls === 3) s.faults.push(awsError('ThrottlingException'), awsError('ServiceUnavailableException', 503));
      if (polls === 4) s.emptyPages = 2;
      if (polls === 7) {
        // The last lines land just before CodeBuild records the end.
        s.append(2, 'last');
        cb.finish('SUCCEEDED');
      }
    });
    const code = (await tailBuildLogs(deps, { ...base, follow: true })).exitCode;
    assert.equal(code, 0);
    assert.equal(stdout.text(), s.events.map((e) => e.message).join(''));
    assert.match(stdout.text(), /last 12\nlast 13\n$/);
    assert.match(stderr.text(), /✓ Build web:0b6e1c52-5d0e-4c6a-9a55-2f1b8f1c8a11 \(#7\) SUCCEEDED in 1m30s\./);
  });

  it('given the latest build, then its log is asked for while CodeBuild is asked about the build (the first line after two round trips, not three)', async () => {
    const s = new FakeStream();
    const cb = new FakeCodeBuild();
    s.append(4);
    cb.finish('SUCCEEDED');
    let askedBeforeBatch = -1;
    cb.onBatch = () => (askedBeforeBatch = s.calls.length);
    const { deps, stdout } = fakeDeps(s, cb, () => undefined);
    assert.equal((await tailBuildLogs(deps, base)).exitCode, 0);
    assert.equal(askedBeforeBatch, 1);
    assert.equal(s.calls[0].logGroupName, '/aws/codebuild/web');
    assert.equal(s.calls[0].logStreamName, '0b6e1c52-5d0e-4c6a-9a55-2f1b8f1c8a11');
    assert.equal(stdout.text(), 'line 1\nline 2\nline 3\nline 4\n');
  });

  it('given a build that logs to another group than the logGroup setting, then the page read ahead is dropped and the build\'s own stream printed', async () => {
    const s = new FakeStream();
    const cb = new FakeCodeBuild();
    s.append(2);
    cb.finish('SUCCEEDED');
    cb.build = { ...cb.build, logs: { groupName: '/custom/web-builds', streamName: 'own-stream' } };
    const { deps, stdout } = fakeDeps(s, cb, () => undefined);
    assert.equal((await tailBuildLogs(deps, base)).exitCode, 0);
    assert.deepEqual(s.calls.map((c) => `${c.logGroupName} ${c.logStreamName}`).slice(0, 2), ['/aws/codebuild/web 0b6e1c52-5d0e-4c6a-9a55-2f1b8f1c8a11', '/custom/web-builds own-stream']);
    assert.equal(stdout.text(), 'line 1\nline 2\n');
  });

  it('given the last lines land between a quiet poll and the status check that sees the end, then they are still printed', async () => {
    const s = new FakeStream();
    const cb = new FakeCodeBuild();
    s.append(2);
    cb.onBatch = (call) => {
      // Call 1 finds the build; call 2 is the first status check after a quiet poll.
      if (call === 2) {
        s.append(3, 'last');
        cb.finish('SUCCEEDED');
      }
    };
    const { deps, stdout } = fakeDeps(s, cb, () => undefined);
    assert.equal((await tailBuildLogs(deps, { ...base, follow: true })).exitCode, 0);
    assert.equal(stdout.text(), 'line 1\nline 2\nlast 3\nlast 4\nlast 5\n');
  });

  it('given --exit-status and a build that fails, then the exit code is 1 and the failed phase is named', async () => {
    const s = new FakeStream();
    const cb = new FakeCodeBuild();
    let polls = 0;
    const { deps, stdout, stderr } = fakeDeps(s, cb, () => {
      if (++polls === 2) s.append(3);
      if (polls === 3) cb.finish('FAILED');
    });
    const code = (await tailBuildLogs(deps, { ...base, follow: true, exitStatus: true })).exitCode;
    assert.equal(code, 1);
    assert.equal(stdout.text(), 'line 1\nline 2\nline 3\n');
    assert.match(stderr.text(), /✗ Build .* FAILED after 1m30s: phase BUILD FAILED \(COMMAND_EXECUTION_ERROR: Error while executing command: make\. Reason: exit status 2\)\./);
  });

  it('given the log stream appears only after following started, then it is waited for and read from its first line', async () => {
    const s = new FakeStream();
    s.exists = false;
    const cb = new FakeCodeBuild();
    let polls = 0;
    const { deps, stdout, stderr } = fakeDeps(s, cb, () => {
      polls++;
      if (polls === 3) {
        s.exists = true;
        s.append(4);
      }
      if (polls === 5) cb.finish('SUCCEEDED');
    });
    assert.equal((await tailBuildLogs(deps, { ...base, follow: true })).exitCode, 0);
    assert.equal(stdout.text(), 'line 1\nline 2\nline 3\nline 4\n');
    assert.match(stderr.text(), /Waiting for the log stream \/aws\/codebuild\/web 0b6e1c52-5d0e-4c6a-9a55-2f1b8f1c8a11 to appear/);
  });

  it('given a busy stream, then CodeBuild is asked for the status only when a poll finds no new lines', async () => {
    const s = new FakeStream();
    const cb = new FakeCodeBuild();
    s.append(1);
    let polls = 0;
    const { deps } = fakeDeps(s, cb, () => {
      polls++;
      if (polls <= 10) s.append(1);
      else cb.finish('SUCCEEDED');
    });
    await tailBuildLogs(deps, { ...base, follow: true });
    // One BatchGetBuilds to find the build, one on the first quiet poll (which sees the end).
    assert.equal(cb.batchCalls, 2);
  });
});
