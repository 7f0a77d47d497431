import type { LogsApi } from '../../aws/logs.js';
import { awsErrorName } from '../../errors.js';
import { denied } from './access.js';
import { withBackoff, type LogEvent, type LogTarget, type ReaderDeps } from './reader.js';

/** GetLogEvents returns at most 10,000 events a call. */
const maxPage = 10_000;

/**
 * The last `n` events of a stream, oldest first: GetLogEvents from the tail (startFromHead
 * false), paging back with nextBackwardToken until `n` are in hand or the head is reached
 * (the same token coming back). Only those events are held, never the whole log.
 */
export async function lastEvents(api: LogsApi, target: LogTarget, n: number, deps: ReaderDeps): Promise<{ events: LogEvent[]; missing: boolean }> {
  const pages: LogEvent[][] = [];
  let have = 0;
  let token: string | undefined;
  let empty = 0;
  while (have < n) {
    let page;
    try {
      page = await withBackoff(
        () => api.getLogEvents({ logGroupName: target.group, logStreamName: target.stream, startFromHead: false, limit: Math.min(maxPage, n - have), nextToken: token }, { signal: deps.signal }),
        'GetLogEvents',
        deps,
      );
    } catch (e) {
      if (awsErrorName(e) === 'ResourceNotFoundException') return { events: [], missing: true };
      throw denied(e, 'logs:GetLogEvents', `reading ${target.group} ${target.stream}`) ?? e;
    }
    const got = page.events ?? [];
    if (got.length) {
      pages.unshift(got);
      have += got.length;
    }
    const back = page.nextBackwardToken;
    // The head of the stream is the same token coming back; an empty page with a new one may
    // still have older events behind it (CloudWatch pages by time), within reason.
    if (!back || back === token || (got.length === 0 && ++empty > 50)) break;
    token = back;
  }
  const all = pages.flat();
  return { events: all.slice(Math.max(0, all.length - n)), missing: false };
}

const phaseLine = (message: string | undefined, text: string) => (message ?? '').includes(text);

/**
 * Keeps the lines of one phase of a CodeBuild log: from the agent's "Entering phase <phase>"
 * line through "Phase complete: <phase> State: ..." and the "Phase context ..." lines right after
 * it (CodeBuild's reason). Feed it events in order; `done` turns true after the phase.
 */
export function phaseSelector(phase: string): { take(events: LogEvent[]): LogEvent[]; readonly seen: boolean; readonly done: boolean } {
  let state: 'before' | 'in' | 'closing' | 'after' = 'before';
  return {
    get seen() {
      return state !== 'before';
    },
    get done() {
      return state === 'after';
    },
    take(events) {
      const kept: LogEvent[] = [];
      for (const e of events) {
        if (state === 'before' && phaseLine(e.message, `Entering phase ${phase}`)) state = 'in';
        else if (state === 'closing' && !phaseLine(e.message, 'Phase context')) state = 'after';
        if (state === 'in' || state === 'closing') kept.push(e);
        if (state === 'in' && phaseLine(e.message, `Phase complete: ${phase} `)) state = 'closing';
      }
      return kept;
    },
  };
}
