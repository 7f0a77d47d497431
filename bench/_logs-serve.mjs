// For profiling `sgn logs tail` by hand (not a scenario: the runner skips _*.mjs). Seeds the
// bench's finished 100k-line build (moto, the CodeBuild emulator, the proxy replaying moto's
// replies), prints the environment sgn runs in as shell assignments, and stays up until Ctrl-C:
//
//   node bench/_logs-serve.mjs > /tmp/logs.env &      # wait for "ready" on stderr
//   env $(cat /tmp/logs.env) /usr/bin/time -f '%e s %M KiB' node bin/sgn.js logs tail bench-logs > /dev/null
//   env $(cat /tmp/logs.env) node --heap-prof bin/sgn.js logs tail bench-logs > /dev/null
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';

register();
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const log = (m) => process.stderr.write(m + '\n');
const stoppers = [];
const stop = async () => {
  while (stoppers.length) await stoppers.pop()().catch(() => undefined);
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

const { ensureMoto, startMoto } = await import('../src/sandbox/moto.ts');
const { prepare, sideEnv } = await import('./logs.mjs');
const moto = await startMoto({ server: await ensureMoto(process.env, log) });
stoppers.push(() => moto.stop());
const home = mkdtempSync(join(tmpdir(), 'sgn-logs-serve-'));
stoppers.push(async () => rmSync(home, { recursive: true, force: true }));
const p = await prepare({ motoUrl: moto.url, log, onStop: (fn) => stoppers.push(fn) });
const env = sideEnv({}, p.proxyUrl, p.codebuildUrl, home);
for (const [k, v] of Object.entries(env)) if (k !== 'PATH') process.stdout.write(`${k}=${v}\n`);
log(`ready: ${p.stream} in /aws/codebuild/bench-logs (replayed through ${p.proxyUrl}; moto itself at ${moto.url})`);
setInterval(() => undefined, 1 << 30);
