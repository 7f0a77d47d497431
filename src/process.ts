/** What a child process did; `notFound` when the program does not exist. */
export interface ProcessResult {
  exitCode?: number;
  signal?: string;
  stdout: string;
  stderr: string;
  notFound: boolean;
  timedOut: boolean;
}

/** What a program run on the user's terminal did. */
export interface InteractiveResult {
  exitCode?: number;
  /** The signal that ended it, when one did. */
  signal?: string;
  /** Stopped by sgn because of Ctrl-C or SIGTERM (the run's abort signal). */
  canceled: boolean;
  /** It could not be started at all. */
  notStarted: boolean;
}

/** The one way sgn starts child processes (git, credential helpers, the editor), through execa. */
export interface ProcessRunner {
  run(file: string, args: string[], opts?: { cwd?: string; input?: string; timeoutMs?: number }): Promise<ProcessResult>;
  /**
   * Runs a program on the user's terminal (stdin, stdout and stderr inherited, no timeout), e.g.
   * an editor, and waits for it. Ctrl-C or SIGTERM stop it (SIGKILL 2 s later if it lingers).
   */
  interactive(file: string, args: string[]): Promise<InteractiveResult>;
}

/** The real runner: the run's environment, killed on Ctrl-C, never throws for a failing program. */
export function createProcessRunner(env: NodeJS.ProcessEnv, signal: AbortSignal): ProcessRunner {
  return {
    run: async (file, args, opts = {}) => {
      const { execa } = await import('execa');
      const r = await execa(file, args, { cwd: opts.cwd, env, extendEnv: false, input: opts.input ?? '', timeout: opts.timeoutMs ?? 30_000, cancelSignal: signal, reject: false, stripFinalNewline: true });
      const code = (r as { code?: string }).code;
      return {
        exitCode: r.exitCode,
        signal: r.signal,
        stdout: String(r.stdout ?? ''),
        stderr: String(r.stderr ?? ''),
        notFound: code === 'ENOENT',
        timedOut: Boolean(r.timedOut),
      };
    },
    interactive: async (file, args) => {
      const { execa } = await import('execa');
      const r = await execa(file, args, { stdio: 'inherit', env, extendEnv: false, reject: false, cancelSignal: signal, forceKillAfterDelay: 2000 });
      return { exitCode: r.exitCode, signal: r.signal, canceled: Boolean(r.isCanceled), notStarted: Boolean(r.failed) && r.exitCode === undefined && !r.signal && !r.isCanceled };
    },
  };
}
