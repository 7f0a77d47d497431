// Bundles the CLI into dist/ as ES modules with code splitting: the command tree loads from one
// small chunk, and each heavy dependency (AWS SDK clients, inquirer, ora) only when a command
// imports it. Bundling the SDK's ES-module build loads faster than node_modules resolution.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
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
  // CommonJS dependencies bundled into ESM need a real require for Node built-ins.
  banner: { js: "import { createRequire as __sgnCreateRequire } from 'node:module'; const require = __sgnCreateRequire(import.meta.url);" },
  define: { __SGN_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});
