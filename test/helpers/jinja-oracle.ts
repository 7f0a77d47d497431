import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Python's Jinja2 as the deployer pins it (2.10; 2.10.3 is its last bug-fix release and installs
 * on today's Python), with the MarkupSafe it was released with (2.x dropped `soft_unicode`, which
 * Jinja2 2.10 imports) and PyYAML for the values. Created like the moto venv: once, in the cache.
 */
export const jinjaRequirements = ['Jinja2==2.10.3', 'MarkupSafe==1.1.1', 'PyYAML==6.0.2'];

export function jinjaVenvDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cache, 'sgn', 'jinja2-2.10.3');
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}): ${err}`))));
    child.stdin.end(input ?? '');
  });
}

/** The venv's python, creating the venv on first use (fails, saying why, when python3 is missing). */
export async function ensureJinjaPython(): Promise<string> {
  const dir = jinjaVenvDir();
  const python = join(dir, 'bin', 'python');
  if (existsSync(join(dir, '.complete'))) return python;
  mkdirSync(dir, { recursive: true });
  await run(process.env.SGN_PYTHON || 'python3', ['-m', 'venv', dir]);
  await run(join(dir, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...jinjaRequirements]);
  await run(python, ['-c', 'import pathlib, sys; pathlib.Path(sys.argv[1]).write_text("ok")', join(dir, '.complete')]);
  return python;
}

export interface OracleCase {
  templates: Record<string, string>;
  main: string;
  values: string;
}
export type OracleResult = { ok: true; out: string } | { ok: false; type: string; message: string };

const script = fileURLToPath(new URL('../fixtures/jinja-oracle.py', import.meta.url));

/** Renders every case with Python's Jinja2, in two processes (compiling templates is most of the time). */
export async function renderWithJinja2(cases: OracleCase[], workers = 2): Promise<OracleResult[]> {
  const python = await ensureJinjaPython();
  const size = Math.ceil(cases.length / workers);
  const chunks = Array.from({ length: workers }, (_, i) => cases.slice(i * size, (i + 1) * size));
  const results = await Promise.all(chunks.map(async (chunk) => (chunk.length ? (JSON.parse(await run(python, [script], JSON.stringify(chunk))) as OracleResult[]) : [])));
  return results.flat();
}
