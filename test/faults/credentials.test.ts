import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientConfig, motoServer } from '../helpers/aws.js';
import { runSgn } from '../helpers/cli.js';
import { sampleCommandLines, serviceCommands } from '../helpers/commands.js';
import { plain, runSgnInPty } from '../helpers/pty.js';
import { createDeployTable } from '../../src/sandbox/fixtures.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Region, profile and credentials problems end in one sentence and exit 4, on every command that
 * talks to AWS; an MFA-protected role asks for its code on a terminal (through the SDK's MFA code
 * provider) and refuses without one. Every `sgn ...` command a hint proposes is run and accepted.
 */
describe('region, profile and credentials problems (the built CLI, AWS config files, moto STS)', function () {
  this.timeout(180_000);
  let motoUrl: string;
  /** Every command that talks to a service (from commandTree), one command line each (files written in `before`). */
  let lines: Record<string, string[]> = {};
  let awsCommands: string[][] = [];
  let files: string;
  /**
   * Commands that go on without AWS and say why (render and lint: the account and the config
   * check are optional), or report per check or image (doctor, image sync): their exit code; the
   * sentence is somewhere in what they print, not on an `Error:` line.
   */
  const degrades: Record<string, number> = { render: 0, lint: 0, doctor: 1, 'image sync': 1 };
  const nameOf = (args: string[]) => Object.keys(lines).find((k) => lines[k] === args)!;
  /** Asserts how a command ends when AWS cannot be used: exit 4 and one sentence, or its own way for those above. */
  function assertSetupFailure(args: string[], res: { code: number | null; stdout: string; stderr: string }, sentence: RegExp) {
    const name = nameOf(args);
    const where = `${args.join(' ')}:\n${res.stderr}${res.stdout}`;
    assert.doesNotMatch(res.stderr, /bug in sgn|Region is missing/, where);
    if (name in degrades) {
      assert.equal(res.code, degrades[name], where);
      assert.match(`${res.stderr}${res.stdout}`, new RegExp(sentence.source.replace(/^\^Error: /, '').replace(/\\\.\$$/, ''), 'mi'), where);
    } else {
      assert.equal(res.code, 4, where);
      assert.match(res.stderr, sentence, where);
    }
  }

  /** A HOME with AWS config files and nothing else of the user's. */
  function home(files: { config?: string; credentials?: string } = {}): { env: NodeJS.ProcessEnv; dir: string } {
    const dir = mkdtempSync(join(tmpdir(), 'sgn-creds-'));
    mkdirSync(join(dir, '.aws'));
    if (files.config) writeFileSync(join(dir, '.aws', 'config'), files.config);
    if (files.credentials) writeFileSync(join(dir, '.aws', 'credentials'), files.credentials);
    return {
      dir,
      env: { PATH: process.env.PATH, HOME: dir, XDG_CONFIG_HOME: join(dir, '.config'), XDG_STATE_HOME: join(dir, '.state'), AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL: motoUrl },
    };
  }

  /** Runs each `sgn ...` command quoted in a hint; each must be accepted. */
  async function runHints(stderr: string, env: NodeJS.ProcessEnv): Promise<number> {
    const hints = [...stderr.matchAll(/`(sgn [^`]+)`/g)].map((m) => m[1]);
    for (const hint of hints) {
      const res = await runSgn(hint.split(/\s+/).slice(1), { env });
      assert.equal(res.code, 0, `the hint "${hint}" was refused: ${res.stderr}`);
    }
    return hints.length;
  }

  before(async function () {
    this.timeout(120_000);
    files = mkdtempSync(join(tmpdir(), 'sgn-creds-cmds-'));
    lines = sampleCommandLines(files);
    awsCommands = Object.values(lines);
    motoUrl = (await motoServer()).url;
    await createDeployTable(new DynamoDBClient(clientConfig(motoUrl)), 'kubernetes_deploy').catch(() => undefined);
  });

  after(() => rmSync(files, { recursive: true, force: true }));

  it('every command that talks to a service is run here (the list comes from commandTree)', () => {
    assert.deepEqual(Object.keys(lines).sort(), serviceCommands().sort());
  });

  it('given no region anywhere, then every command says so in one sentence, exit 4, and every hint any of them printed is a command sgn accepts', async () => {
    const { env } = home({ credentials: '[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n' });
    let stderr = '';
    for (const args of awsCommands) {
      const res = await runSgn(args, { env });
      assertSetupFailure(args, res, /^Error: No AWS region is set\.$/m);
      stderr += res.stderr + res.stdout;
    }
    // The same hint from several commands is run once (it changes the settings).
    const distinct = [...new Set([...stderr.matchAll(/`(sgn [^`]+)`/g)].map((m) => `\`${m[1]}\``))].join('\n');
    assert.ok((await runHints(distinct, env)) >= 1, stderr);
    assert.doesNotMatch((await runSgn(['ls', 'deployed'], { env })).stderr, /No AWS region/, 'the hint fixed it');
  });

  it('given AWS_REGION and AWS_PROFILE set but empty (a blank CI variable), then they count as unset, as in sgn\'s settings', async () => {
    const { env } = home({ credentials: '[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n' });
    const res = await runSgn(['ls', 'deployed'], { env: { ...env, AWS_REGION: '', AWS_DEFAULT_REGION: '', AWS_PROFILE: '' } });
    assert.equal(res.code, 4, res.stderr);
    assert.match(res.stderr, /^Error: No AWS region is set\.$/m);
    const ok = await runSgn(['ls', 'deployed'], { env: { ...env, AWS_REGION: 'us-east-1', AWS_PROFILE: '' } });
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('given an unknown profile, then doctor shows the sentence and its fix, not an error class name', async () => {
    const { env } = home({ config: '[profile dev]\nregion = us-east-1\n' });
    const res = await runSgn(['--profile', 'dve', 'doctor'], { env: { ...env, AWS_REGION: 'us-east-1' } });
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stdout, /^✗ credentials\s+The AWS profile "dve" was not found in .*\. {2}\(fix: Profiles there: dev\./m);
    assert.doesNotMatch(res.stdout, /Error:/);
  });

  it('given --region "x y", then it is refused before any call, exit 4', async () => {
    const { env } = home({ credentials: '[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n' });
    for (const args of awsCommands) {
      const res = await runSgn(['--region', 'x y', ...args], { env });
      assertSetupFailure(args, res, /^Error: The region "x y" \(from --region, AWS_REGION or the region setting\) is not an AWS region\.$/m);
    }
  });

  it('given an unknown --profile, then it is named with the files read and the profiles that exist, exit 4', async () => {
    const { env, dir } = home({ config: '[profile dev]\nregion = us-east-1\n[profile prod]\nregion = eu-west-1\n', credentials: '[dev]\naws_access_key_id = testing\naws_secret_access_key = testing\n' });
    for (const args of awsCommands) {
      const res = await runSgn(['--profile', 'dve', ...args], { env: { ...env, AWS_REGION: 'us-east-1' } });
      assertSetupFailure(args, res, new RegExp(`^Error: The AWS profile "dve" was not found in ${dir}/\\.aws/config or ${dir}/\\.aws/credentials\\.$`, 'm'));
      if (!(nameOf(args) in degrades)) assert.match(res.stderr, /^Hint: Profiles there: dev, prod\./m);
    }
  });

  it('given a profile whose credential_process fails, then the failure is named, exit 4', async () => {
    const { env } = home({ config: '[profile broken]\nregion = us-east-1\ncredential_process = sh -c "echo token service down >&2; exit 3"\n' });
    const res = await runSgn(['--profile', 'broken', 'ls', 'deployed'], { env });
    assert.equal(res.code, 4, res.stderr);
    assert.match(res.stderr, /^Error: The credential_process of the AWS profile "broken" failed or gave no credentials\.$/m);
    assert.match(res.stderr, /^Hint: Run it by hand to see why: sh -c "echo token service down/m);
  });

  const mfaFiles = {
    config: '[profile admin]\nregion = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/dev\n',
    credentials: '[base]\naws_access_key_id = testing\naws_secret_access_key = testing\n',
  };

  it('given an MFA-protected role and no terminal, then it says the code cannot be asked, exit 4', async () => {
    const { env } = home(mfaFiles);
    const res = await runSgn(['--profile', 'admin', 'ls', 'deployed'], { env });
    assert.equal(res.code, 4, res.stderr);
    assert.match(res.stderr, /^Error: The AWS profile "admin" assumes a role that needs an MFA code \(arn:aws:iam::123456789012:mfa\/dev\), and there is no terminal to ask for it\.$/m);
  });

  it('given an MFA-protected role on a terminal, then the code is asked once, the role is assumed in moto\'s STS, and the command works', async () => {
    const { env } = home(mfaFiles);
    const res = await runSgnInPty(['--profile', 'admin', 'ls', 'deployed'], { env, steps: [{ waitFor: /MFA code for arn:aws:iam::123456789012:mfa\/dev/, send: '123456\r' }] });
    const screen = plain(res.output);
    assert.equal(res.code, 0, screen);
    assert.equal(screen.match(/✔ MFA code for/g)?.length ?? 0, 1, screen);
    assert.match(screen, /No deploy records in table kubernetes_deploy|Project +staging/);
  });
});
