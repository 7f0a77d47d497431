import { strictFake } from '../../unit/helpers/fakes.js';
import { Writable } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Build } from '@aws-sdk/client-codebuild';
import type { GetLogEventsCommandInput, GetLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import type { LogsApi } from '../../../src/aws/logs.js';
import { decodedPage } from '../../../src/aws/log-events-page.js';
import type { CodeBuildApi } from '../../../src/aws/codebuild.js';
import { IO } from '../../../src/io.js';
import { loadSettings } from '../../../src/settings/load.js';
import type { TailDeps } from '../../../src/services/logs/tail.js';

/** An AWS-style error as the SDK throws it. */
export function awsError(name: string, status = 400): Error {
  return Object.assign(new Error(`${name} (fake)`), { name, $metadata: { httpStatusCode: status } });
}

/**
 * A fake of GetLogEvents with CloudWatch's documented token rules, for faults moto cannot
 * produce on demand: a token is a position; pages hold at most `pageSize` events; a queued
 * `emptyPages` count answers with an empty page and a NEW token at the same position (CloudWatch
 * does this while more events follow); a queued fault is thrown instead of an answer; at the end
 * of the stream the token passed in comes back. Any other operation fails the test.
 */
export class FakeStream {
  events: { timestamp: number; message: string }[] = [];
  pageSize = 3;
  emptyPages = 0;
  faults: Error[] = [];
  /** Faults thrown at a given call number (1-based), e.g. in the middle of a drain. */
  failOn = new Map<number, Error>();
  calls: GetLogEventsCommandInput[] = [];
  exists = true;
  private salt = 0;

  append(n: number, prefix = 'line'): void {
    for (let i = 0; i < n; i++) this.events.push({ timestamp: 1_700_000_000_000 + this.events.length, message: `${prefix} ${this.events.length + 1}\n` });
  }

  readonly api: LogsApi = strictFake<LogsApi>('LogsApi', {
    // The real adapter decodes a page lazily from its bytes; the fake hands the same events over.
    getLogEventsPage: async (input) => decodedPage(await this.getLogEvents(input)),
    filterLogEvents: async () => {
      throw new Error('unexpected FilterLogEvents call');
    },
  });

  private async getLogEvents(input: GetLogEventsCommandInput): Promise<GetLogEventsCommandOutput> {
    this.calls.push(input);
    if (input.startFromHead !== true) throw new Error('GetLogEvents without startFromHead: true');
    const fault = this.failOn.get(this.calls.length) ?? this.faults.shift();
    if (fault) throw fault;
    if (!this.exists) throw awsError('ResourceNotFoundException');
    const at = input.nextToken ? Number(/^f\/(\d+)\//.exec(input.nextToken)![1]) : 0;
    const out = (events: { timestamp: number; message: string }[], token: string) => ({ events, nextForwardToken: token, nextBackwardToken: 'b/0', $metadata: {} }) as GetLogEventsCommandOutput;
    if (this.emptyPages > 0) {
      this.emptyPages--;
      return out([], `f/${at}/${++this.salt}`);
    }
    const page = this.events.slice(at, at + this.pageSize);
    if (page.length === 0) return out([], input.nextToken ?? `f/${at}/${++this.salt}`);
    return out(page, `f/${at + page.length}/${++this.salt}`);
  }
}

/** A fake CodeBuild holding one build whose status the test moves. */
export class FakeCodeBuild {
  build: Build = {
    id: 'web:0b6e1c52-5d0e-4c6a-9a55-2f1b8f1c8a11',
    buildNumber: 7,
    projectName: 'web',
    buildStatus: 'IN_PROGRESS',
    currentPhase: 'BUILD',
    startTime: new Date(1_700_000_000_000),
    logs: { groupName: '/aws/codebuild/web', streamName: '0b6e1c52-5d0e-4c6a-9a55-2f1b8f1c8a11' },
  };
  batchCalls = 0;
  /** Runs before each BatchGetBuilds answer (the world moving while sgn asks for the status). */
  onBatch?: (call: number) => void;

  finish(status: 'SUCCEEDED' | 'FAILED'): void {
    this.build = {
      ...this.build,
      buildStatus: status,
      currentPhase: 'COMPLETED',
      endTime: new Date(1_700_000_090_000),
      phases: [
        { phaseType: 'BUILD', phaseStatus: status, contexts: status === 'FAILED' ? [{ statusCode: 'COMMAND_EXECUTION_ERROR', message: 'Error while executing command: make. Reason: exit status 2' }] : [] },
        { phaseType: 'COMPLETED' },
      ],
    };
  }

  readonly api: CodeBuildApi = {
    listBuildsForProject: async (input) => {
      if (input.projectName !== 'web') throw awsError('ResourceNotFoundException');
      return { ids: [this.build.id!], $metadata: {} };
    },
    batchGetBuilds: async (input) => {
      this.batchCalls++;
      this.onBatch?.(this.batchCalls);
      return { builds: input.ids?.includes(this.build.id!) ? [structuredClone(this.build)] : [], $metadata: {} };
    },
    listProjects: async () => ({ projects: ['web'], $metadata: {} }),
  };
}

/** A stdout/stderr that keeps what was written. */
export function collector(): Writable & { text(): string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return Object.assign(w, { text: () => chunks.join('') });
}

/**
 * Tail dependencies over the fakes. `onSleep` runs at every pause of sgn (a poll interval or a
 * back-off): that is where the test's world moves on (lines appended, the build ending), so the
 * run is deterministic and takes no real time.
 */
export function fakeDeps(stream: FakeStream, codebuild: FakeCodeBuild, onSleep: (ms: number) => void) {
  const stdout = collector();
  const stderr = collector();
  const home = mkdtempSync(join(tmpdir(), 'sgn-unit-'));
  const sleeps: number[] = [];
  const io = new IO({ stdout, stderr, stdin: process.stdin }, { color: false });
  const deps: TailDeps = {
    codebuild: codebuild.api,
    logs: stream.api,
    report: io,
    lines: async (events) => void stdout.write(events.map((e) => (e.message ?? '').replace(/\r?\n$/, '') + '\n').join('')),
    settings: loadSettings({ env: { HOME: home, XDG_CONFIG_HOME: home }, cwd: home, flags: {} }).values,
    now: () => new Date(1_700_000_100_000),
    debug: () => undefined,
    region: async () => 'us-east-1',
    pollMs: 1000,
    signal: new AbortController().signal,
    sleep: async (ms) => {
      sleeps.push(ms);
      if (sleeps.length > 10_000) throw new Error('sgn never stopped polling');
      onSleep(ms);
    },
    backoff: { baseMs: 100, maxMs: 400, attempts: 6 },
  };
  return { deps, stdout, stderr, sleeps };
}
