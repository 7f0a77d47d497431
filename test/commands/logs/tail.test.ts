import assert from 'node:assert/strict';
import { spawn, execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient, GetLogEventsCommand, type GetLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import { clientConfig, cliEnv, motoServer, resetMoto } from '../../helpers/aws.js';
import { runSgn, sgnBin, type CliResult } from '../../helpers/cli.js';
import { codebuildServer } from '../../helpers/codebuild.js';
import { parseLogsTail } from '../../../src/commands/logs/tail.js';
import { UsageError } from '../../../src/errors.js';
import type { CodebuildEmulator } from '../../../src/sandbox/codebuild-emulator.js';
import { ensureLogStream, putLogLines, seedFinishedBuild, startLiveBuild, streamNameOf, type LiveBuild } from '../../../src/sandbox/fixtures-builds.js';

/** What sgn prints for stored messages: each exactly once, as one line (CodeBuild's newline dropped). */
const printed = (messages: string[]) => messages.map((m) => m.replace(/\r?\n$/, '') + '\n').join('');

/** The CLI as a running process, for tests that act while it runs (wait, Ctrl-C). */
function startSgn(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [sgnBin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers: { re: RegExp; which: 'stdout' | 'stderr'; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...watchers]) {
      if (w.re.test(w.which === 'stdout' ? stdout : stderr)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), check()));
  child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), check()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return {
    child,
    done,
    waitFor: (re: RegExp, which: 'stdout' | 'stderr') =>
      Promise.race([
        new Promise<void>((resolve) => {
          watchers.push({ re, which, resolve });
          check();
        }),
        done.then((r) => {
          throw new Error(`sgn ended (exit ${r.code}) before ${which} matched ${re}:\n${r.stderr}`);
        }),
      ]),
  };
}

describe('sgn logs tail', () => {
  describe('parse', () => {
    const now = new Date('2024-05-01T12:00:00Z');
    it('given --since 90m, then lines from 10:30 on', () => {
      assert.equal(parseLogsTail(['web'], { since: '90m' }, now).since?.toISOString(), '2024-05-01T10:30:00.000Z');
    });
    it('given --since as an ISO time, then that time', () => {
      assert.equal(parseLogsTail(['web'], { since: '2024-05-01T11:00:00Z' }, now).since?.toISOString(), '2024-05-01T11:00:00.000Z');
    });
    it('given --wait, then it follows too', () => {
      assert.deepEqual([parseLogsTail([], { wait: true }, now).follow, parseLogsTail([], { wait: true }, now).wait], [true, true]);
    });
    for (const [what, args, flags] of [
      ['a bad --since', ['web'], { since: 'yesterday' }],
      ['an empty --filter', ['web'], { filter: '  ' }],
      ['--json with --timestamps', ['web'], { json: true, timestamps: true }],
      ['--wait with --build', ['web'], { wait: true, build: 'web:0b6e1c52-5d0e-4c6a-9a55-2f1b8f1c8a11' }],
      ['a build id with a slash', [], { build: 'web/../x:1234' }],
      ['a project name with a space', ['my app'], {}],
    ] as const) {
      it(`given ${what}, then it is a usage error before any AWS call`, () => {
        assert.throws(() => parseLogsTail([...args], { ...flags }, now), UsageError);
      });
    }
  });

  describe('against moto (CloudWatch Logs) and the CodeBuild emulator', function () {
    let motoUrl: string;
    let emulator: CodebuildEmulator;
    let env: NodeJS.ProcessEnv;
    let logs: CloudWatchLogsClient;
    const live: LiveBuild[] = [];

    before(async function () {
      this.timeout(300_000);
      motoUrl = (await motoServer()).url;
      await resetMoto(motoUrl);
      const served = await codebuildServer();
      emulator = served.emulator;
      emulator.reset();
      env = cliEnv(motoUrl, { AWS_ENDPOINT_URL_CODEBUILD: served.url });
      logs = new CloudWatchLogsClient(clientConfig(motoUrl));
    });
    afterEach(async () => {
      while (live.length) await live.pop()!.stop();
    });
    const deps = () => ({ logs, codebuild: emulator });
    const liveBuild = async (input: Parameters<typeof startLiveBuild>[1]) => {
      const b = await startLiveBuild(deps(), input);
      live.push(b);
      return b;
    };

    /** A finished build whose stream holds exactly `messages` from `start`, `stepMs` apart. */
    const buildWithLines = async (project: string, messages: string[], start: number, stepMs = 1) => {
      emulator.createProject(project);
      const id = emulator.startBuild({ project, at: new Date(start) });
      await ensureLogStream(logs, `/aws/codebuild/${project}`, streamNameOf(id));
      const end = await putLogLines(logs, `/aws/codebuild/${project}`, streamNameOf(id), messages, { start, stepMs });
      emulator.finishBuild(id, { status: 'SUCCEEDED', at: new Date(end) });
      return id;
    };

    it('given a finished build of 40,000 lines over several GetLogEvents pages, then exactly those lines are printed, in order', async () => {
      const messages = Array.from({ length: 40_000 }, (_, i) =>
        i % 997 === 0 ? `step ${i} ${'x'.repeat(2000)}\n` : i % 13 === 0 ? `ünïcödé ✓ ${i}\ttab\n` : `line ${i}\n`,
      );
      const id = await buildWithLines('big', messages, Date.now() - 3_600_000);
      // The truth, read back through the SDK: the stream holds these lines across several pages.
      let pages = 0;
      let token: string | undefined;
      const stored: string[] = [];
      for (;;) {
        const page: GetLogEventsCommandOutput = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/codebuild/big', logStreamName: streamNameOf(id), startFromHead: true, nextToken: token }));
        if (page.events?.length) pages++;
        stored.push(...(page.events ?? []).map((e) => e.message!));
        if (page.nextForwardToken === token) break;
        token = page.nextForwardToken;
      }
      assert.ok(pages >= 4, `the log spans ${pages} pages`);
      assert.deepEqual(stored, messages);

      const res = await runSgn(['logs', 'tail', 'big'], { env });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, printed(messages));
      assert.match(res.stderr, new RegExp(`✓ Build ${id} \\(#1\\) SUCCEEDED in`));
    });

    it('given --json, then one JSON object per line, with the build id and ISO timestamps', async () => {
      const start = Date.now() - 60_000;
      const id = await buildWithLines('jsonproj', ['first\n', 'second "quoted"\n', 'third'], start, 1000);
      const res = await runSgn(['logs', 'tail', 'jsonproj', '--json'], { env });
      assert.equal(res.code, 0, res.stderr);
      const rows = res.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(rows, [
        { build: id, timestamp: new Date(start).toISOString(), message: 'first' },
        { build: id, timestamp: new Date(start + 1000).toISOString(), message: 'second "quoted"' },
        { build: id, timestamp: new Date(start + 2000).toISOString(), message: 'third' },
      ]);
    });

    it('given -f on a build that writes for a few seconds and SUCCEEDS, then every line appears once, in order, and it exits 0 saying how the build ended', async () => {
      const b = await liveBuild({ project: 'livegood', intervalMs: 250, lines: 16 });
      const res = await runSgn(['logs', 'tail', 'livegood', '-f'], { env });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(await b.done, 'SUCCEEDED');
      assert.match(res.stderr, /running/, 'it started while the build was running');
      assert.equal(res.stdout, printed(b.written));
      assert.equal(b.written.length, 16);
      assert.match(res.stderr, new RegExp(`✓ Build ${b.buildId} \\(#1\\) SUCCEEDED in \\d+\\.\\ds\\.`));
    });

    it('given -f --exit-status on a build that FAILS, then the exit code is 1 and the failed phase is named; without --exit-status it is 0', async () => {
      const b = await liveBuild({ project: 'livebad', intervalMs: 250, lines: 12, endStatus: 'FAILED' });
      const [withStatus, without] = await Promise.all([runSgn(['logs', 'tail', 'livebad', '-f', '--exit-status'], { env }), runSgn(['logs', 'tail', 'livebad', '-f'], { env })]);
      assert.equal(withStatus.code, 1, withStatus.stderr);
      assert.equal(without.code, 0, without.stderr);
      for (const res of [withStatus, without]) {
        assert.equal(res.stdout, printed(b.written));
        assert.match(res.stderr, /✗ Build livebad:\S+ \(#1\) FAILED after [\d.]+s: phase BUILD FAILED \(COMMAND_EXECUTION_ERROR: Error while executing command: make livebad\. Reason: exit status 2\)\./);
      }
    });

    it('given a build whose log stream appears only after following started, then it is waited for and printed whole', async () => {
      // The stream appears only after the CLI has read the build and seen no stream (ordered, not timed).
      const b = await liveBuild({ project: 'latestream', intervalMs: 300, lines: 8, streamLater: true, startAfter: emulator.answered('BatchGetBuilds') });
      const res = await runSgn(['logs', 'tail', 'latestream', '-f'], { env });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /Waiting for the log stream \/aws\/codebuild\/latestream \S+ to appear/);
      assert.equal(res.stdout, printed(b.written));
    });

    it('given --since, then only lines from that time on are printed (as a duration and as an ISO time)', async () => {
      const now = Date.now();
      const old = Array.from({ length: 50 }, (_, i) => `old ${i}\n`);
      const recent = Array.from({ length: 30 }, (_, i) => `recent ${i}\n`);
      emulator.createProject('since');
      const id = emulator.startBuild({ project: 'since', at: new Date(now - 7_200_000) });
      const group = '/aws/codebuild/since';
      await ensureLogStream(logs, group, streamNameOf(id));
      await putLogLines(logs, group, streamNameOf(id), old, { start: now - 7_200_000, stepMs: 1000 });
      await putLogLines(logs, group, streamNameOf(id), recent, { start: now - 300_000, stepMs: 1000 });
      emulator.finishBuild(id, { status: 'SUCCEEDED' });
      const byDuration = await runSgn(['logs', 'tail', 'since', '--since', '30m'], { env });
      assert.equal(byDuration.code, 0, byDuration.stderr);
      assert.equal(byDuration.stdout, printed(recent));
      const byTime = await runSgn(['logs', 'tail', 'since', '--since', new Date(now - 300_000 + 10_500).toISOString()], { env });
      assert.equal(byTime.stdout, printed(recent.slice(11)));
      const none = await runSgn(['logs', 'tail', 'since', '--since', '1s'], { env });
      assert.equal(none.stdout, '');
      assert.match(none.stderr, /No lines since /);
    });

    it('given --filter, then only matching lines are printed (a term, and a quoted phrase)', async () => {
      const messages = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? `ERROR step ${i} failed\n` : i % 11 === 0 ? `npm ERR! code ${i}\n` : `ok ${i}\n`));
      await buildWithLines('filtered', messages, Date.now() - 600_000);
      const term = await runSgn(['logs', 'tail', 'filtered', '--filter', 'ERROR'], { env });
      assert.equal(term.code, 0, term.stderr);
      assert.equal(term.stdout, printed(messages.filter((m) => m.includes('ERROR'))));
      const phrase = await runSgn(['logs', 'tail', 'filtered', '--filter', '"npm ERR!"'], { env });
      assert.equal(phrase.stdout, printed(messages.filter((m) => m.includes('npm ERR!'))));
    });

    it('given -f --filter on a running build, then matching lines arrive as they are written, none twice', async () => {
      const b = await liveBuild({ project: 'livefilter', intervalMs: 200, lines: 20, line: (i) => (i % 3 === 0 ? `ERROR at ${i}\n` : `fine ${i}\n`) });
      const res = await runSgn(['logs', 'tail', 'livefilter', '-f', '--filter', 'ERROR'], { env });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, printed(b.written.filter((m) => m.startsWith('ERROR'))));
      assert.equal(res.stdout.split('\n').length - 1, 7);
    });

    it('given no project and a git repository whose origin is team/gitproj, then the latest build of gitproj is printed', async () => {
      await seedFinishedBuild(deps(), { project: 'gitproj', status: 'SUCCEEDED', startedAt: new Date(Date.now() - 7_200_000), linesPerPhase: 3 });
      const latest = await seedFinishedBuild(deps(), { project: 'gitproj', status: 'FAILED', startedAt: new Date(Date.now() - 3_600_000), linesPerPhase: 3 });
      const repo = mkdtempSync(join(tmpdir(), 'sgn-repo-'));
      execFileSync('git', ['init', '-q', repo]);
      execFileSync('git', ['-C', repo, 'remote', 'add', 'origin', 'https://deploy:s3cret@github.com/team/gitproj.git']);
      const res = await runSgn(['--debug', 'logs', 'tail'], { env, cwd: repo });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, new RegExp(`Build ${latest} \\(#2\\)`));
      assert.match(res.stdout, /Entering phase DOWNLOAD_SOURCE\n/);
      assert.match(res.stdout, /Phase complete: BUILD State: FAILED\n/);
      assert.match(res.stderr, /project "gitproj" from git remote origin https:\/\/github.com\/team\/gitproj.git/);
      assert.doesNotMatch(res.stderr, /s3cret/, 'credentials in the remote URL never show');
    });

    it('given a folder outside git and no project, then a usage error says to pass one', async () => {
      const res = await runSgn(['logs', 'tail'], { env, cwd: mkdtempSync(join(tmpdir(), 'sgn-nogit-')) });
      assert.equal(res.code, 2);
      assert.match(res.stderr, /No project was given, and .* is not in a git repository with a remote named "origin"\./);
    });

    it('given an unknown project, then it names the project and log group looked up, and lists close names that exist', async () => {
      for (const p of ['payments', 'payments-api', 'search']) emulator.createProject(p);
      const res = await runSgn(['logs', 'tail', 'paymnets'], { env });
      assert.equal(res.code, 1);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /Error: No CodeBuild project named paymnets in us-east-1 \(log group \/aws\/codebuild\/paymnets\)\./);
      assert.match(res.stderr, /Hint: Close names that exist: payments\./);
    });

    it('given a project with no builds, then it says so and how to wait for one', async () => {
      emulator.createProject('fresh');
      const res = await runSgn(['logs', 'tail', 'fresh'], { env });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /CodeBuild project fresh has no builds yet \(its log group is \/aws\/codebuild\/fresh\)\./);
      assert.match(res.stderr, /sgn logs tail fresh --wait/);
    });

    it('given no permission to list builds, then the missing permission is named and the exit code is 4', async () => {
      emulator.createProject('secret');
      emulator.denyAccess('ListBuildsForProject');
      const res = await runSgn(['logs', 'tail', 'secret'], { env });
      assert.equal(res.code, 4, res.stderr);
      assert.match(res.stderr, /Access denied while listing the builds of secret \(missing permission codebuild:ListBuildsForProject\)\./);
    });

    it('given --build with the UUID part only, then that build (not the latest) is printed', async () => {
      const older = await buildWithLines('picked', ['from the older build\n'], Date.now() - 7_200_000);
      await buildWithLines('picked', ['from the newer build\n'], Date.now() - 3_600_000);
      const res = await runSgn(['logs', 'tail', 'picked', '--build', streamNameOf(older)], { env });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'from the older build\n');
      const missing = await runSgn(['logs', 'tail', '--build', 'picked:00000000-0000-0000-0000-000000000000'], { env });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Build picked:00000000-0000-0000-0000-000000000000 was not found in us-east-1\./);
    });

    it('given --wait and only finished builds, then it waits, follows the next build from its first line, and ends with it', async () => {
      await seedFinishedBuild(deps(), { project: 'waiter', status: 'SUCCEEDED', startedAt: new Date(Date.now() - 3_600_000), linesPerPhase: 2 });
      const run = startSgn(['logs', 'tail', 'waiter', '--wait', '--exit-status'], env);
      await run.waitFor(/Waiting for the next build of waiter/, 'stderr');
      const b = await liveBuild({ project: 'waiter', intervalMs: 200, lines: 10, endStatus: 'FAILED' });
      const res = await run.done;
      assert.equal(res.code, 1, res.stderr);
      assert.equal(res.stdout, printed(b.written));
      assert.match(res.stderr, new RegExp(`✗ Build ${b.buildId} \\(#2\\) FAILED`));
    });

    it('given Ctrl-C while following, then it stops with exit 130, says the build keeps running, and printed only whole lines', async () => {
      const b = await liveBuild({ project: 'interrupted', intervalMs: 100, lines: 200 });
      const run = startSgn(['logs', 'tail', 'interrupted', '-f'], env);
      await run.waitFor(/(.*\n){3}/, 'stdout');
      run.child.kill('SIGINT');
      const res = await run.done;
      assert.equal(res.code, 130, res.stderr);
      assert.match(res.stderr, new RegExp(`Stopped following build ${b.buildId}; the build itself keeps running\\.`));
      assert.ok(res.stdout.endsWith('\n'));
      assert.ok(printed(b.written).startsWith(res.stdout), 'what was printed is the start of the log, whole lines only');
    });

    it('given stdout closed early (| head -1), then sgn stops reading, quietly, with exit 0', async () => {
      await buildWithLines('piped', Array.from({ length: 50_000 }, (_, i) => `row ${i} ${"-".repeat(40)}\n`), Date.now() - 600_000);
      const errFile = join(mkdtempSync(join(tmpdir(), 'sgn-pipe-')), 'stderr');
      // Asynchronously: the CodeBuild emulator answers from this very process.
      const { stdout: out } = await promisify(execFile)('bash', ['-c', `set -o pipefail; "${process.execPath}" "${sgnBin}" logs tail piped 2>"${errFile}" | head -n 1; echo "exit=$?"; cat "${errFile}"`], { env, encoding: 'utf8', timeout: 60_000 });
      assert.match(out, /^row 0 -+\nexit=0\n/);
      assert.doesNotMatch(out, /Error|EPIPE/);
      assert.doesNotMatch(out, /SUCCEEDED/, 'it stopped reading once nobody listened, rather than fetching the whole log');
    });
  });
});
