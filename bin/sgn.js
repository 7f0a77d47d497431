#!/usr/bin/env node
// sgn's launcher. It is CommonJS (bin/package.json), because Node starts a CommonJS file without
// setting up its ES-module loader, and that set-up alone costs as much as the rest of
// `sgn --version`. `--version` and the help screens are answered here, before any module of the
// CLI loads: scripts call --version in loops, and people read help many times a day.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose, see above */
const { existsSync, readFileSync, writeSync } = require('node:fs');
const { join } = require('node:path');

const argv = process.argv.slice(2);

/** Writes all of `text` to stdout; a reader that went away (`sgn --help | head -1`) is fine. */
function print(text) {
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch (e) {
    if (e.code === 'EAGAIN') process.stdout.write(bytes.subarray(done));
    else if (e.code !== 'EPIPE') throw e;
  }
}

/**
 * The command path whose help `argv` asks for, or undefined when it is not a plain help request:
 * `sgn`, `sgn [path...] --help|-h`, `sgn help [path...]`. Lower-case words only: the index keys
 * must match exactly.
 */
function helpPath() {
  let path;
  if (argv.length === 0) path = [];
  else if (argv[0] === 'help') path = argv.slice(1);
  else if (argv[argv.length - 1] === '--help' || argv[argv.length - 1] === '-h') path = argv.slice(0, -1);
  else return undefined;
  return path.length <= 3 && path.every((a) => /^[a-z0-9][a-z0-9-]*$/.test(a)) ? path.join(' ') : undefined;
}

/**
 * Prints a help screen the build rendered with the CLI's own commander tree (scripts/build.mjs,
 * dist/help/), at the width commander would use: the terminal's, or 80 when not a terminal.
 * Returns false when `argv` is not a plain help request or its screen is not there.
 */
function printHelpScreen() {
  const path = helpPath();
  if (path === undefined) return false;
  let screen;
  try {
    const dir = join(__dirname, '..', 'dist', 'help');
    const n = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'))[path];
    if (typeof n !== 'number') return false;
    screen = JSON.parse(readFileSync(join(dir, `${n}.json`), 'utf8'));
  } catch {
    return false;
  }
  const tty = require('node:tty').isatty(1);
  const columns = tty ? process.stdout.columns : 80;
  const width = screen.widths.findLast(([from]) => from <= columns);
  if (!width) return false;
  const text = screen.texts[width[1]].map((line) => screen.lines[line]).join('\n');
  if (tty) process.stdout.write(text);
  else print(text);
  return true;
}

/** The CLI itself, or one sentence when this checkout was never built (exit 1). */
function runCli() {
  const entry = join(__dirname, '..', 'dist', 'cli.js');
  if (!existsSync(entry)) {
    process.stderr.write(`sgn: this copy of sgn is not built (${entry} is missing).\nHint: Run \`npm run build\` in ${join(__dirname, '..')}, then retry.\n`);
    process.exitCode = 1;
    return;
  }
  // sgn pins AWS SDK releases that support Node 20; the SDK's notice about future releases
  // needing Node 22 is not the user's concern on every command.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // An empty AWS_REGION or AWS_PROFILE (`AWS_REGION= sgn ...`, a CI variable left blank) means
  // unset, as it does for sgn's own settings: the SDK would otherwise take "" as the value.
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE']) {
    if (process.env[name] === '') delete process.env[name];
  }
  import('../dist/cli.js').then(async ({ main }) => {
    const code = await main(argv);
    // Idle keep-alive sockets of the AWS SDK must not hold the process open once main() is done.
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
}

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  print(require('../package.json').version + '\n');
} else if (!printHelpScreen()) {
  runCli();
}
