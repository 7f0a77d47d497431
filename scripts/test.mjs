// The one test command (README, CI): builds the CLI the way users run it, then runs every mocha
// suite and ends with the line CI reads: "N passed, N failed[, N skipped]".
// Two lanes: `--unit` runs test/unit/** in-process (no build, no python, no subprocess, seconds);
// `--e2e` builds and runs every other suite against moto, the emulators and real registries.
// Neither flag: both. Arguments are spec files to run instead (`npm test -- test/cli.test.ts`).
import { execFileSync } from 'node:child_process';
import { register } from 'tsx/esm/api';
import Mocha from 'mocha';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const lane = process.argv.includes('--unit') ? 'unit' : process.argv.includes('--e2e') ? 'e2e' : 'all';
const patterns = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const isUnit = (f) => f.split(/[\\/]/).slice(0, 2).join('/') === 'test/unit';
if (lane !== 'unit') execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
register();

const grep = process.argv.find((a) => a.startsWith('--grep='))?.slice('--grep='.length);
const allTests = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allTests(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []));
const files = (patterns.length ? patterns : allTests('test').filter((f) => lane === 'all' || (lane === 'unit') === isUnit(f)))
  // The fast lane first: a broken unit fails the run before minutes of end-to-end tests.
  .sort((a, b) => Number(isUnit(b)) - Number(isUnit(a)) || a.localeCompare(b));
// Root hooks (stop moto, emulators, registries at the end) must be passed as rootHooks: mocha
// ignores a `mochaHooks` export of a file added as a spec, and the processes would outlive the run.
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
