import assert from 'node:assert/strict';
import { commandTree } from '../../src/commands/index.js';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { cliEnv, clientConfig, motoServer, resetMoto } from '../helpers/aws.js';
import { runSgn, sgnBin } from '../helpers/cli.js';
import { createDeployTable, putDeployRecords } from '../../src/sandbox/fixtures.js';

// The scripts of `sgn completion bash|zsh|fish`, driven by the real shells (scripts/install-deps.sh
// installs zsh and fish) against the built CLI and moto: bash through COMP_LINE/COMP_POINT/
// COMP_WORDS/COMP_CWORD as bash sets them, zsh through its completion function with `compadd`
// recorded, fish through `complete -C` (its own test mode).

type Shell = 'bash' | 'zsh' | 'fish';
const shells: Shell[] = ['bash', 'zsh', 'fish'];

function exec(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 60_000 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });
}

/** bash's COMP_WORDS of a line: words split at blanks, and at = (a word of its own). */
function bashWords(line: string): string[] {
  const words = line
    .trim()
    .split(/\s+/)
    .flatMap((w) => w.split(/(=)/).filter((p) => p !== ''));
  if (/\s$/.test(line)) words.push('');
  return words;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('sgn completion in real shells', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'sgn-completion-'));
  const scripts: Partial<Record<Shell, string>> = {};
  let env: NodeJS.ProcessEnv;

  before(async () => {
    const { url } = await motoServer();
    await resetMoto(url);
    const db = new DynamoDBClient(clientConfig(url));
    const s3 = new S3Client(clientConfig(url));
    try {
      await createDeployTable(db, 'kubernetes_deploy');
      const at = new Date(Date.now() - 3600_000);
      await putDeployRecords(db, 'kubernetes_deploy', [
        { project: 'web', env: 'staging', tag: 'git-1111111', deployed: at },
        { project: 'web', env: 'production', tag: 'git-0000000', deployed: at },
        { project: 'worker', env: 'staging', tag: 'git-2222222', deployed: at },
        { project: 'api', env: 'qa', tag: 'git-3333333', deployed: at },
      ]);
      await s3.send(new CreateBucketCommand({ Bucket: 'k8s-deployer-config' }));
      await s3.send(new PutObjectCommand({ Bucket: 'k8s-deployer-config', Key: 'web/staging/config', Body: '[config]\nLOG_LEVEL = info\nDATABASE_URL = postgres://db\n' }));
    } finally {
      db.destroy();
      s3.destroy();
    }
    // `sgn` on PATH is the built launcher, as after an install; a fresh cache dir for the names.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(sgnBin, join(bin, 'sgn'));
    env = cliEnv(url, { PATH: `${bin}${delimiter}${process.env.PATH}`, XDG_CACHE_HOME: join(dir, 'cache') });
    for (const shell of shells) {
      const res = await runSgn(['completion', shell], { env });
      assert.equal(res.code, 0, res.stderr);
      scripts[shell] = join(dir, `sgn.${shell}`);
      writeFileSync(scripts[shell], res.stdout);
    }
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The candidates the shell offers with the cursor at the end of `line`. */
  async function candidates(shell: Shell, line: string): Promise<string[]> {
    let res;
    if (shell === 'bash') {
      const words = bashWords(line);
      const program = [
        `source ${q(scripts.bash!)}`,
        `COMP_LINE=${q(line)}; COMP_POINT=\${#COMP_LINE}`,
        `COMP_WORDS=(${words.map(q).join(' ')}); COMP_CWORD=${words.length - 1}`,
        '_sgn_completion',
        'printf "%s\\n" "${COMPREPLY[@]}"',
      ].join('\n');
      res = await exec('bash', ['--norc', '--noprofile', '-c', program], env);
    } else if (shell === 'zsh') {
      const words = line.split(/\s+/);
      const program = [
        // compadd records what it is given (-a: the names of arrays of candidates).
        'compadd() { local -a arr; while (( $# )); do case $1 in -a) shift; arr+=($1);; -d|-S) shift;; esac; shift; done; for a in $arr; do print -rl -- "${(@P)a}"; done }',
        'compdef() { : }',
        `source ${q(scripts.zsh!)}`,
        `words=(${words.map(q).join(' ')}); CURRENT=${words.length}`,
        '_sgn',
      ].join('\n');
      res = await exec('zsh', ['-f', '-c', program], env);
    } else {
      res = await exec('fish', ['--no-config', '-c', `source ${q(scripts.fish!)}; complete -C${q(line)}`], env);
    }
    assert.equal(res.stderr, '', `${shell}: ${line}`);
    assert.equal(res.code, 0, `${shell}: ${line}`);
    return res.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[0])
      .sort();
  }

  for (const shell of shells) {
    describe(shell, () => {
      it('given `sgn `, then the commands; given a group, then its commands and aliases', async () => {
        // Every top-level command of the tree (new commands must not break this test), plus help.
        assert.deepEqual(await candidates(shell, 'sgn '), [...commandTree.map((c) => c.name), 'help'].sort());
        assert.deepEqual(await candidates(shell, 'sgn config '), ['get', 'list', 'ls', 'path', 'set']);
      });

      it('given a project position, then the projects in the deploy table (moto); then the environments', async () => {
        assert.deepEqual(await candidates(shell, 'sgn deploy '), ['api', 'web', 'worker']);
        assert.deepEqual(await candidates(shell, 'sgn deploy w'), ['web', 'worker']);
        assert.deepEqual(await candidates(shell, 'sgn deploy web '), ['production', 'qa', 'staging']);
        assert.deepEqual(await candidates(shell, 'sgn deploy web production '), []);
      });

      it('given a dash after a command, then its own flags and the global ones; global flags before a command are skipped', async () => {
        const flags = await candidates(shell, 'sgn deploy web production --');
        for (const f of ['--yes', '--dry-run', '--from', '--region', '--sandbox', '--debug']) assert.ok(flags.includes(f), `${f} in ${flags.join(' ')}`);
        assert.ok(!flags.includes('--wide'));
        assert.deepEqual(await candidates(shell, 'sgn --region us-east-1 ls '), ['deployed']);
        assert.deepEqual(await candidates(shell, 'sgn ls deployed --project '), ['api', 'web', 'worker']);
      });

      it('given cfg set, then the keys of that config file; given config set, then setting names', async () => {
        const keys = await candidates(shell, 'sgn cfg set web staging ');
        assert.deepEqual(keys, ['DATABASE_URL=', 'LOG_LEVEL=']);
        assert.deepEqual(await candidates(shell, 'sgn config set ta'), ['table']);
      });
    });
  }

  it('given bash and a word bash splits at "=", then the candidates replace only what follows it', async () => {
    assert.deepEqual(await candidates('bash', 'sgn ls deployed --project=w'), ['web', 'worker']);
    assert.deepEqual(await candidates('bash', 'sgn -c tab'), ['table=']);
  });
});
