// Bundles the CLI into dist/ as ES modules with code splitting: the command tree loads from one
// small chunk, and each heavy dependency (AWS SDK clients, inquirer, ora) only when a command
// imports it. Bundling the SDK's ES-module build loads faster than node_modules resolution.
// Then renders every help screen into dist/help/ (see renderHelp) and keeps esbuild's
// metafile as dist/meta.json (which sources each chunk holds; test/startup.test.ts reads it).
// npm runs this as `prepare` too: a git install or `npm pack` gets a built dist/. The package
// ships dist/ without meta.json and the source maps (package.json "files"); the source maps are
// external (no sourceMappingURL comment) and only for a developer's tools.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const dist = new URL('../dist/', import.meta.url);

rmSync(dist, { recursive: true, force: true });
const result = await build({
  entryPoints: { cli: 'src/cli.ts', 'deployer-emulator': 'src/sandbox/emulator-main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'external',
  legalComments: 'none',
  metafile: true,
  // CommonJS dependencies bundled into ESM need a real require for Node built-ins.
  banner: { js: "import { createRequire as __sgnCreateRequire } from 'node:module'; const require = __sgnCreateRequire(import.meta.url);" },
  define: { __SGN_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});
writeFileSync(new URL('meta.json', dist), JSON.stringify(result.metafile));
await renderHelp();

/**
 * Renders every screen that only shows help (`sgn`, `sgn --help`, `sgn <cmd> --help`, `-h`,
 * aliases) with the built CLI's own main() into dist/help/, so that bin/sgn.js can print them
 * without loading the CLI: help screens are much of what people run by hand, and loading
 * commander is most of their start-up. Made from the same commander tree, they cannot drift.
 * commander wraps help to the terminal's width (80 when not a terminal), so each screen holds
 * every distinct rendering with the width it starts at. Stored without repeats:
 * - dist/help/index.json maps a command path ("", "ls", "ls deployed", "config ls", ...) to a
 *   screen number: `-h`, `--help`, no arguments and aliases share one screen;
 * - dist/help/<n>.json is { lines, texts, widths }: each distinct line once, each text a list of
 *   line numbers, widths [[from column, text number]].
 * This holds because help depends on the command tree and the width only, never on settings or
 * the environment (main() parses argv before it builds a context); keep it that way.
 */
async function renderHelp() {
  const { main, helpInvocations } = await import(new URL('cli.js', dist).href);
  const render = async (argv, columns) => {
    const out = { stdout: '', stderr: '' };
    const stream = (key) => ({ isTTY: true, columns, write: (s) => ((out[key] += s), true) });
    const code = await main(argv, { streams: { stdout: stream('stdout'), stderr: stream('stderr'), stdin: { isTTY: false } }, env: {} });
    return { ...out, code };
  };
  mkdirSync(new URL('help/', dist));
  const index = {};
  const screens = new Map(); // unbounded text -> screen number
  // Only names the launcher looks up (its rule, bin/sgn.js): lower-case words, no flags.
  const paths = new Map();
  for (const argv of helpInvocations()) {
    const path = argv.filter((a) => !a.startsWith('-'));
    if (path.every((x) => /^[a-z0-9][a-z0-9-]*$/.test(x))) paths.set(path.join(' '), path);
  }
  for (const [key, path] of paths) {
    const argv = [...path, '--help'];
    const unbounded = await render(argv, 100_000);
    // Only plain help screens: printed on stdout, exit code 0.
    if (unbounded.code !== 0 || unbounded.stderr) continue;
    // The launcher answers `-h` (and `sgn` alone) from the same screen: they must be the same.
    for (const other of key === '' ? [['-h'], []] : [[...path, '-h']]) {
      const res = await render(other, 80);
      if (res.stdout !== (await render(argv, 80)).stdout || res.code !== 0) throw new Error(`"sgn ${other.join(' ')}" differs from "sgn ${argv.join(' ')}"`);
    }
    const known = screens.get(unbounded.stdout);
    if (known !== undefined) {
      index[key] = known;
      continue;
    }
    const lines = [];
    const lineIndex = new Map();
    const texts = [];
    const widths = [];
    const textIndex = new Map();
    // From 1 column up to the first width at which nothing wraps any more; wider is the same.
    for (let columns = 1; columns <= 1000; columns++) {
      const { stdout } = await render(argv, columns);
      if (widths.length === 0 || texts[widths.at(-1)[1]] !== stdout) {
        if (!textIndex.has(stdout)) {
          textIndex.set(stdout, texts.length);
          texts.push(stdout);
        }
        widths.push([columns, textIndex.get(stdout)]);
      }
      if (columns >= 80 && stdout === unbounded.stdout) break;
    }
    if (texts[widths.at(-1)[1]] !== unbounded.stdout) throw new Error(`help of "${argv.join(' ')}" still changes at 1000 columns`);
    const encoded = texts.map((text) =>
      text.split('\n').map((line) => {
        if (!lineIndex.has(line)) lineIndex.set(line, lines.push(line) - 1);
        return lineIndex.get(line);
      }),
    );
    const n = screens.size;
    screens.set(unbounded.stdout, n);
    index[key] = n;
    writeFileSync(new URL(`help/${n}.json`, dist), JSON.stringify({ lines, texts: encoded, widths }));
  }
  writeFileSync(new URL('help/index.json', dist), JSON.stringify(index));
}
