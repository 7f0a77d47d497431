// Preloaded with `node --import` (NODE_OPTIONS) by test/startup.test.ts: records every module the
// process loads into the file named by SGN_RECORD_LOADS, one a line. ES modules come from a loader
// hook, which sees every import, static or dynamic; CommonJS modules from require.cache at exit.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.SGN_RECORD_LOADS;
register(new URL('./record-loads-hooks.mjs', import.meta.url), { data: { file } });
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => appendFileSync(file, Object.keys(cache).map((p) => `${p}\n`).join('')));
