// The one test command (README, CI): builds the CLI the way users run it, then runs every mocha
// suite and ends with the line CI reads: "N passed, N failed[, N skipped]".
// Arguments are spec files or globs to run instead of all (`npm test -- test/cli.test.ts`).
import { execFileSync } from 'node:child_process';
import { register } from 'tsx/esm/api';
import Mocha from 'mocha';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
register();

const patterns = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const grep = process.argv.find((a) => a.startsWith('--grep='))?.slice('--grep='.length);
const allTests = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allTests(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []));
const files = (patterns.length ? patterns : allTests('test')).sort();
// Root hooks (stop moto and the other emulators at the end): Mocha only reads a `mochaHooks`
// export for --require'd files on its CLI, so the programmatic run passes them itself.
const { mochaHooks } = await import('../test/setup.ts');
const mocha = new Mocha({ timeout: 120_000, reporter: 'spec', rootHooks: mochaHooks, ...(grep ? { grep } : {}) });
for (const f of files) mocha.addFile(f);
await mocha.loadFilesAsync();

let passed = 0;
let failed = 0;
let skipped = 0;
const runner = mocha.run((failures) => {
  const summary = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
  process.stdout.write(`\n${summary}\n`, () => process.exit(failures || failed || passed === 0 ? 1 : 0));
});
runner.on('pass', () => passed++);
runner.on('fail', () => failed++);
runner.on('pending', () => skipped++);
