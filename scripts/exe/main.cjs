// The entry of the standalone executable (scripts/build-exe.mjs): Node's single executable
// application runs this CommonJS file, and everything else comes from the blob's assets.
// Like bin/sgn.js, it answers --version and the pre-rendered help screens before it compiles
// the CLI, which is one CommonJS bundle (asset cli.js) with every dependency inside.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS: a SEA main script is one */
const sea = require('node:sea');
const { writeSync } = require('node:fs');

const argv = process.argv.slice(2);
const version = sea.getAsset('version', 'utf8');

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

/** The same rule as bin/sgn.js: the command path of a plain help request, else undefined. */
function helpPath() {
  let path;
  if (argv.length === 0) path = [];
  else if (argv[0] === 'help') path = argv.slice(1);
  else if (argv[argv.length - 1] === '--help' || argv[argv.length - 1] === '-h') path = argv.slice(0, -1);
  else return undefined;
  return path.length <= 3 && path.every((a) => /^[a-z0-9][a-z0-9-]*$/.test(a)) ? path.join(' ') : undefined;
}

function printHelpScreen() {
  const path = helpPath();
  if (path === undefined) return false;
  const n = JSON.parse(sea.getAsset('help/index.json', 'utf8'))[path];
  if (typeof n !== 'number') return false;
  const screen = JSON.parse(sea.getAsset(`help/${n}.json`, 'utf8'));
  const tty = require('node:tty').isatty(1);
  const columns = tty ? process.stdout.columns : 80;
  const width = screen.widths.findLast(([from]) => from <= columns);
  if (!width) return false;
  const text = screen.texts[width[1]].map((line) => screen.lines[line]).join('\n');
  if (tty) process.stdout.write(text);
  else print(text);
  return true;
}

/**
 * Compiles a CommonJS bundle from the blob and returns its exports (it requires built-ins only),
 * with the V8 code cache the build made for it when there is one (`<asset>.cache`).
 */
function load(asset) {
  const { wrap } = require('node:module');
  const { Script } = require('node:vm');
  const filename = `${process.execPath}/${asset}`;
  let cachedData;
  try {
    cachedData = Buffer.from(sea.getAsset(`${asset}.cache`));
  } catch {
    cachedData = undefined;
  }
  const script = new Script(wrap(sea.getAsset(asset, 'utf8')), { filename, cachedData });
  if (process.env.SGN_EXE_DEBUG_CACHE) process.stderr.write(`code cache of ${asset}: ${cachedData ? (script.cachedDataRejected ? 'rejected' : 'used') : 'none'}\n`);
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, require, module, filename, process.execPath);
  return module.exports;
}

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  print(version + '\n');
} else if (argv[0] === '__deployer-emulator') {
  // The sandbox starts its deployer emulator as this executable with this first argument.
  process.argv.splice(2, 1);
  load('deployer-emulator.js');
} else if (!printHelpScreen()) {
  // See bin/sgn.js: the SDK's notice about future Node releases is not the user's concern.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  load('cli.js')
    .main(argv)
    .then((code) => {
      // Idle keep-alive sockets of the AWS SDK must not hold the process open once main() is done.
      process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
    });
}
