/** What a child process did; `notFound` when the program does not exist. */
export interface ProcessResult {
  exitCode?: number;
  signal?: string;
  stdout: string;
  stderr: string;
  notFound: boolean;
  timedOut: boolean;
}

/** The one way sgn starts short-lived child processes (git, credential helpers), through execa. */
export interface ProcessRunner {
  run(file: string, args: string[], opts?: { cwd?: string; input?: string; timeoutMs?: number }): Promise<ProcessResult>;
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
  };
}
