// `npm run build:exe`: sgn as one file for machines without Node, dist/exe/sgn-<platform>-<arch>,
// with Node's single executable application support (Node 20: a CommonJS main script and its
// assets in a blob that `postject` injects into a copy of the node binary running this script).
// - The CLI and the deployer emulator (for `sgn sandbox start`) are bundled by esbuild into one
//   CommonJS file each, every dependency inside, and carried as assets; scripts/exe/main.cjs
//   answers --version and the help screens (dist/help/, made by `npm run build`, which runs
//   first) before it compiles the CLI, as bin/sgn.js does.
// - Linux only for now: macOS needs a Mach-O segment name and re-signing, Windows a PE resource;
//   neither is built or tested here.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const out = process.env.SGN_EXE_DIR ?? join(dist, 'exe');
const work = join(out, 'work');
const name = `sgn-${process.platform}-${process.arch}`;
if (process.platform !== 'linux') throw new Error(`build:exe makes Linux executables only (this is ${process.platform}).`);

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
rmSync(out, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  legalComments: 'none',
  logLevel: 'warning',
  // Nothing reads files next to the bundle in the executable (see services/sandbox.ts).
  define: { __SGN_VERSION__: JSON.stringify(pkg.version), __SGN_EXE__: 'true', 'import.meta.url': '"file:///sgn-exe/cli.js"' },
};
for (const [entry, file] of [['src/cli.ts', 'cli.js'], ['src/sandbox/emulator-main.ts', 'deployer-emulator.js']]) {
  await build({ ...common, entryPoints: [entry], outfile: join(work, file) });
  // esbuild keeps `await import('node:http')` of built-ins as it is in CommonJS, and code compiled
  // from a SEA asset has no loader for import() (only an experimental vm flag, which warns on
  // every run): the built-in's module object from require() serves the same destructuring.
  const code = readFileSync(join(work, file), 'utf8').replace(/\bimport\((["'])(node:[\w/]+)\1\)/g, 'Promise.resolve().then(() => require("$2"))');
  if (/[^\w.$]import\((["'])node:/.test(code)) throw new Error(`${file}: a dynamic import of a built-in is left`);
  writeFileSync(join(work, file), code);
}
writeFileSync(join(work, 'version'), pkg.version);

// A V8 code cache of each bundle, so that the executable does not parse the whole bundle (every
// AWS SDK client is in it; the npm install's code-split chunks load only the one a command uses)
// on every run: made by this same node binary (a cache from another V8 is rejected, and then the
// executable compiles as if there were none), after a help screen has run through main() so that
// commander's paths are compiled too. scripts/exe/main.cjs compiles with it.
execFileSync(process.execPath, ['--input-type=commonjs', '-e', String.raw`
const { readFileSync, writeFileSync } = require('node:fs');
const { wrap } = require('node:module');
const { Script } = require('node:vm');
const [file, run] = process.argv.slice(1);
const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: file });
const module = { exports: {} };
script.runInThisContext().call(module.exports, module.exports, require, module, file, '.');
const sink = { isTTY: false, write: () => true };
(run ? module.exports.main(['--help'], { streams: { stdout: sink, stderr: sink, stdin: { isTTY: false } }, env: {} }) : Promise.resolve()).then(() => {
  writeFileSync(file + '.cache', script.createCachedData());
});
`, join(work, 'cli.js'), 'run'], { stdio: 'inherit' });

const assets = { version: join(work, 'version'), 'cli.js': join(work, 'cli.js'), 'cli.js.cache': join(work, 'cli.js.cache'), 'deployer-emulator.js': join(work, 'deployer-emulator.js') };
for (const file of readdirSync(join(dist, 'help'))) assets[`help/${file}`] = join(dist, 'help', file);
const config = join(work, 'sea-config.json');
const blob = join(work, 'sea.blob');
writeFileSync(config, JSON.stringify({ main: join(root, 'scripts', 'exe', 'main.cjs'), output: blob, disableExperimentalSEAWarning: true, assets }));
execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });

const exe = join(out, name);
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
const { inject } = createRequire(import.meta.url)('postject');
await inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2' });
rmSync(work, { recursive: true, force: true });
process.stderr.write(`build:exe: ${exe} (Node ${process.version})\n`);
