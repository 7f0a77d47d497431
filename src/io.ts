import { Chalk, type ChalkInstance } from 'chalk';
import { formatDuration } from './time.js';

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface Spinner {
  /** Replaces the spinner's text. */
  update(text: string): void;
  /** Stops the spinner and prints a final ✓ line (or nothing when text is omitted). */
  succeed(text?: string): void;
  /** Stops the spinner and prints a final ✗ line. */
  fail(text?: string): void;
  /** Stops the spinner and clears its line. */
  stop(): void;
}

/** What a service reports while it works (the CDK toolkit's IoHost model): never data, never secrets. */
export interface IoEvent {
  level: 'debug' | 'info' | 'warn' | 'success' | 'error';
  /** Stable, dotted: `deploy.lock.takeover`, `mirror.blob.retry`. Tests and --json read it. */
  code: string;
  message: string;
  data?: unknown;
}

/** Progress of one long step: a spinner with elapsed time on a terminal, plain lines otherwise. */
export interface Progress {
  /** Replaces the label. */
  update(text: string): void;
  /** A message (a retry, a warning) printed above the spinner. */
  note(text: string, kind?: 'info' | 'warn'): void;
  /** Lines of a remote log, printed above the spinner. */
  lines(lines: string[]): void;
  succeed(text?: string): Promise<void>;
  fail(text?: string): Promise<void>;
  /** Milliseconds since the progress started. */
  elapsed(): number;
}

/** The port services report through; the CLI's IO implements it, tests record it. */
export interface Reporter {
  emit(event: IoEvent): void;
  progress(label: string): Progress;
}

/** A reporter that drops everything (for callers that want only the result). */
export const silentReporter: Reporter = {
  emit: () => undefined,
  progress: () => {
    const t0 = performance.now();
    return { update: () => undefined, note: () => undefined, lines: () => undefined, succeed: async () => undefined, fail: async () => undefined, elapsed: () => performance.now() - t0 };
  },
};

/** How often plain (non-TTY) progress says it is still waiting. */
const plainEveryMs = 30_000;

/**
 * The one terminal object: data on stdout, messages on stderr, colour only where it can be seen
 * (a TTY, no NO_COLOR, no --no-color), spinners and prompts only on an interactive terminal.
 */
export class IO implements Reporter {
  readonly out: ChalkInstance;
  readonly err: ChalkInstance;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly stdinIsTTY: boolean;

  private readonly debugOn: boolean;
  /** Whether any data went to stdout (a failing --json command then prints no second document). */
  wroteStdout = false;

  constructor(
    readonly streams: Streams,
    opts: { color: boolean; forceColor?: boolean; debug?: boolean },
  ) {
    this.debugOn = Boolean(opts.debug);
    this.stdoutIsTTY = Boolean(streams.stdout.isTTY);
    this.stderrIsTTY = Boolean(streams.stderr.isTTY);
    this.stdinIsTTY = Boolean(streams.stdin.isTTY);
    const level = (tty: boolean) => (opts.color && (tty || opts.forceColor) ? 1 : 0);
    this.out = new Chalk({ level: level(this.stdoutIsTTY) });
    this.err = new Chalk({ level: level(this.stderrIsTTY) });
  }

  /** Prompts need a terminal to show on and one to answer from. */
  get canPrompt(): boolean {
    return this.stdinIsTTY && this.stderrIsTTY;
  }

  get columns(): number {
    return this.streams.stdout.columns ?? 80;
  }

  /** Writes data to stdout (a newline is added unless the text ends with one). */
  print(text = ''): void {
    this.wroteStdout = true;
    this.streams.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** Writes raw bytes or text to stdout, untouched. */
  write(data: string | Uint8Array): void {
    this.wroteStdout = true;
    this.streams.stdout.write(data);
  }

  /** A service's event, rendered for people on stderr. */
  emit(event: IoEvent): void {
    switch (event.level) {
      case 'debug':
        if (this.debugOn) this.info(this.err.dim(`[debug] ${event.message}`));
        return;
      case 'warn':
        return this.warn(event.message);
      case 'success':
        return this.success(event.message);
      case 'error':
        return this.failure(event.message);
      default:
        return this.info(event.message);
    }
  }

  /**
   * The one progress renderer (deploy, mirror, logs, sandbox): a spinner with elapsed time on a
   * terminal; the label, notes and the end as plain lines otherwise, with a "still waiting" line
   * every 30 s so that CI logs show the run is alive.
   */
  progress(label: string): Progress {
    const t0 = performance.now();
    const elapsed = () => performance.now() - t0;
    const logLine = (l: string) => this.info(this.err.dim(`  │ ${l}`));
    const say = (text: string, kind: 'info' | 'warn' = 'info') => (kind === 'warn' ? this.warn(text) : this.info(text));
    let current = label;
    if (!this.stderrIsTTY) {
      this.info(`${label}...`);
      const timer = setInterval(() => this.info(`Still waiting: ${current} (${formatDuration(elapsed())})...`), plainEveryMs);
      timer.unref();
      const end = (print: () => void) => {
        clearInterval(timer);
        print();
        return Promise.resolve();
      };
      return {
        update: (t) => {
          current = t;
        },
        note: say,
        lines: (ls) => ls.forEach(logLine),
        succeed: (t) => end(() => t && this.success(t)),
        fail: (t) => end(() => t && this.failure(t)),
        elapsed,
      };
    }
    const text = () => `${current} ${this.err.dim(formatDuration(elapsed()))}`;
    // ora loads lazily: the first frame is drawn once it has, and everything after waits for it.
    let chain: Promise<Spinner> = this.spinner(text());
    const timer = setInterval(() => void chain.then((s) => s.update(text())), 200);
    timer.unref();
    // Printing above a spinner: stop it (which clears its line), print, start a new one.
    const above = (print: () => void) => {
      chain = chain.then(async (s) => {
        s.stop();
        print();
        return this.spinner(text());
      });
    };
    const end = async (how: (s: Spinner) => void) => {
      clearInterval(timer);
      how(await chain);
    };
    return {
      update: (t) => {
        current = t;
      },
      note: (t, kind) => above(() => say(t, kind)),
      lines: (ls) => above(() => ls.forEach(logLine)),
      succeed: (t) => end((s) => s.succeed(t)),
      fail: (t) => end((s) => s.fail(t)),
      elapsed,
    };
  }

  /** Writes one JSON document to stdout. */
  json(value: unknown): void {
    this.wroteStdout = true;
    this.streams.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  /** A message for people, on stderr. */
  info(text: string): void {
    this.streams.stderr.write(text + '\n');
  }

  success(text: string): void {
    this.info(`${this.err.green('✓')} ${text}`);
  }

  warn(text: string): void {
    this.info(`${this.err.yellow('!')} ${text}`);
  }

  failure(text: string): void {
    this.info(`${this.err.red('✗')} ${text}`);
  }

  /**
   * A spinner on stderr when it is a terminal; otherwise the start and end texts as plain lines
   * (updates are dropped so that logs stay short).
   */
  private async spinner(text: string): Promise<Spinner> {
    if (!this.stderrIsTTY) {
      this.info(text);
      return {
        update: () => undefined,
        succeed: (t) => t && this.success(t),
        fail: (t) => t && this.failure(t),
        stop: () => undefined,
      };
    }
    const { default: ora } = await import('ora');
    // discardStdin off: ora's stdin-discarder puts the terminal in raw mode (so the terminal no
    // longer turns ^C into SIGINT) and attaches its reader with prependListener, which does not
    // start a fresh process.stdin flowing: ^C was swallowed and a spinner could not be interrupted.
    const s = ora({ text, stream: this.streams.stderr as NodeJS.WriteStream, color: 'cyan', isEnabled: true, discardStdin: false }).start();
    return {
      update: (t) => {
        s.text = t;
      },
      succeed: (t) => (t ? s.stopAndPersist({ symbol: this.err.green('✓'), text: t }) : s.stop()),
      fail: (t) => (t ? s.stopAndPersist({ symbol: this.err.red('✗'), text: t }) : s.stop()),
      stop: () => s.stop(),
    };
  }
}
