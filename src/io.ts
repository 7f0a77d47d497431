import { Chalk, type ChalkInstance } from 'chalk';

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

/**
 * The one terminal object: data on stdout, messages on stderr, colour only where it can be seen
 * (a TTY, no NO_COLOR, no --no-color), spinners and prompts only on an interactive terminal.
 */
export class IO {
  readonly out: ChalkInstance;
  readonly err: ChalkInstance;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly stdinIsTTY: boolean;

  constructor(
    readonly streams: Streams,
    opts: { color: boolean; forceColor?: boolean },
  ) {
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
    this.streams.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** Writes raw bytes or text to stdout, untouched. */
  write(data: string | Uint8Array): void {
    this.streams.stdout.write(data);
  }

  /** Writes one JSON document to stdout. */
  json(value: unknown): void {
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
  async spinner(text: string): Promise<Spinner> {
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
