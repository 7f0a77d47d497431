import type { FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { LogsApi } from '../../aws/logs.js';
import { pyRepr } from '../../python-repr.js';
import type { DeployPayload } from './plan.js';

/** The one CloudWatch Logs operation `deploy --logs` uses. */
export type DeployerLogsApi = Pick<LogsApi, 'filterLogEvents'>;

/**
 * One Lambda log event as a person reads it: the runtime's `[LEVEL]\t<time>\t<request id>\t`
 * prefix becomes `LEVEL hh:mm:ss`, tabs become spaces, and multi-line messages become lines.
 */
export function renderLogEvent(message: string): string[] {
  const text = message.replace(/\n$/, '');
  const m = /^\[(\w+)\]\t(\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d)[\d.]*Z)\t[\w-]*\t([\s\S]*)$/.exec(text);
  const body = m ? `${m[1]} ${m[3]} ${m[4]}` : text;
  return body.split(/\r?\n|\r/).map((l) => l.replace(/\t+/g, '  ').trimEnd());
}

/** Lines of one invocation (START .. REPORT of its request id) in a log text such as the Tail. */
export function invocationLines(logText: string): string[] {
  const events = logText.split(/\n(?=START RequestId:|END RequestId:|REPORT RequestId:|\[[A-Z]+\]\t)/);
  return events.flatMap(renderLogEvent).filter((l) => l !== '');
}

/** The request id a Lambda log line belongs to (START/END/REPORT, or a runtime `[LEVEL]` line). */
export function requestIdOf(message: string): string | undefined {
  return /^(?:START|END|REPORT) RequestId: ([\w-]+)/.exec(message)?.[1] ?? /^\[[A-Z]+\]\t[^\t]*\t([\w-]+)\t/.exec(message)?.[1];
}

export interface LogWatcher {
  /** Resolves once the invocations already in the log are known (so they are never mistaken for ours). */
  ready: Promise<void>;
  /** Once the invoke has returned: its request id, then poll until its REPORT line or the deadline. */
  finish(requestId: string | undefined, waitMs: number): Promise<void>;
  /** Stops polling now. */
  stop(): void;
}

/**
 * Streams the deployer's log lines of this invocation while it runs. The request id is only known
 * when the invoke returns, so the invocation is recognised by its `Event: {...}` line (the Python
 * `str()` of our payload; while we hold the deploy lock no other manual deploy of this project
 * and env can be running, and invocations already logged before the invoke are excluded); then
 * everything of that stream from its START to its REPORT line is
 * printed, each event once. Polls FilterLogEvents about once a second; logging problems are
 * reported once and never fail the deploy.
 */
export function watchDeployerLogs(
  api: DeployerLogsApi,
  opts: { logGroup: string; payload: DeployPayload; since: number; onLines: (lines: string[]) => void; onWarning: (message: string) => void; pollMs?: number },
): LogWatcher {
  const pollMs = opts.pollMs ?? 1000;
  const eventText = `Event: ${pyRepr(opts.payload)}`;
  const seen = new Set<string>();
  // Request ids of invocations logged before ours (an earlier deploy of the same project and env).
  const old = new Set<string>();
  // Every event read so far, in order: the invocation is recognised in it, possibly late.
  const all: FilteredLogEvent[] = [];
  let requestId: string | undefined;
  let stream: string | undefined;
  let started = false;
  let done = false;
  let stopped = false;
  let wake: (() => void) | undefined;

  const take = (e: FilteredLogEvent) => {
    if (done || e.logStreamName !== stream) return;
    const message = e.message ?? '';
    if (!started) {
      if (!message.startsWith(`START RequestId: ${requestId}`)) return;
      started = true;
    }
    opts.onLines(renderLogEvent(message));
    if (message.startsWith(`REPORT RequestId: ${requestId}`)) done = true;
  };

  const identify = () => {
    for (const e of all) {
      const message = e.message ?? '';
      const byEvent = !requestId && message.includes(eventText) && !old.has(requestIdOf(message) ?? '') ? requestIdOf(message) : undefined;
      if (byEvent || (requestId && message.startsWith(`START RequestId: ${requestId}`))) {
        requestId ??= byEvent;
        stream = e.logStreamName;
        break;
      }
    }
    if (stream) for (const e of all) take(e);
  };

  const poll = async (baseline = false) => {
    let nextToken: string | undefined;
    do {
      const out = await api.filterLogEvents({ logGroupName: opts.logGroup, startTime: opts.since, ...(stream ? { logStreamNames: [stream] } : {}), nextToken });
      for (const e of out.events ?? []) {
        const id = e.eventId ?? `${e.logStreamName}/${e.timestamp}/${e.message}`;
        if (seen.has(id)) continue;
        seen.add(id);
        if (baseline) {
          const rid = requestIdOf(e.message ?? '');
          if (rid) old.add(rid);
          continue;
        }
        all.push(e);
        if (stream) take(e);
      }
      nextToken = out.nextToken;
    } while (nextToken && !stopped);
    if (!stream) identify();
  };

  const ready = poll(true).catch(() => undefined);
  const run = async () => {
    await ready;
    while (!stopped && !done) {
      try {
        await poll();
      } catch (e) {
        const name = (e as Error).name;
        // No group yet just means the deployer has not logged anything yet.
        if (name !== 'ResourceNotFoundException') {
          opts.onWarning(`Stopped showing the deployer's log: ${(e as Error).message}`);
          stopped = true;
          break;
        }
      }
      if (stopped || done) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, pollMs).unref();
      });
    }
  };
  let loop = run();

  return {
    ready,
    async finish(id, waitMs) {
      if (id && id !== requestId) {
        // Not recognised yet, or another client's identical deploy was: follow the real one.
        if (requestId) opts.onWarning(`The lines above were another invocation's (${requestId}); this one is ${id}.`);
        requestId = id;
        stream = undefined;
        const wasDone = done;
        started = done = false;
        identify();
        if (wasDone && !done) loop = run();
      }
      const deadline = setTimeout(() => {
        stopped = true;
        wake?.();
      }, waitMs);
      wake?.();
      await loop;
      clearTimeout(deadline);
    },
    stop() {
      stopped = true;
      wake?.();
    },
  };
}
