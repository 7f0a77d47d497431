import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The one retry policy of sgn's own clients (registries; AWS calls use the SDK's retry strategy
 * with the same numbers): a few attempts, exponential back-off or the server's Retry-After, and a
 * budget of time per operation, so that a dead host fails in seconds, never a silent minute.
 * The first retry is silent (a blip); later ones say so on stderr with the reason and the host:
 * "retrying in 2 s (2/4): connection refused by registry.example.com".
 */
export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** No retry starts after this much time has passed since the first attempt. */
  budgetMs: number;
  /** First back-off; doubles per retry up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 4, budgetMs: 30_000, baseDelayMs: 500, maxDelayMs: 8_000 };

/** Why an attempt failed and may be tried again; undefined: not worth another attempt. */
export interface RetryReason {
  /** "connection refused by host", "host answered 503". */
  reason: string;
  /** The server asked for this wait (Retry-After). */
  afterMs?: number;
}

export interface RetryOptions {
  policy?: Partial<RetryPolicy>;
  classify(e: unknown): RetryReason | undefined;
  /** Told of every retry after the first (for stderr). */
  announce?(message: string): void;
  signal?: AbortSignal;
  /** Milliseconds clock (tests give their own). */
  now?: () => number;
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${s < 10 && !Number.isInteger(s) ? s.toFixed(1) : Math.round(s)} s`;
}

/** Runs `op` until it succeeds, fails for good, or the policy's attempts or budget run out. */
export async function withRetry<T>(op: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const policy = { ...defaultRetryPolicy, ...opts.policy };
  const now = opts.now ?? (() => performance.now());
  const wait = opts.wait ?? ((ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }));
  const started = now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await op(attempt);
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      const why = attempt < policy.retries ? opts.classify(e) : undefined;
      if (!why) throw e;
      const delay = why.afterMs ?? Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
      // A wait that ends beyond the budget is not worth starting: fail now, with the real cause.
      if (now() - started + delay > policy.budgetMs) throw e;
      if (attempt >= 1) opts.announce?.(`retrying in ${seconds(delay)} (${attempt + 1}/${policy.retries}): ${why.reason}`);
      await wait(delay, opts.signal);
    }
  }
}
