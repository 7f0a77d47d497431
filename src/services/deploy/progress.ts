import type { IO, Spinner } from '../../io.js';
import { formatDuration } from '../../time.js';

/** Progress while the deployer runs: a spinner with elapsed time on a TTY, plain lines otherwise. */
export interface Progress {
  /** Log lines of the deployer, printed above the spinner. */
  lines(lines: string[]): void;
  /** A message (a retry, a warning) printed above the spinner. */
  note(text: string, kind?: 'info' | 'warn'): void;
  succeed(text: string): Promise<void>;
  fail(text: string): Promise<void>;
  /** Milliseconds since the progress started. */
  elapsed(): number;
}

/** How often the plain (non-TTY) progress says it is still waiting. */
const plainEveryMs = 30_000;

/** Starts showing progress for `label` on stderr. */
export async function startProgress(io: IO, label: string): Promise<Progress> {
  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;
  const logLine = (l: string) => io.info(io.err.dim(`  │ ${l}`));
  const say = (text: string, kind: 'info' | 'warn' = 'info') => (kind === 'warn' ? io.warn(text) : io.info(text));

  if (!io.stderrIsTTY) {
    io.info(`${label}...`);
    const timer = setInterval(() => io.info(`Still waiting for the deployer (${formatDuration(elapsed())})...`), plainEveryMs);
    timer.unref();
    return {
      lines: (ls) => ls.forEach(logLine),
      note: say,
      succeed: async (t) => {
        clearInterval(timer);
        io.success(t);
      },
      fail: async (t) => {
        clearInterval(timer);
        io.failure(t);
      },
      elapsed,
    };
  }

  const text = () => `${label} ${io.err.dim(formatDuration(elapsed()))}`;
  let spinner: Spinner = await io.spinner(text());
  const timer = setInterval(() => spinner.update(text()), 200);
  timer.unref();
  // Printing above a spinner: stop it (which clears its line), print, start a new one.
  let chain = Promise.resolve();
  const above = (print: () => void) => {
    chain = chain.then(async () => {
      spinner.stop();
      print();
      spinner = await io.spinner(text());
    });
  };
  return {
    lines: (ls) => above(() => ls.forEach(logLine)),
    note: (t, kind) => above(() => say(t, kind)),
    succeed: async (t) => {
      await chain;
      clearInterval(timer);
      spinner.succeed(t);
    },
    fail: async (t) => {
      await chain;
      clearInterval(timer);
      spinner.fail(t);
    },
    elapsed,
  };
}
