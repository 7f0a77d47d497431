import assert from 'node:assert/strict';
import { CloudWatchLogsClient, GetLogEventsCommand, type GetLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import { clientConfig, cliEnv, motoServer } from '../../helpers/aws.js';
import { runSgn } from '../../helpers/cli.js';
import { codebuildServer } from '../../helpers/codebuild.js';
import type { CodebuildEmulator } from '../../../src/sandbox/codebuild-emulator.js';
import { ensureLogStream, putLogLines, seedFinishedBuild, streamNameOf } from '../../../src/sandbox/fixtures-builds.js';

/** What sgn prints for stored messages: each once, as one line (CodeBuild's newline dropped). */
const printed = (messages: string[]) => messages.map((m) => m.replace(/\r?\n$/, '') + '\n').join('');

describe('sgn logs tail --failed and -n/--tail, against moto and the CodeBuild emulator', function () {
  this.timeout(120_000);
  let env: NodeJS.ProcessEnv;
  let logs: CloudWatchLogsClient;
  let emulator: CodebuildEmulator;

  before(async () => {
    const moto = await motoServer();
    const served = await codebuildServer();
    emulator = served.emulator;
    logs = new CloudWatchLogsClient(clientConfig(moto.url));
    env = cliEnv(moto.url, { AWS_ENDPOINT_URL_CODEBUILD: served.url });
  });
  after(() => logs.destroy());

  /** Every message of a build's stream, read back through the SDK (not through sgn). */
  const stored = async (id: string, group: string) => {
    const all: string[] = [];
    let token: string | undefined;
    for (;;) {
      const page: GetLogEventsCommandOutput = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: streamNameOf(id), startFromHead: true, nextToken: token }));
      all.push(...(page.events ?? []).map((e) => e.message ?? ''));
      if (!page.nextForwardToken || page.nextForwardToken === token) return all;
      token = page.nextForwardToken;
    }
  };

  it('given a build that failed in BUILD, when --failed, then exactly the BUILD phase is printed (entering it through its context line) and how the build ended', async () => {
    const id = await seedFinishedBuild({ logs, codebuild: emulator }, { project: 'failing', status: 'FAILED', failedPhase: 'BUILD', startedAt: new Date(Date.now() - 3_600_000), linesPerPhase: 6 });
    const all = await stored(id, '/aws/codebuild/failing');
    const from = all.findIndex((m) => m.includes('Entering phase BUILD'));
    const to = all.findIndex((m) => m.includes('Phase context status code'));
    assert.ok(from > 0 && to > from, 'the fixture has the agent lines');
    const res = await runSgn(['logs', 'tail', 'failing', '--failed', '--exit-status'], { env });
    assert.equal(res.code, 1, res.stderr);
    assert.equal(res.stdout, printed(all.slice(from, to + 1)));
    assert.match(res.stderr, /✗ Build failing:\S+ \(#\d+\) FAILED after [\d.]+s: phase BUILD FAILED/);
    // With -n: the last lines of that phase only.
    const last = await runSgn(['logs', 'tail', 'failing', '--failed', '-n', '2'], { env });
    assert.equal(last.code, 0);
    assert.equal(last.stdout, printed(all.slice(to - 1, to + 1)));
  });

  it('given a build that SUCCEEDED, when --failed, then no line and a sentence saying no phase failed', async () => {
    await seedFinishedBuild({ logs, codebuild: emulator }, { project: 'passing', status: 'SUCCEEDED', startedAt: new Date(Date.now() - 3_600_000), linesPerPhase: 3 });
    const res = await runSgn(['logs', 'tail', 'passing', '--failed'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /No phase of build passing:\S+ failed\./);
  });

  it('given a finished build of 25,000 lines, when -n 12000, then the last 12,000 lines in order (read backwards over two pages)', async () => {
    const messages = Array.from({ length: 25_000 }, (_, i) => `line ${i + 1}\n`);
    emulator.createProject('long');
    const start = Date.now() - 7_200_000;
    const id = emulator.startBuild({ project: 'long', at: new Date(start) });
    await ensureLogStream(logs, '/aws/codebuild/long', streamNameOf(id));
    await putLogLines(logs, '/aws/codebuild/long', streamNameOf(id), messages, { start, stepMs: 1 });
    emulator.finishBuild(id, { status: 'SUCCEEDED', at: new Date(start + 60_000) });
    const res = await runSgn(['logs', 'tail', 'long', '-n', '12000'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, printed(messages.slice(-12_000)));
    const few = await runSgn(['logs', 'tail', 'long', '--tail', '3', '--timestamps'], { env });
    assert.deepEqual(
      few.stdout.trimEnd().split('\n').map((l) => l.replace(/^\S+ /, '')),
      ['line 24998', 'line 24999', 'line 25000'],
    );
    const more = await runSgn(['logs', 'tail', '--build', id, '-n', '30000'], { env });
    assert.equal(more.stdout, printed(messages), 'more lines asked than there are: the whole log');
  });

  it('given -n with --follow, or --failed with --filter, then a usage error before any AWS call', async () => {
    const a = await runSgn(['logs', 'tail', 'long', '-n', '5', '-f'], { env });
    assert.equal(a.code, 2);
    assert.match(a.stderr, /-n\/--tail prints the end of a build's log; it does not follow yet/);
    const b = await runSgn(['logs', 'tail', 'long', '--failed', '--filter', 'ERROR'], { env });
    assert.equal(b.code, 2);
    const c = await runSgn(['logs', 'tail', 'long', '-n', 'many'], { env });
    assert.equal(c.code, 2);
    assert.match(c.stderr, /-n\/--tail takes a number of lines, not "many"/);
  });
});
