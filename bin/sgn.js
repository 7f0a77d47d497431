#!/usr/bin/env node
// sgn's launcher. `--version` is answered before any module loads: scripts call it in loops.
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version + '\n');
} else {
  // sgn pins AWS SDK releases that support Node 20; the SDK's notice about future releases
  // needing Node 22 is not the user's concern on every command.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { main } = await import('../dist/cli.js');
  const code = await main(argv);
  // Idle keep-alive sockets of the AWS SDK must not hold the process open once main() is done.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
