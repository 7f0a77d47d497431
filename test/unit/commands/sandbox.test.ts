import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli.js';
import type { AwsApis } from '../../../src/aws/apis.js';
import type { SandboxState } from '../../../src/sandbox/state.js';
import { strictFake } from '../helpers/fakes.js';
import { cleanEnv, testStreams } from '../helpers/io.js';

// sgn sandbox status / start (already running) / stop (not running) through main(), with a state
// file in a temp folder: no moto, no emulator, no child process. The parts that "run" are this
// test process itself; pid 0 is a part that does not.

function sandboxDir(state?: Partial<SandboxState>): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'sgn-unit-sbx-')), 'sandbox');
  mkdirSync(dir);
  if (state) {
    const full: SandboxState = {
      version: 1,
      region: 'us-east-1',
      accountId: '123456789012',
      startedAt: '2026-11-30T11:00:00.000Z',
      moto: { url: 'http://127.0.0.1:5001', pid: process.pid },
      emulator: { url: 'http://127.0.0.1:5002', pid: process.pid },
      ...state,
    };
    writeFileSync(join(dir, 'state.json'), JSON.stringify(full));
  }
  return dir;
}

async function run(argv: string[], dir: string) {
  const io = testStreams();
  const code = await main(argv, { streams: io, env: cleanEnv({ SGN_SANDBOX_DIR: dir }), cwd: '/', now: () => new Date('2026-11-30T12:00:00Z'), signal: new AbortController().signal, api: strictFake<AwsApis>('api', {}) });
  return { code, stdout: io.out(), stderr: io.err() };
}

describe('unit: sgn sandbox through main()', () => {
  it('given no sandbox, then status says how to start one (exit 1), and --json says running: false', async () => {
    const dir = sandboxDir();
    const res = await run(['sandbox', 'status'], dir);
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.equal(res.stderr, 'The sandbox is not running. Start it with `sgn sandbox start`.\n');
    const json = await run(['sandbox', 'status', '--json'], dir);
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout), { running: false, dir, startedAt: null, parts: [] });
  });

  it('given a part that has stopped, then one tab-separated line per part on stdout, a warning, exit 1', async () => {
    const dir = sandboxDir({ registry: { host: '127.0.0.1:5003', pid: 0, user: '' } });
    const res = await run(['sandbox', 'status'], dir);
    assert.equal(res.code, 1);
    assert.equal(
      res.stdout,
      [`moto\thttp://127.0.0.1:5001\trunning\tpid ${process.pid}`, `deployer emulator\thttp://127.0.0.1:5002\trunning\tpid ${process.pid}`, 'registry\t127.0.0.1:5003\tstopped\tpid 0', ''].join('\n'),
    );
    assert.equal(res.stderr, '! Part of the sandbox has stopped; `sgn sandbox start` restarts it.\n');
  });

  it('given a running sandbox, then start is idempotent: it says so and shows what to try; --json prints the state', async () => {
    const dir = sandboxDir({});
    const res = await run(['sandbox', 'start'], dir);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /^✓ The sandbox is already running \(moto http:\/\/127\.0\.0\.1:5001, deployer http:\/\/127\.0\.0\.1:5002\)\.\n\nTry next:\n/);
    assert.ok(res.stderr.includes(`Demo projects' sources (deployspec.yml, deploy/*) are in ${join(dir, 'projects')}:`));
    assert.match(res.stderr, /install docker-registry for a local registry/);
    const json = await run(['sandbox', 'start', '--json'], dir);
    assert.equal(json.code, 0);
    assert.equal(JSON.parse(json.stdout).moto.url, 'http://127.0.0.1:5001');
    assert.doesNotMatch(json.stderr, /Try next/);
  });

  it('given no sandbox, then stop says it is not running (exit 0), and reset is an error with the start hint', async () => {
    const dir = sandboxDir();
    const stop = await run(['sandbox', 'stop'], dir);
    assert.equal(stop.code, 0);
    assert.equal(stop.stderr, 'The sandbox is not running.\n');
    const reset = await run(['sandbox', 'reset'], dir);
    assert.equal(reset.code, 1);
    assert.equal(reset.stderr, 'Error: No sandbox is running.\nHint: Start one with `sgn sandbox start`.\n');
  });
});
