import { spawn } from 'node:child_process';
import { sgnBin } from './cli.js';

// A real pseudo-terminal from Python's pty module (python3 is on every machine; no native npm
// module needed). The child sees a TTY on stdin, stdout and stderr, so prompts, colour and
// spinners behave as for a person; ^C typed into it raises SIGINT like a keyboard would.
const relay = String.raw`
import fcntl, os, pty, select, struct, sys, termios
pid, fd = pty.fork()
if pid == 0:
    os.execvpe(sys.argv[1], sys.argv[1:], os.environ)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0))
watch = [fd, 0]
while True:
    r, _, _ = select.select(watch, [], [])
    if fd in r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        os.write(1, data)
    if 0 in r:
        data = os.read(0, 65536)
        if data:
            os.write(fd, data)
        else:
            watch = [fd]
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.exit(128 - code if code < 0 else code)
`;

export interface PtyStep {
  /** Wait until the screen output so far matches this. */
  waitFor: RegExp;
  /** Then type this (use '\r' for Enter, '\x03' for Ctrl-C). */
  send?: string;
  /** Or call this (e.g. to inspect state while the process waits). */
  then?: () => Promise<void> | void;
}

export interface PtyResult {
  code: number | null;
  /** Everything the terminal showed (stdout and stderr together, with escape codes). */
  output: string;
}

/** Strips ANSI escape sequences, for assertions on what a person would read. */
export function plain(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007|\r/g, '');
}

/** Runs the built CLI in a pseudo-terminal and plays the steps (wait for text, then type). */
export function runSgnInPty(args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; steps: PtyStep[]; timeoutMs?: number }): Promise<PtyResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', relay, process.execPath, sgnBin, ...args], {
      env: { TERM: 'xterm-256color', ...opts.env },
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let output = '';
    let step = 0;
    let busy = false;
    const advance = async () => {
      if (busy) return;
      busy = true;
      try {
        while (step < opts.steps.length && opts.steps[step].waitFor.test(plain(output))) {
          const s = opts.steps[step++];
          if (s.then) await s.then();
          if (s.send !== undefined) child.stdin.write(s.send);
        }
      } finally {
        busy = false;
      }
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pty run timed out at step ${step} (${opts.steps[step]?.waitFor}); screen so far:\n${plain(output)}`));
    }, opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      void advance();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (step < opts.steps.length) {
        reject(new Error(`the process ended (exit ${code}) before step ${step} (${opts.steps[step].waitFor}); screen:\n${plain(output)}`));
        return;
      }
      resolve({ code, output });
    });
  });
}
