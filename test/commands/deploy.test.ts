import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { BatchDeleteImageCommand, DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { cliEnv, resetMoto } from '../helpers/aws.js';
import { runSgn, sgnBin } from '../helpers/cli.js';
import { plain, runSgnInPty } from '../helpers/pty.js';
import { deployClients, deployerEmulator, deployNames } from '../helpers/deployer.js';
import { faultyLambda } from '../helpers/lambda-faults.js';
import { parseDeploy } from '../../src/commands/deploy.js';
import { UsageError } from '../../src/errors.js';
import { createDeployTable } from '../../src/sandbox/fixtures.js';
import { gitTag, putKubeConfigs, seedProject, type DeployClients } from '../../src/sandbox/fixtures-deploy.js';

describe('sgn deploy', () => {
  describe('parse', () => {
    it('given a project and an env, then the options carry them and the flags', () => {
      assert.deepEqual(parseDeploy(['web', 'production'], { yes: true, logs: true }), {
        project: 'web',
        env: 'production',
        from: undefined,
        yes: true,
        dryRun: false,
        force: false,
        logs: true,
        breakLock: false,
      });
    });
    it('given a project name with a slash, then it is refused before any AWS call', () => {
      assert.throws(() => parseDeploy(['web/x', 'production'], {}), UsageError);
    });
    it('given --from naming the target env, then it is a usage error', () => {
      assert.throws(() => parseDeploy(['web', 'production'], { from: 'production' }), /names the target environment itself/);
    });
  });

  describe('against moto and the deployer emulator', function () {
    this.timeout(120_000);
    let motoUrl: string;
    let env: NodeJS.ProcessEnv;
    let clients: DeployClients;
    let control: Awaited<ReturnType<typeof deployerEmulator>>['control'];
    let emulatorUrl: string;
    const now = Date.now();
    const oldTag = gitTag('shop-old');
    const newTag = gitTag('shop-new');

    before(async function () {
      this.timeout(300_000);
      const e = await deployerEmulator();
      motoUrl = e.motoUrl;
      control = e.control;
      clients = deployClients(motoUrl);
      emulatorUrl = e.url;
      env = cliEnv(motoUrl, { AWS_ENDPOINT_URL_LAMBDA: e.url });
    });

    beforeEach(async () => {
      await resetMoto(motoUrl);
      await control.reset();
      await createDeployTable(clients.dynamodb, deployNames.table);
      await putKubeConfigs(clients.s3, deployNames.configBucket, ['staging', 'production']);
      // shop: staging ahead of production. steady: in sync. fresh: only in production.
      await seedProject(clients, { table: deployNames.table }, {
        project: 'shop',
        builds: [oldTag, newTag],
        deployed: { staging: { tag: newTag, at: new Date(now - 3600_000) }, production: { tag: oldTag, at: new Date(now - 3 * 86_400_000) } },
      });
      await seedProject(clients, { table: deployNames.table }, {
        project: 'steady',
        builds: [gitTag('steady')],
        deployed: { staging: { tag: gitTag('steady'), at: new Date(now - 7200_000) }, production: { tag: gitTag('steady'), at: new Date(now - 3600_000) } },
      });
      await seedProject(clients, { table: deployNames.table }, { project: 'fresh', builds: [gitTag('fresh')], deployed: { production: { tag: gitTag('fresh'), at: new Date(now - 3600_000) } } });
    });

    // An invocation whose caller hung up (Ctrl-C, a dropped connection) runs on, as on Lambda:
    // let it finish before the next test resets moto, or it writes into the next test's table.
    afterEach(async () => control.idle());

    const record = async (project: string, envName: string) =>
      (await clients.dynamodb.send(new GetItemCommand({ TableName: deployNames.table, Key: { Application: { S: project }, Env: { S: envName } }, ConsistentRead: true }))).Item;
    const lockItem = (project = 'shop', envName = 'production') => record(project, `sgn:lock:${envName}`);
    const digest = async (tag: string) => (await clients.ecr.send(new DescribeImagesCommand({ repositoryName: 'shop', imageIds: [{ imageTag: tag }] }))).imageDetails?.[0]?.imageDigest;
    const invocations = async (project = 'shop') => (await control.invocations()).filter((i) => i.project === project);

    it('given staging ahead, when deployed with --yes --json, then the target record and the ECR production tag move, and the result says so', async () => {
      const before = (await record('shop', 'production'))!;
      const res = await runSgn(['deploy', 'shop', 'production', '--yes', '--json'], { env });
      assert.equal(res.code, 0, res.stderr);
      const json = JSON.parse(res.stdout);
      assert.equal(json.status, 'deployed');
      assert.equal(json.tag, newTag);
      assert.equal(json.previous.tag, oldTag);
      assert.equal(json.current.tag, newTag);
      assert.deepEqual(json.payload, { 'SGNRunDeploy.job': { Application: 'shop', envFrom: 'staging', envTo: 'production' } });
      assert.match(res.stderr, new RegExp(`Promote shop: staging -> production`));
      assert.match(res.stderr, new RegExp(`✓ Deployed shop ${newTag} to production in [\\d.]+s \\(was ${oldTag}\\)\\.`));
      assert.ok(!res.stderr.includes('\u001b['), 'no ANSI escapes when piped');

      const after = (await record('shop', 'production'))!;
      assert.equal(after.Tag.S, newTag);
      assert.ok(Number(after.Deployed.S) > Number(before.Deployed.S));
      assert.equal(await digest('production'), await digest(newTag), 'the production tag moved to the promoted image');
      assert.equal(await lockItem(), undefined, 'the lock is released');
      assert.equal((await invocations()).length, 1);
    });

    it('given no source record, then a clear error and zero invocations (the deployer would say "Success")', async () => {
      const res = await runSgn(['deploy', 'fresh', 'production', '--yes'], { env });
      assert.equal(res.code, 1);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /fresh has no staging record in table kubernetes_deploy: there is nothing to promote to production\./);
      assert.match(res.stderr, /sgn ls deployed --project fresh/);
      assert.equal((await control.invocations()).length, 0);
    });

    it('given the same tag already in the target, then it says so and exits 0 without invoking; --force deploys again', async () => {
      const res = await runSgn(['deploy', 'steady', 'production', '--yes'], { env });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, new RegExp(`production already runs ${gitTag('steady')} .*nothing to do`));
      assert.equal((await control.invocations()).length, 0);

      const before = (await record('steady', 'production'))!;
      const forced = await runSgn(['deploy', 'steady', 'production', '--yes', '--force'], { env });
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal((await invocations('steady')).length, 1);
      assert.ok(Number((await record('steady', 'production'))!.Deployed.S) > Number(before.Deployed.S));
    });

    it('given the deployer fails during the rollout (FunctionError), then its errorMessage, log tail and what the failure left are on stderr, the exit is non-zero and the record is untouched', async () => {
      await control.setFault('shop', { error: 'rollout of "shop" failed: 0/3 pods ready' });
      const res = await runSgn(['deploy', 'shop', 'production', '--yes'], { env });
      assert.equal(res.code, 1);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /Error: The deployer failed: rollout of "shop" failed: 0\/3 pods ready/);
      // The last lines of the tail (the rendered templates the deployer logs push START out of them).
      assert.match(res.stderr, /│ END RequestId: [\w-]+/, 'the log tail is shown');
      assert.match(res.stderr, /│ \[ERROR\] Exception: rollout of "shop" failed/);
      // The rollout had replaced the Deployment: say so, and how to undo it (issue 16).
      assert.match(res.stderr, new RegExp(`the cluster may run ${newTag} \\(the Deployment was replaced\\) while the production record still says ${oldTag}`));
      assert.match(res.stderr, new RegExp(`sgn rollback shop production --to ${oldTag}`));
      assert.equal((await record('shop', 'production'))!.Tag.S, oldTag);
      assert.equal(await lockItem(), undefined);
      assert.equal((await invocations()).length, 1);
    });

    it('given the deployer answers "Success" without effect, then sgn says the deploy did not take effect and exits non-zero', async () => {
      await control.setFault('shop', { noEffect: true });
      const res = await runSgn(['deploy', 'shop', 'production', '--yes', '--json'], { env });
      assert.equal(res.code, 1);
      assert.equal(JSON.parse(res.stdout).status, 'no-effect');
      assert.match(res.stderr, new RegExp(`The deploy did not take effect: production still runs ${oldTag}\\.`));
      assert.equal((await invocations()).length, 1);
      assert.equal(await lockItem(), undefined);
    });

    it('given no terminal and no --yes, then it refuses with the usage exit code and invokes nothing', async () => {
      const res = await runSgn(['deploy', 'shop', 'production'], { env });
      assert.equal(res.code, 2);
      assert.match(res.stderr, /Confirmation needed, but there is no terminal to ask on\./);
      assert.match(res.stderr, /pass --yes/);
      assert.equal((await control.invocations()).length, 0);
      assert.equal(await lockItem(), undefined);
    });

    it('given a terminal, when the prompt is answered no, then nothing is invoked; when answered yes, then it deploys', async () => {
      const no = await runSgnInPty(['deploy', 'shop', 'production'], { env, steps: [{ waitFor: /Deploy git-\w+ to production\?/, send: 'n\r' }] });
      assert.equal(no.code, 3, plain(no.output));
      assert.match(plain(no.output), /Cancelled; nothing was deployed\./);
      assert.equal((await control.invocations()).length, 0);
      assert.equal((await record('shop', 'production'))!.Tag.S, oldTag);

      const yes = await runSgnInPty(['deploy', 'shop', 'production'], { env, steps: [{ waitFor: /Deploy git-\w+ to production\?/, send: 'y\r' }] });
      assert.equal(yes.code, 0, plain(yes.output));
      assert.match(plain(yes.output), new RegExp(`Deployed shop ${newTag} to production`));
      assert.equal((await invocations()).length, 1);
      assert.equal((await record('shop', 'production'))!.Tag.S, newTag);
    });

    it('given --dry-run, then the plan and the exact payload are shown and nothing is invoked; a missing image is warned about', async () => {
      await clients.ecr.send(new BatchDeleteImageCommand({ repositoryName: 'shop', imageIds: [{ imageTag: newTag }, { imageTag: 'staging' }, { imageTag: 'latest' }] }));
      const res = await runSgn(['deploy', 'shop', 'production', '--dry-run'], { env });
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual(JSON.parse(res.stdout), { 'SGNRunDeploy.job': { Application: 'shop', envFrom: 'staging', envTo: 'production' } });
      assert.match(res.stderr, new RegExp(`tag +${oldTag} \\(3d ago\\) -> ${newTag} \\(in staging since 1h ago\\)`));
      assert.match(res.stderr, /you +arn:aws:sts::123456789012:user\/moto/);
      assert.match(res.stderr, new RegExp(`ECR no longer has shop:${newTag}`));
      assert.match(res.stderr, /Dry run: nothing was invoked/);
      assert.equal((await control.invocations()).length, 0);
      assert.equal(await lockItem(), undefined, 'a dry run takes no lock');
    });

    it('given two deploys started together, then exactly one invokes and the other names the holder', async () => {
      await control.setFault('shop', { delayMs: 3000 });
      const [a, b] = await Promise.all([runSgn(['deploy', 'shop', 'production', '--yes'], { env }), runSgn(['deploy', 'shop', 'production', '--yes'], { env })]);
      const codes = [a.code, b.code].sort();
      assert.deepEqual(codes, [0, 5], `${a.stderr}\n---\n${b.stderr}`);
      const loser = a.code === 5 ? a : b;
      assert.match(loser.stderr, new RegExp(`shop is already being deployed to production by arn:aws:sts::123456789012:user/moto on .+ \\(pid \\d+\\), deploying ${newTag} from staging, since \\d\\d:\\d\\d:\\d\\d UTC`));
      assert.equal((await invocations()).length, 1);
      assert.equal(await lockItem(), undefined);
    });

    it('given a lock past its expiry, then it is taken over; a live lock blocks', async () => {
      const lock = (expires: number) =>
        clients.dynamodb.send(
          new PutItemCommand({
            TableName: deployNames.table,
            Item: {
              Application: { S: 'shop' },
              Env: { S: 'sgn:lock:production' },
              LockId: { S: 'x' },
              Holder: { S: 'arn:aws:sts::123456789012:assumed-role/dev/alice' },
              Host: { S: 'alice-laptop' },
              Pid: { N: '4242' },
              Since: { S: new Date(now - 600_000).toISOString() },
              Expires: { N: String(Math.floor(expires / 1000)) },
            },
          }),
        );
      await lock(Date.now() + 600_000);
      const blocked = await runSgn(['deploy', 'shop', 'production', '--yes'], { env });
      assert.equal(blocked.code, 5);
      assert.match(blocked.stderr, /already being deployed to production by arn:aws:sts::123456789012:assumed-role\/dev\/alice on alice-laptop \(pid 4242\)/);
      assert.equal((await control.invocations()).length, 0);

      await lock(Date.now() - 60_000);
      const res = await runSgn(['deploy', 'shop', 'production', '--yes'], { env });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /Took over the expired deploy lock of arn:aws:sts::123456789012:assumed-role\/dev\/alice on alice-laptop/);
      assert.equal(await lockItem(), undefined);
    });

    it('given a deploy longer than lockTtl, then its lock is renewed and a second deploy is still blocked', async () => {
      await control.setFault('shop', { delayMs: 5000 });
      const first = runSgn(['-c', 'lockTtl=2', 'deploy', 'shop', 'production', '--yes'], { env });
      const expiresOf = async () => Number((await lockItem())?.Expires?.N ?? 0);
      let initial = 0;
      while (!(initial = await expiresOf())) await new Promise((r) => setTimeout(r, 50));
      // Past the first expiry, the lock must still be held: renewed, not abandoned.
      while ((await expiresOf()) < initial + 2) await new Promise((r) => setTimeout(r, 100));
      const second = await runSgn(['-c', 'lockTtl=2', 'deploy', 'shop', 'production', '--yes'], { env });
      assert.equal(second.code, 5, second.stderr);
      assert.equal((await first).code, 0);
      assert.equal((await invocations()).length, 1);
    });

    it('given a slow deployer (tens of seconds), then sgn waits for it, invokes once and verifies', async function () {
      this.timeout(120_000);
      await control.setFault('shop', { delayMs: 25_000 });
      const res = await runSgn(['deploy', 'shop', 'production', '--yes'], { env, timeoutMs: 90_000 });
      assert.equal(res.code, 0, res.stderr);
      assert.equal((await invocations()).length, 1);
      assert.equal((await record('shop', 'production'))!.Tag.S, newTag);
    });

    it('given --logs, then the deployer\'s lines of this invocation stream while it runs', async () => {
      await control.setFault('shop', { delayMs: 4000 });
      const child = spawn(process.execPath, [sgnBin, 'deploy', 'shop', 'production', '--yes', '--logs', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const sawRollout = new Promise<void>((resolve) =>
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes('Rolling out Deployment shop')) resolve();
        }),
      );
      const code = new Promise<number | null>((resolve) => child.on('close', resolve));
      await sawRollout;
      const productionDuringRollout = (await record('shop', 'production'))!.Tag.S;
      assert.equal(await code, 0, stderr);
      assert.equal(productionDuringRollout, oldTag, 'the line was shown while the deployer was still rolling out');
      const { requestId } = JSON.parse(stdout);
      const lines = stderr.split('\n').filter((l) => l.startsWith('  │ '));
      assert.equal(lines[0], `  │ START RequestId: ${requestId} Version: $LATEST`);
      assert.match(lines[1], /^ {2}│ INFO \d\d:\d\d:\d\d Event: \{'SGNRunDeploy.job': \{'Application': 'shop', 'envFrom': 'staging', 'envTo': 'production'\}\}$/);
      assert.match(lines.at(-1)!, new RegExp(`^ {2}│ REPORT RequestId: ${requestId} {2}Duration: `));
      assert.equal(lines.filter((l) => l.includes('START RequestId')).length, 1, 'each line once');
    });

    it('given Ctrl-C while waiting in a terminal, then the lock stays (marked interrupted) until the deployer cannot be running, a second deploy is refused naming it, and --break-lock takes it over', async () => {
      await control.setFault('shop', { delayMs: 6000 });
      let lockWhileWaiting: unknown;
      let listedWhileWaiting: { environments: Record<string, unknown> }[] = [];
      const res = await runSgnInPty(['deploy', 'shop', 'production', '--yes'], {
        env,
        steps: [
          {
            waitFor: /Deploying shop/,
            then: async () => {
              lockWhileWaiting = await lockItem();
              listedWhileWaiting = JSON.parse((await runSgn(['ls', 'deployed', '--project', 'shop', '--json'], { env })).stdout);
            },
            send: '\x03',
          },
        ],
      });
      const out = plain(res.output);
      assert.equal(res.code, 130, out);
      assert.ok(lockWhileWaiting, 'the lock was held while waiting');
      assert.deepEqual(Object.keys(listedWhileWaiting[0].environments).sort(), ['production', 'staging'], '`ls deployed` never shows the lock as an environment');
      assert.match(out, /Interrupted: sgn stopped waiting, but the deployer may still be running\./);
      assert.match(out, /The deploy lock stays until \d\d:\d\d:\d\d UTC \(the deployer's \d+ s timeout after the invoke, plus a minute\)/);
      const kept = await lockItem();
      assert.ok(kept?.Interrupted?.S, 'the lock is kept and marked interrupted');
      assert.ok(Number(kept.Expires.N) * 1000 > Date.now() + 60_000, 'it lasts past the function timeout');
      assert.equal((await invocations()).length, 1);

      // The deployer finishes; a second deploy is still refused while the lock says it may run.
      await control.idle();
      const second = await runSgn(['deploy', 'shop', 'production', '--yes', '--force'], { env });
      assert.equal(second.code, 5, second.stderr);
      assert.match(second.stderr, /interrupted at \d\d:\d\d:\d\d UTC while the deployer may still run/);
      assert.match(second.stderr, /--break-lock/);
      assert.equal((await invocations()).length, 1, 'no second invoke');

      await control.setFault('shop', {});
      const taken = await runSgn(['deploy', 'shop', 'production', '--yes', '--force', '--break-lock'], { env });
      assert.equal(taken.code, 0, taken.stderr);
      assert.match(taken.stderr, /Took over the interrupted deploy lock/);
      assert.equal(await lockItem(), undefined);
      assert.equal((await invocations()).length, 2);
    });

    describe('faults only a fake Lambda front can produce', () => {
      it('given Lambda throttles twice, then sgn retries the invoke itself (throttling proves the deployer did not start) and it deploys once', async () => {
        const front = await faultyLambda(emulatorUrl, ['throttle', 'throttle']);
        const res = await runSgn(['deploy', 'shop', 'production', '--yes'], { env: { ...env, AWS_ENDPOINT_URL_LAMBDA: front.url } });
        assert.equal(res.code, 0, res.stderr);
        assert.equal(front.requests(), 3);
        assert.equal(res.stderr.match(/Lambda throttled the invoke \(ReservedFunctionConcurrentInvocationLimitExceeded\), so the deployer did not start; retrying/g)?.length, 2, 'each retry is sgn\'s own, not the SDK\'s');
        assert.equal((await invocations()).length, 1);
        assert.equal((await record('shop', 'production'))!.Tag.S, newTag);
      });

      it('given the connection drops while the deployer runs, then the invoke is not sent again, the lock is kept until the deployer cannot be running, and sgn says the outcome is unknown', async () => {
        await control.setFault('shop', { delayMs: 2000 });
        const front = await faultyLambda(emulatorUrl, ['drop']);
        const res = await runSgn(['deploy', 'shop', 'production', '--yes'], { env: { ...env, AWS_ENDPOINT_URL_LAMBDA: front.url } });
        assert.equal(res.code, 1);
        assert.equal(front.invokes(), 1, 'the SDK did not retry the invoke');
        const host = new URL(front.url).host.replace(/\./g, '\\.');
        assert.match(res.stderr, new RegExp(`The invoke of notify_k8s_deploy at ${host} broke off \\(${host} closed the connection without answering\\); the deployer may still be running or may have finished\\.`));
        assert.match(res.stderr, /It was not retried, so that nothing deploys twice\. The deploy lock stays until .*; `sgn deploy shop production --break-lock` takes it over/);
        assert.ok((await lockItem())?.Interrupted?.S, 'the lock is kept, marked interrupted');
        assert.equal((await invocations()).length, 1);
      });
    });
  });
});
