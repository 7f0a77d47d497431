import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cliEnv, motoServer } from './helpers/aws.js';
import { runSgn, sgnBin } from './helpers/cli.js';
import type { main as mainFn } from '../src/cli.js';

// Start-up is a budget (shared/performance.md): the launcher answers --version and the help
// screens itself, and the CLI's entry chunk holds commander and the command declarations only.
// These tests check that structure, never a duration: they record every module a real run of
// the built CLI loads, and map each bundle chunk back to its sources with esbuild's metafile.

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const recorder = pathToFileURL(join(root, 'test', 'helpers', 'record-loads.mjs')).href;
/** Modules that must load only inside the command that needs them. */
const heavy = /(^|\/)node_modules\/(@aws-sdk|@smithy|@inquirer|ora|cli-table3)\//;

interface Loads {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Files the process loaded, relative to the repository. */
  files: string[];
  /** The sources those files hold: bundle chunks expanded through dist/meta.json. */
  sources: string[];
}

/** Runs the built CLI as users do, recording every module it loads. */
async function runRecordingLoads(args: string[], env: NodeJS.ProcessEnv = cliEnv('http://127.0.0.1:9')): Promise<Loads> {
  const dir = mkdtempSync(join(tmpdir(), 'sgn-loads-'));
  const log = join(dir, 'loads');
  try {
    const res = await runSgn(args, { env: { ...env, NODE_OPTIONS: `--import=${recorder}`, SGN_RECORD_LOADS: log } });
    const meta = JSON.parse(readFileSync(join(dist, 'meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
    const loaded = readFileSync(log, 'utf8').split('\n').filter((f) => f.startsWith('file:') || f.startsWith('/'));
    const files = [...new Set(loaded.map((f) => relative(root, f.startsWith('file:') ? fileURLToPath(f) : f)))].filter((f) => !f.startsWith('test/helpers/record-loads'));
    const sources = files.flatMap((f) => Object.keys(meta.outputs[f]?.inputs ?? {}));
    return { ...res, files, sources };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the built CLI's main() (the source of the pre-rendered screens) prints for `args`. */
async function mainPrints(args: string[], terminal?: { columns: number }): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = (await import(pathToFileURL(join(dist, 'cli.js')).href)) as { main: typeof mainFn };
  const out = { stdout: '', stderr: '' };
  const stream = (key: 'stdout' | 'stderr') => ({ isTTY: Boolean(terminal), columns: terminal?.columns, write: (s: string) => ((out[key] += s), true) });
  const code = await main(args, { streams: { stdout: stream('stdout'), stderr: stream('stderr'), stdin: { isTTY: false } } as never, env: {} });
  return { code, ...out };
}

const heavyIn = (l: Loads) => [...l.files, ...l.sources].filter((f) => heavy.test(f));

describe('start-up', () => {
  describe('what a help screen or --version loads', () => {
    for (const args of [['--help'], ['-h'], [], ['ls', '--help'], ['ls', 'deployed', '--help'], ['config', 'set', '-h']]) {
      it(`given \`sgn ${args.join(' ')}\`, then it prints help and loads no CLI module at all (the launcher has it pre-rendered)`, async () => {
        const l = await runRecordingLoads(args);
        assert.equal(l.code, 0, l.stderr);
        assert.match(l.stdout, /^Usage: sgn/);
        assert.deepEqual(l.files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/help/')), []);
        assert.deepEqual(heavyIn(l), []);
      });
    }

    it('given `sgn --version`, then it prints the package version and loads nothing but the launcher and package.json', async () => {
      const l = await runRecordingLoads(['--version']);
      assert.equal(l.code, 0, l.stderr);
      assert.equal(l.stdout, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version + '\n');
      assert.deepEqual(l.files.sort(), ['bin/sgn.js', 'package.json']);
    });

    it('given a help request commander has to answer (a global flag first), then the entry chunk loads and holds no AWS SDK, inquirer, ora or cli-table3 module', async () => {
      const l = await runRecordingLoads(['--no-color', 'ls', 'deployed', '--help']);
      assert.equal(l.code, 0, l.stderr);
      assert.match(l.stdout, /^Usage: sgn ls deployed/);
      // The entry module and commander really were loaded (so the check below saw them).
      assert.ok(l.files.includes('dist/cli.js'), l.files.join(', '));
      assert.ok(l.sources.some((s) => s.includes('node_modules/commander/')), 'commander not among the loaded sources');
      assert.deepEqual(heavyIn(l), []);
    });

    it('given a command that reads AWS, then the same recording does see the AWS SDK load (the check above can fail)', async () => {
      const { url } = await motoServer();
      const l = await runRecordingLoads(['ls', 'deployed', '--project', 'web'], cliEnv(url));
      assert.ok(heavyIn(l).some((f) => f.includes('node_modules/@aws-sdk/client-dynamodb/')), `no @aws-sdk/client-dynamodb among: ${l.sources.length} sources`);
    });
  });

  describe('pre-rendered help screens', () => {
    it('given every pre-rendered screen, when not on a terminal, then the launcher prints exactly what main() prints, for --help, -h and help <command>', async () => {
      const index = JSON.parse(readFileSync(join(dist, 'help', 'index.json'), 'utf8')) as Record<string, number>;
      assert.ok('ls deployed' in index && 'config ls' in index, Object.keys(index).join(', '));
      for (const path of Object.keys(index)) {
        const words = path ? path.split(' ') : [];
        for (const args of [[...words, '--help'], [...words, '-h'], ['help', ...words]]) {
          const res = await runSgn(args, { env: cliEnv('http://127.0.0.1:9') });
          assert.deepEqual({ args, code: res.code, stdout: res.stdout, stderr: res.stderr }, { args, ...(await mainPrints(args)) });
        }
      }
    });

    it('given the screens on disk, then no two hold the same text (aliases, -h and --help share one)', () => {
      const files = readdirSync(join(dist, 'help')).filter((f) => f !== 'index.json');
      const texts = files.map((f) => {
        const screen = JSON.parse(readFileSync(join(dist, 'help', f), 'utf8')) as { lines: string[]; texts: number[][] };
        assert.equal(new Set(screen.lines).size, screen.lines.length, `${f} repeats a line`);
        return screen.texts.map((t) => t.map((l) => screen.lines[l]).join('\n'));
      });
      const all = texts.flat();
      assert.equal(new Set(all).size, all.length);
      assert.equal(new Set(Object.values(JSON.parse(readFileSync(join(dist, 'help', 'index.json'), 'utf8')) as Record<string, number>)).size, files.length);
    });

    it('given terminals of different widths, then the launcher wraps help exactly as commander does at that width', async () => {
      for (const args of [['--help'], ['ls', 'deployed', '--help']]) {
        for (const columns of [30, 50, 72, 80, 100, 160]) {
          const expected = await mainPrints(args, { columns });
          assert.equal(inTerminal(args, columns), expected.stdout.replace(/\n/g, '\r\n'), `sgn ${args.join(' ')} at ${columns} columns`);
        }
      }
    });

    it('given help requests that are not pre-rendered (an unknown command, a global flag first), then commander answers them as main() does', async () => {
      for (const args of [['nope', '--help'], ['--no-color', '--help'], ['LS', '--help']]) {
        const index = JSON.parse(readFileSync(join(dist, 'help', 'index.json'), 'utf8')) as Record<string, number>;
        assert.ok(!(args.filter((a) => a !== '--help').join(' ') in index), `${args.join(' ')} is pre-rendered`);
        const res = await runSgn(args, { env: cliEnv('http://127.0.0.1:9') });
        assert.deepEqual({ args, code: res.code, stdout: res.stdout, stderr: res.stderr }, { args, ...(await mainPrints(args)) });
      }
    });
  });
});

/** What the launcher prints on a pseudo-terminal of `columns` columns (size set before it starts). */
function inTerminal(args: string[], columns: number): string {
  const script = String.raw`
import fcntl, os, struct, subprocess, sys, termios
master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 40, int(sys.argv[1]), 0, 0))
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
os.close(slave)
out = b''
while True:
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
sys.stdout.buffer.write(out)
sys.exit(p.wait())
`;
  const res = spawnSync('python3', ['-c', script, String(columns), process.execPath, sgnBin, ...args], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  return res.stdout;
}
