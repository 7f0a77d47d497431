import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSgn } from './helpers/cli.js';

const env = () => ({ PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'sgn-cli-')) });

describe('the sgn command line', () => {
  it('--version prints the package version on stdout', async () => {
    const res = await runSgn(['--version'], { env: env() });
    assert.equal(res.code, 0);
    assert.equal(res.stdout, JSON.parse(readFileSync('package.json', 'utf8')).version + '\n');
  });

  it('--help goes to stdout with exit 0 and lists the command groups', async () => {
    const res = await runSgn(['--help'], { env: env() });
    assert.equal(res.code, 0);
    assert.match(res.stdout, /Usage: sgn/);
    for (const c of ['ls', 'config', 'doctor', 'sandbox', 'completion']) assert.match(res.stdout, new RegExp(`^  ${c}\\b`, 'm'));
  });

  it('every command has help with examples', async () => {
    for (const args of [['ls', 'deployed'], ['config', 'set'], ['doctor'], ['sandbox', 'start'], ['completion']]) {
      const res = await runSgn([...args, '--help'], { env: env() });
      assert.equal(res.code, 0, args.join(' '));
      assert.match(res.stdout, /Examples:\n {2}\$ .*sgn /, args.join(" "));
    }
  });

  it('an unknown command is a usage error (exit 2) with a suggestion, on stderr', async () => {
    const res = await runSgn(['ls', 'deployd'], { env: env() });
    assert.equal(res.code, 2);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /unknown command 'deployd'/);
    assert.match(res.stderr, /Did you mean deployed\?/);
  });

  it('a bad -c setting is a usage error naming the known settings', async () => {
    const res = await runSgn(['-c', 'nope=1', 'ls', 'deployed'], { env: env() });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /Unknown setting "nope" in -c\./);
  });

  it('completion scripts ask the installed sgn on TAB (test/commands/completion.test.ts drives them); an unknown shell is a usage error', async () => {
    const res = await runSgn(['completion', 'bash'], { env: env() });
    assert.equal(res.code, 0);
    assert.match(res.stdout, /__complete bash -- /);
    assert.match(res.stdout, /\ncomplete -F _sgn_completion sgn\n$/);
    const tcsh = await runSgn(['completion', 'tcsh'], { env: env() });
    assert.equal(tcsh.code, 2);
    assert.match(tcsh.stderr, /Allowed choices are bash, zsh, fish/);
  });
});
