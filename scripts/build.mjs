// Bundles the CLI into dist/ as ES modules with code splitting: the command tree loads from one
// small chunk, and each heavy dependency (AWS SDK clients, inquirer, ora) only when a command
// imports it. Bundling the SDK's ES-module build loads faster than node_modules resolution.
// Then renders every help screen into dist/help/ (see renderHelp) and keeps esbuild's
// metafile as dist/meta.json (which sources each chunk holds; test/startup.test.ts reads it).
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
  sourcemap: 'linked',
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
 * Renders every screen that only shows help (`sgn`, `sgn --help`, `sgn <cmd> --help`, ...) with
 * the built CLI's own main() into dist/help/<argv>.json, so that bin/sgn.js can print them
 * without loading the CLI: help screens are much of what people run by hand, and loading
 * commander is most of their start-up. Made from the same commander tree, they cannot drift.
 * commander wraps help to the terminal's width (80 when not a terminal), so each file holds
 * every distinct rendering with the width it starts at: { widths: [[from, text index]], texts }.
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
  // Only names the launcher looks up (its rule, bin/sgn.js), so that no two argv share a file.
  for (const argv of helpInvocations().filter((a) => a.every((x) => /^-{0,2}[a-z0-9][a-z0-9-]*$/.test(x)))) {
    const unbounded = await render(argv, 100_000);
    // Only plain help screens: printed on stdout, exit code 0.
    if (unbounded.code !== 0 || unbounded.stderr) continue;
    const texts = [];
    const widths = [];
    // From 1 column up to the first width at which nothing wraps any more; wider is the same.
    for (let columns = 1; columns <= 1000; columns++) {
      const { stdout } = await render(argv, columns);
      if (texts.at(-1) !== stdout) {
        const known = texts.indexOf(stdout);
        widths.push([columns, known >= 0 ? known : texts.push(stdout) - 1]);
      }
      if (columns >= 80 && stdout === unbounded.stdout) break;
    }
    if (texts[widths.at(-1)[1]] !== unbounded.stdout) throw new Error(`help of "${argv.join(' ')}" still changes at 1000 columns`);
    writeFileSync(new URL(`help/${helpFileName(argv)}`, dist), JSON.stringify({ widths, texts }));
  }
}

/** `sgn ls deployed --help` -> `sgn_ls_deployed_--help.json` (bin/sgn.js computes the same). */
function helpFileName(argv) {
  return ['sgn', ...argv].join('_') + '.json';
}
