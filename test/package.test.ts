import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runSgn, type CliResult } from './helpers/cli.js';

// sgn as users get it, outside the repository (issue 14): the npm tarball installed into an
// empty prefix with nothing to download, the standalone executable, and an unbuilt checkout.
// `npm test` has built dist/ already; the pack does not run `prepare` again.

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

/** Runs a program (not through a shell) the way a user runs an installed command. */
function runFile(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, signal: null, stdout, stderr });
    });
  });
}

function sizeOf(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);
}

describe('sgn as installed from its package', function () {
  this.timeout(180_000);
  const scratch = mkdtempSync(join(tmpdir(), 'sgn-pkg-'));
  const home = join(scratch, 'home');
  mkdirSync(home);
  // A sandbox of its own (started below with the repository's build), and an npm with an empty
  // cache that may not reach any registry.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.state'),
    // Reuse the machine's moto venv (the cache), but nothing else from the real HOME.
    XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? join(process.env.HOME!, '.cache'),
    SGN_SANDBOX_DIR: join(home, 'sandbox'),
    npm_config_cache: join(scratch, 'npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_offline: 'true',
  };
  const prefix = join(scratch, 'prefix');
  let tarball = '';

  before(async () => {
    const started = await runSgn(['sandbox', 'start'], { env, timeoutMs: 170_000 });
    assert.equal(started.code, 0, started.stderr);
  });

  after(async () => {
    await runSgn(['sandbox', 'stop'], { env });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('given the built checkout, when packed, then the tarball is at most 1 MB and holds the launcher, the bundle and the help screens, and no test metadata, source maps or executable', async () => {
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: root, env });
    const [info] = JSON.parse(stdout) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
    tarball = join(scratch, info.filename);
    assert.ok(info.size <= 1_000_000, `tarball is ${info.size} bytes`);
    const paths = info.files.map((f) => f.path);
    for (const needed of ['bin/sgn.js', 'bin/package.json', 'dist/cli.js', 'dist/deployer-emulator.js', 'dist/help/index.json', 'package.json']) assert.ok(paths.includes(needed), `${needed} missing from ${paths.join(', ')}`);
    assert.deepEqual(
      paths.filter((p) => p === 'dist/meta.json' || p.endsWith('.map') || p.startsWith('dist/exe') || p.startsWith('src/') || p.startsWith('test/')),
      [],
    );
  });

  it('given package.json, then nothing the bundle holds is a runtime dependency, and git installs build through prepare', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: object; devDependencies: Record<string, string>; scripts: Record<string, string>; files: string[] };
    assert.deepEqual(Object.keys(pkg.dependencies ?? {}), []);
    for (const lib of ['commander', 'chalk', 'ora', '@inquirer/prompts', 'cli-table3', 'execa', '@aws-sdk/client-dynamodb']) assert.match(pkg.devDependencies[lib], /^\d+\.\d+\.\d+$/, lib);
    assert.equal(pkg.scripts.prepare, 'node scripts/build.mjs');
  });

  it('given the tarball, when installed into an empty prefix with no registry, then sgn --version, --help and --sandbox ls deployed work from that install', async () => {
    assert.ok(tarball, 'the pack test ran first');
    await run('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', tarball], { env });
    const installed = join(prefix, 'lib', 'node_modules', 'sgn');
    // Nothing but sgn itself: no node_modules came with it.
    assert.deepEqual(readdirSync(join(prefix, 'lib', 'node_modules')), ['sgn']);
    process.stderr.write(`      (installed size: ${sizeOf(installed)} bytes)\n`);
    await smoke(join(prefix, 'bin', 'sgn'), env);
  });

  it('given `npm run build:exe`, then the standalone executable answers the same smoke run without Node on PATH', async () => {
    const out = join(scratch, 'exe');
    await run(process.execPath, [join(root, 'scripts', 'build-exe.mjs')], { cwd: root, env: { ...process.env, SGN_EXE_DIR: out } });
    const exe = join(out, `sgn-${process.platform}-${process.arch}`);
    process.stderr.write(`      (executable size: ${statSync(exe).size} bytes)\n`);
    // No node on PATH: the executable must not need one.
    const bare = join(scratch, 'bare-bin');
    mkdirSync(bare, { recursive: true });
    await smoke(exe, { ...env, PATH: bare });
  });

  it('given a checkout that was never built, when sgn runs, then it says to run npm run build and exits 1', async () => {
    const checkout = join(scratch, 'unbuilt');
    cpSync(join(root, 'bin'), join(checkout, 'bin'), { recursive: true });
    cpSync(join(root, 'package.json'), join(checkout, 'package.json'));
    for (const args of [['--help'], ['ls', 'deployed']]) {
      const res = await runFile(process.execPath, [join(checkout, 'bin', 'sgn.js'), ...args], env);
      assert.equal(res.code, 1, res.stderr);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /^sgn: this copy of sgn is not built .*\nHint: Run `npm run build` in .*, then retry\.\n$/);
    }
  });
});

/** --version, --help and a command against the sandbox, from an installed sgn. */
async function smoke(sgn: string, env: NodeJS.ProcessEnv): Promise<void> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const version = await runFile(sgn, ['--version'], env);
  assert.deepEqual([version.code, version.stdout, version.stderr], [0, `${pkg.version}\n`, '']);
  const help = await runFile(sgn, ['--help'], env);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: sgn \[options\] \[command\]\n/);
  assert.match(help.stdout, /\n {2}deploy /);
  const ls = await runFile(sgn, ['--sandbox', 'ls', 'deployed'], env);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, /^PROJECT\tSTAGING\tPRODUCTION\tSTATUS\n/);
  assert.match(ls.stdout, /^web\tgit-[0-9a-f]{7} \(\d+[mhd] ago\)\tgit-[0-9a-f]{7} /m);
}
