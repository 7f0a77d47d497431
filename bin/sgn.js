#!/usr/bin/env node
// sgn's launcher. It is CommonJS (bin/package.json), because Node starts a CommonJS file without
// setting up its ES-module loader, and that set-up alone costs as much as the rest of
// `sgn --version`. `--version` and the help screens are answered here, before any module of the
// CLI loads: scripts call --version in loops, and people read help many times a day.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose, see above */
const { readFileSync, writeSync } = require('node:fs');
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
 * Prints a help screen the build rendered with the CLI's own commander tree (scripts/build.mjs,
 * dist/help/), at the width commander would use: the terminal's, or 80 when not a terminal.
 * Returns false when `argv` is not a plain help request or its screen is not there.
 */
function printHelpScreen() {
  if (argv.length > 0 && argv[argv.length - 1] !== '--help' && argv[argv.length - 1] !== '-h') return false;
  // Lower-case names only: the file name must match exactly, on case-insensitive disks too.
  if (argv.length > 4 || !argv.every((a) => /^-{0,2}[a-z0-9][a-z0-9-]*$/.test(a))) return false;
  let screen;
  try {
    screen = JSON.parse(readFileSync(join(__dirname, '..', 'dist', 'help', ['sgn', ...argv].join('_') + '.json'), 'utf8'));
  } catch {
    return false;
  }
  const tty = require('node:tty').isatty(1);
  const columns = tty ? process.stdout.columns : 80;
  const width = screen.widths.findLast(([from]) => from <= columns);
  if (!width) return false;
  const text = screen.texts[width[1]];
  if (tty) process.stdout.write(text);
  else print(text);
  return true;
}

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  print(require('../package.json').version + '\n');
} else if (!printHelpScreen()) {
  // sgn pins AWS SDK releases that support Node 20; the SDK's notice about future releases
  // needing Node 22 is not the user's concern on every command.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  import('../dist/cli.js').then(async ({ main }) => {
    const code = await main(argv);
    // Idle keep-alive sockets of the AWS SDK must not hold the process open once main() is done.
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
}
