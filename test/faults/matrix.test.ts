import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { clientConfig, cliEnv, motoServer } from '../helpers/aws.js';
import { runSgn } from '../helpers/cli.js';
import { codebuildServer } from '../helpers/codebuild.js';
import { deployerEmulator } from '../helpers/deployer.js';
import { refusedHost, startFaultProxy, type Fault } from '../helpers/fault-proxy.js';
import { startRegistry, type RegistryInstance } from '../helpers/registry.js';
import { gzipLayer, multiArchImage, writeOciLayout } from '../../src/sandbox/fixtures-images.js';

const exec = promisify(execFile);

/**
 * The failure matrix of issue 11: every command that talks to a service, against every fault
 * the fault proxy can play, in front of the service the command calls first (moto, the CodeBuild
 * emulator, a docker-registry). Each run must end (a 60 s cap, a liveness check, not a speed
 * assertion) with exit 1, one sentence naming the host that failed, never "bug in sgn", and
 * nothing changed. The outcomes and the longest run are written to $SGN_FAULT_MATRIX_OUT.
 */
type FaultCase = { name: string; fault: Fault | 'refuse'; message: (host: string) => RegExp };
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const faults: FaultCase[] = [
  { name: 'connection refused', fault: 'refuse', message: (h) => new RegExp(`connection refused by ${esc(h)}`, 'i') },
  { name: 'reset before the answer', fault: { kind: 'reset' }, message: (h) => new RegExp(`${esc(h)} (closed the connection without answering|broke off its answer)`) },
  { name: 'stall after the headers', fault: { kind: 'stall' }, message: (h) => new RegExp(`${esc(h)} (sent nothing for|did not finish its answer|stopped sending)`) },
  { name: 'no answer at all', fault: { kind: 'hang' }, message: (h) => new RegExp(`${esc(h)} (sent nothing for|did not finish its answer)`) },
  { name: 'drip 1 byte/s', fault: { kind: 'drip', bytesPerSecond: 1 }, message: (h) => new RegExp(`${esc(h)} (did not finish its answer|is sending too slowly|sent nothing)`) },
  { name: 'truncated body', fault: { kind: 'truncate' }, message: (h) => new RegExp(`${esc(h)} (broke off its answer|sent an answer sgn cannot read|closed the connection without answering)|at ${esc(h)} sent an answer sgn cannot read`) },
  { name: 'not HTTP', fault: { kind: 'garbage' }, message: (h) => new RegExp(`${esc(h)} answered with something that is not HTTP`) },
  { name: '503 + Retry-After', fault: { kind: 'status', status: 503, retryAfter: '1' }, message: (h) => new RegExp(`(at ${esc(h)} failed with 503|${esc(h)} failed while mirroring .*: 503)`) },
  {
    name: '429 + Retry-After',
    fault: { kind: 'status', status: 429, retryAfter: '1', headers: { 'x-amzn-ErrorType': 'ThrottlingException' }, body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }) },
    message: (h) => new RegExp(`(at ${esc(h)} kept throttling|${esc(h)} is limiting requests)`),
  },
];

interface Outcome {
  command: string;
  fault: string;
  code: number | null;
  seconds: number;
  message: string;
}

describe('failure matrix: every command x every fault (fault proxy in front of moto, the emulators, a registry)', function () {
  this.timeout(600_000);
  let motoUrl: string;
  let codebuildUrl: string;
  let lambdaUrl: string;
  let source: RegistryInstance;
  let target: RegistryInstance;
  let work: string;
  const outcomes: Outcome[] = [];

  /** The commands, each with the upstream its first call goes to and how to point sgn at a front. */
  const commands = () => [
    { name: 'ls deployed', args: ['ls', 'deployed'], upstream: motoUrl, env: (front: string) => cliEnv(front) },
    { name: 'cfg cat', args: ['cfg', 'cat', 'web', 'production'], upstream: motoUrl, env: (front: string) => cliEnv(front) },
    { name: 'deploy', args: ['deploy', 'web', 'production', '--yes'], upstream: motoUrl, env: (front: string) => cliEnv(front, { AWS_ENDPOINT_URL_LAMBDA: lambdaUrl }) },
    { name: 'logs tail', args: ['logs', 'tail', 'web'], upstream: codebuildUrl, env: (front: string) => cliEnv(motoUrl, { AWS_ENDPOINT_URL_CODEBUILD: front }) },
    { name: 'image mirror (ECR)', args: ['image', 'mirror', `${source.host}/demo/app:1.0`, '--to', 'matrix/ecr:1.0'], upstream: motoUrl, env: (front: string) => cliEnv(front, { SGN_ECR_REGISTRY: target.host }) },
    { name: 'image mirror (source registry)', args: ['image', 'mirror', 'SOURCE/demo/app:1.0', '--to', 'matrix/src:1.0'], upstream: `http://${source.host}`, env: () => cliEnv(motoUrl, { SGN_ECR_REGISTRY: target.host }), registry: true },
  ];

  before(async function () {
    this.timeout(300_000);
    motoUrl = (await motoServer()).url;
    codebuildUrl = (await codebuildServer()).url;
    lambdaUrl = (await deployerEmulator()).url;
    [source, target] = await Promise.all([startRegistry(), startRegistry()]);
    work = mkdtempSync(join(tmpdir(), 'sgn-matrix-'));
    const image = multiArchImage({ name: 'app', platforms: [{ os: 'linux', architecture: 'amd64' }], shared: [gzipLayer({ 'etc/os-release': 'ID=matrix\n' })] });
    writeOciLayout(join(work, 'oci'), image, '1.0');
    await exec('skopeo', ['copy', '--all', '--dest-tls-verify=false', `oci:${join(work, 'oci')}:1.0`, `docker://${source.host}/demo/app:1.0`]);
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
    const longest = outcomes.reduce((m, o) => Math.max(m, o.seconds), 0);
    const rows = outcomes.map((o) => `| ${o.command} | ${o.fault} | ${o.code} | ${o.seconds.toFixed(1)} s | ${o.message.replace(/\|/g, '/')} |`);
    const table = ['| command | fault | exit | time | message |', '|---|---|---|---|---|', ...rows, '', `longest faulted run: ${longest.toFixed(1)} s`].join('\n');
    if (process.env.SGN_FAULT_MATRIX_OUT) writeFileSync(process.env.SGN_FAULT_MATRIX_OUT, table + '\n');
  });

  for (const f of faults) {
    it(`given ${f.name} at the first service each command calls, then every command ends with exit 1 and one sentence naming that host, and changes nothing`, async () => {
      const db = new DynamoDBClient(clientConfig(motoUrl));
      const before = (await db.send(new ScanCommand({ TableName: 'kubernetes_deploy' })).catch(() => undefined))?.Items?.length;
      const runs = commands().map(async (c) => {
        let host: string;
        let stop: () => Promise<void> = async () => undefined;
        if (f.fault === 'refuse') {
          host = await refusedHost();
        } else {
          const proxy = await startFaultProxy(c.upstream, [{ fault: f.fault }]);
          host = proxy.host;
          stop = proxy.stop;
        }
        const args = c.args.map((a) => a.replace('SOURCE', host));
        const env = c.env(`http://${host}`);
        const started = performance.now();
        const res = await runSgn(args, { env, timeoutMs: 60_000 });
        const seconds = (performance.now() - started) / 1000;
        await stop();
        const message = /^Error: (.*)$/m.exec(res.stderr)?.[1] ?? '(none)';
        outcomes.push({ command: c.name, fault: f.name, code: res.code, seconds, message });
        return { c, res, host, message };
      });
      const results = await Promise.all(runs);
      for (const { c, res, host, message } of results) {
        const where = `${c.name} x ${f.name}:\n${res.stderr}`;
        assert.equal(res.code, 1, where);
        assert.match(message, f.message(host), where);
        assert.doesNotMatch(res.stderr, /bug in sgn/, where);
        assert.equal(res.stdout, '', where);
      }
      // Nothing changed: no deploy record, no lock item; no tag in the target registry.
      const after = (await db.send(new ScanCommand({ TableName: 'kubernetes_deploy' })).catch(() => undefined))?.Items?.length;
      assert.equal(after, before);
      const lock = await db.send(new GetItemCommand({ TableName: 'kubernetes_deploy', Key: { Application: { S: 'web' }, Env: { S: 'production' } } })).catch(() => undefined);
      assert.equal(lock?.Item, undefined);
      for (const repo of ['matrix/ecr', 'matrix/src']) {
        const res = await fetch(`http://${target.host}/v2/${repo}/manifests/1.0`, { method: 'HEAD' });
        assert.equal(res.status, 404, `${repo}:1.0 was tagged`);
      }
    });
  }
});
