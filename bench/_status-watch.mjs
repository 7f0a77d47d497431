// The latency of `sgn status --watch` from a stage change to its line on the screen (stdout of
// the built CLI, piped), at the default interval and at --interval 1. The CodePipeline emulator
// runs in this process, so the change's time is known exactly: the clock starts when the
// emulator's state changes and stops when the CLI's line arrives. Not part of `npm run bench`
// (its rows compare against a peer; this has none): run it with
//   node --import tsx bench/_status-watch.mjs          (after npm run build)
// Each change waits a random 0-3 s after the previous line, so changes fall anywhere in a poll.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { createCodepipelineEmulator, serveCodepipelineEmulator } = await import('../src/sandbox/codepipeline-emulator.ts');
const emulator = createCodepipelineEmulator();
const server = await serveCodepipelineEmulator(emulator);
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL_CODEPIPELINE: server.url,
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
const executions = Number(process.env.EXECUTIONS ?? 4);

async function measure(args) {
  const samples = [];
  for (let n = 0; n < executions; n++) {
    const pipeline = `lat-${args.join('')}-${n}`.replace(/[^\w-]/g, '');
    emulator.createPipeline(pipeline);
    const id = emulator.startExecution(pipeline, { revision: { id: 'a'.repeat(40) } });
    const child = spawn(process.execPath, [`${root}/bin/sgn.js`, 'status', pipeline, '--watch', ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let waiter;
    child.stdout.on('data', (d) => {
      out += d;
      if (waiter && waiter.re.test(out)) {
        const w = waiter;
        waiter = undefined;
        w.resolve(performance.now());
      }
    });
    const seen = (re) => new Promise((resolve) => {
      waiter = { re, resolve };
      if (re.test(out)) {
        waiter = undefined;
        resolve(performance.now());
      }
    });
    await seen(/● Source running\n/);
    for (const [stage, step] of [['Source succeeded', () => emulator.advance(id)], ['Build succeeded', () => emulator.advance(id)], ['Deploy succeeded', () => emulator.advance(id)], ['IntegrationTests succeeded', () => emulator.finishStage(id, { status: 'Succeeded' })]]) {
      await new Promise((r) => setTimeout(r, Math.random() * 3000));
      const t = performance.now();
      step();
      samples.push((await seen(new RegExp(`✓ ${stage}`))) - t);
    }
    await new Promise((r) => child.on('close', r));
  }
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  return { args: args.join(' ') || '(default interval 2 s)', n: samples.length, median: q(0.5), p90: q(0.9), max: samples.at(-1), min: samples[0] };
}

for (const args of [[], ['--interval', '1']]) {
  const r = await measure(args);
  console.log(`${r.args}: ${r.n} changes, median ${Math.round(r.median)} ms, p90 ${Math.round(r.p90)} ms, min ${Math.round(r.min)} ms, max ${Math.round(r.max)} ms`);
}
await server.close();
