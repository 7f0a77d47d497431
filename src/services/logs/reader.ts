import type { FilteredLogEvent, OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { LogEventsPage, LogsApi } from '../../aws/logs.js';
import { awsErrorName } from '../../errors.js';
import { networkErrorCode } from '../../net-errors.js';
import { denied } from './access.js';

/** One log event as sgn prints it (GetLogEvents and FilterLogEvents events both fit). */
export type LogEvent = Pick<OutputLogEvent, 'timestamp' | 'message'> & Pick<FilteredLogEvent, 'eventId'>;

export interface LogTarget {
  group: string;
  stream: string;
}

/** What one drain saw: how many events it handed on, and whether the stream does not exist (yet). */
export interface DrainResult {
  events: number;
  missing: boolean;
}

export interface ReaderDeps {
  signal: AbortSignal;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Told about each back-off (for --debug). */
  onRetry?(message: string): void;
  /** Back-off limits; tests make them small. */
  backoff?: { baseMs: number; maxMs: number; attempts: number };
}

/** Reads a stream from where it last stopped up to its current end, handing on each page. */
export interface LogReader {
  drain(target: LogTarget, emit: (events: LogEvent[]) => Promise<void>): Promise<DrainResult>;
  /**
   * Starts reading the first page of a stream the caller expects to drain first (while it still
   * asks CodeBuild which stream that is): drain uses it if it is that target, else drops it.
   */
  prefetch?(target: LogTarget): void;
}

const throttlingNames = new Set(['ThrottlingException', 'Throttling', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded', 'LimitExceededException']);
const transientNames = new Set(['ServiceUnavailableException', 'ServiceUnavailable', 'InternalFailure', 'InternalServerError', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError']);

/** True for errors worth waiting out: throttling, 5xx, dropped connections. */
export function isTransient(e: unknown): boolean {
  const name = awsErrorName(e) ?? '';
  const err = e as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  return throttlingNames.has(name) || transientNames.has(name) || networkErrorCode(e) !== undefined || (err?.$metadata?.httpStatusCode ?? 0) >= 500 || Boolean(err?.$retryable);
}

/**
 * Calls `fn` until it succeeds, waiting out throttling and transient faults with exponential
 * back-off and jitter (the SDK has already retried a few times by then). Other errors, and the
 * last transient one, are thrown.
 */
export async function withBackoff<T>(fn: () => Promise<T>, what: string, deps: ReaderDeps): Promise<T> {
  // The SDK's retry strategy has already spent its attempts; one more round after a pause rides
  // out a longer throttling burst while following a busy build, and a broken endpoint still
  // fails in seconds.
  const { baseMs, maxMs, attempts } = deps.backoff ?? { baseMs: 2000, maxMs: 4000, attempts: 2 };
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (deps.signal.aborted || !isTransient(e) || attempt + 1 >= attempts) throw e;
      const delay = Math.min(maxMs, baseMs * 2 ** attempt) * (0.5 + Math.random() / 2);
      // The first retry is silent (a blip); later ones say so.
      if (attempt >= 1) deps.onRetry?.(`retrying in ${(delay / 1000).toFixed(1)} s (${attempt + 1}/${attempts - 1}): ${what}: ${awsErrorName(e) ?? (e as Error).message}`);
      await deps.sleep(delay, deps.signal);
    }
  }
}

/** Events handed on at a time from a page: about 65 KB of output, under V8's large-object size. */
const emitBatch = 500;

const sameTarget = (a: LogTarget | undefined, b: LogTarget) => a?.group === b.group && a.stream === b.stream;

/** A request started ahead of need: its failure is kept for whoever awaits it, never unhandled. */
function ahead<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/**
 * Reads a build's own stream with GetLogEvents, forward from the head (or `startTime`). Its token
 * is the position: a page may be empty while more events follow (keep going with the new token),
 * and the same token coming back means the end of the stream for now. After a throttle or fault
 * it resumes from the last token, so no line is printed twice or skipped. The next page is on
 * its way while one is printed (its token is known), so a long log costs one round trip per
 * page, not one round trip plus the printing.
 */
export function streamReader(api: LogsApi, opts: { startTime?: number }, deps: ReaderDeps): LogReader {
  let token: string | undefined;
  let current: LogTarget | undefined;
  let early: { target: LogTarget; page: Promise<LogEventsPage> } | undefined;
  const fetch = (target: LogTarget, nextToken: string | undefined) =>
    ahead(
      withBackoff(
        () =>
          api.getLogEventsPage(
            // startFromHead must be true whenever a nextToken is passed (the API says so), and
            // startTime is passed on every page so the token stays within the same range.
            { logGroupName: target.group, logStreamName: target.stream, startFromHead: true, startTime: opts.startTime, nextToken },
            { signal: deps.signal },
          ),
        'GetLogEvents',
        deps,
      ),
    );
  return {
    prefetch(target) {
      if (current === undefined) early = { target: { ...target }, page: fetch(target, undefined) };
    },
    async drain(target, emit) {
      if (!sameTarget(current, target)) {
        current = { ...target };
        token = undefined;
      }
      const first = early && sameTarget(early.target, target) && token === undefined ? early.page : undefined;
      early = undefined;
      let events = 0;
      let pending = first ?? fetch(target, token);
      for (;;) {
        let page;
        try {
          page = await pending;
        } catch (e) {
          if (awsErrorName(e) === 'ResourceNotFoundException') return { events, missing: true };
          throw denied(e, 'logs:GetLogEvents', `reading ${target.group} ${target.stream}`) ?? e;
        }
        const next = page.nextForwardToken;
        const more = Boolean(next) && next !== token;
        if (more) pending = fetch(target, next);
        // The page came whole (a retry never hands on part of one twice); it is decoded and
        // handed on a batch at a time, so that a page of 10,000 events never lives as objects.
        for (const batch of page.batches(emitBatch)) {
          await emit(batch);
          events += batch.length;
        }
        if (!more) return { events, missing: false };
        token = next;
      }
    },
  };
}

/**
 * Reads with FilterLogEvents (for --filter only: the API has an account-wide quota of 5
 * requests/s). A search pages with nextToken until none comes back; the next search starts at
 * the last timestamp seen, skipping the event ids already printed at that timestamp.
 */
export function filterReader(api: LogsApi, opts: { startTime?: number; pattern: string }, deps: ReaderDeps): LogReader {
  let nextToken: string | undefined;
  let startTime = opts.startTime;
  let lastTs = -Infinity;
  const seenAtLast = new Set<string>();
  let current: LogTarget | undefined;
  return {
    async drain(target, emit) {
      if (!sameTarget(current, target)) {
        current = { ...target };
        nextToken = undefined;
        startTime = opts.startTime;
        lastTs = -Infinity;
        seenAtLast.clear();
      }
      let events = 0;
      for (;;) {
        let page;
        try {
          page = await withBackoff(
            () =>
              api.filterLogEvents(
                { logGroupName: target.group, logStreamNames: [target.stream], filterPattern: opts.pattern, startTime, nextToken },
                { signal: deps.signal },
              ),
            'FilterLogEvents',
            deps,
          );
        } catch (e) {
          if (awsErrorName(e) === 'ResourceNotFoundException') return { events, missing: true };
          throw denied(e, 'logs:FilterLogEvents', `searching ${target.group} ${target.stream}`) ?? e;
        }
        const fresh: LogEvent[] = [];
        for (const ev of page.events ?? []) {
          const ts = ev.timestamp ?? 0;
          const id = ev.eventId ?? `${ts}:${ev.message}`;
          if (ts === lastTs && seenAtLast.has(id)) continue;
          if (ts > lastTs) {
            lastTs = ts;
            seenAtLast.clear();
          }
          if (ts === lastTs) seenAtLast.add(id);
          fresh.push(ev);
        }
        if (fresh.length) {
          await emit(fresh);
          events += fresh.length;
        }
        if (page.nextToken && page.nextToken !== nextToken) {
          nextToken = page.nextToken;
          continue;
        }
        // This search is complete; the next one starts where it ended.
        nextToken = undefined;
        if (lastTs > -Infinity) startTime = lastTs;
        return { events, missing: false };
      }
    },
  };
}
