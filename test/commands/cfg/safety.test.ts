import assert from 'node:assert/strict';
import { readFileSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { clientConfig, cliEnv, motoServer, resetMoto } from '../../helpers/aws.js';
import { runSgn } from '../../helpers/cli.js';
import { editorEnv, readObject, scratch, spawnSgn, versionsOf, waitForFile } from '../../helpers/cfg.js';
import { createConfigBucket, putConfigFile } from '../../../src/sandbox/fixtures-cfg.js';

const bucket = 'k8s-deployer-config';
const secret = 'hunter2-s3cr3t';

// Config values are secrets: edit, restore and the conflict report show keys and line numbers
// only (in CI logs too), and an edit that cannot be uploaded is kept, privately, to resume.
describe('sgn cfg safety: hidden values, kept edits, editor deaths (against moto)', () => {
  let url: string;
  let s3: S3Client;
  let n = 0;
  const project = () => `safe${++n}`;
  const keyOf = (p: string) => `${p}/staging/config`;
  const keptPath = (stderr: string) => /Your edit is kept in (\S+) \(readable only by you\)/.exec(stderr)?.[1];

  before(async function () {
    this.timeout(120_000);
    url = (await motoServer()).url;
    await resetMoto(url);
    s3 = new S3Client(clientConfig(url));
    await createConfigBucket(s3, bucket);
  });

  it('given cfg edit --yes, then the diff shows keys and line numbers but no value; --show-values reveals them', async () => {
    const p = project();
    await putConfigFile(s3, bucket, keyOf(p), `A=1\nDB_PASSWORD=old-${secret}\n`);
    const s = scratch();
    const res = await runSgn(['cfg', 'edit', p, 'staging', '--yes'], { env: cliEnv(url, editorEnv(s, [{ replace: [[`old-${secret}`, `new-${secret}`]] }])) });
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr + res.stdout, new RegExp(secret));
    assert.match(res.stderr, /^- 2 {2}DB_PASSWORD=•••$/m);
    assert.match(res.stderr, /^\+ 2 {2}DB_PASSWORD=•••$/m);
    assert.match(res.stderr, /Keys: DB_PASSWORD changed\./);
    assert.match(res.stderr, /values hidden; add --show-values to see them/);
    const shown = await runSgn(['cfg', 'edit', p, 'staging', '--yes', '--show-values'], { env: cliEnv(url, editorEnv(scratch(), [{ replace: [[`new-${secret}`, `newer-${secret}`]] }])) });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stderr, new RegExp(`^-DB_PASSWORD=new-${secret}$`, 'm'));
  });

  it('given cfg restore --yes, then the diff hides values too', async () => {
    const p = project();
    const v1 = await putConfigFile(s3, bucket, keyOf(p), `TOKEN=${secret}\n`);
    await putConfigFile(s3, bucket, keyOf(p), 'TOKEN=rotated\n');
    const res = await runSgn(['cfg', 'restore', p, 'staging', '--version-id', v1.versionId!, '--yes'], { env: cliEnv(url) });
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr + res.stdout, new RegExp(`${secret}|rotated`));
    assert.match(res.stderr, /^\+ 1 {2}TOKEN=•••$/m);
  });

  it('given a conflicting edit without a terminal, then the conflict report hides values, the edit is kept in a private file, and --from-file resumes it on top of theirs', async () => {
    const p = project();
    await putConfigFile(s3, bucket, keyOf(p), 'A=1\nB=2\n');
    const s = scratch();
    const env = cliEnv(url, editorEnv(s, [{ signal: s.file('opened'), waitFor: s.file('go'), replace: [['A=1', `A=${secret}`]] }, {}]));
    const run = spawnSgn(['cfg', 'edit', p, 'staging', '--yes'], env);
    await waitForFile(s.file('opened'));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keyOf(p), Body: 'A=from-b\nB=2\n' }));
    writeFileSync(s.file('go'), '');
    const res = await run.done;
    assert.equal(res.code, 5, res.stderr);
    assert.doesNotMatch(res.stderr, new RegExp(`${secret}|from-b`));
    const kept = keptPath(res.stderr);
    assert.ok(kept, res.stderr);
    assert.equal(readFileSync(kept, 'utf8'), `A=${secret}\nB=2\n`);
    assert.equal(statSync(kept).mode & 0o777, 0o600);
    assert.equal(statSync(dirname(kept)).mode & 0o777, 0o700);
    const hint = /`(sgn cfg edit [^`]+)`/.exec(res.stderr)?.[1];
    assert.equal(hint, `sgn cfg edit ${p} staging --from-file ${kept} --yes`);

    // The second editor step changes nothing: the kept text is what gets uploaded, on top of B's version.
    const resumed = await runSgn(hint!.split(' ').slice(1), { env });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal((await readObject(s3, bucket, keyOf(p))).bytes.toString(), `A=${secret}\nB=2\n`);
    assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 3, 'no version lost');
    assert.equal(existsSync(kept), false, 'a resumed edit that was uploaded is removed');
  });

  it('given an edit the deployer would refuse and no terminal, then nothing is uploaded and the edit is kept', async () => {
    const p = project();
    await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
    const res = await runSgn(['cfg', 'edit', p, 'staging', '--yes'], { env: cliEnv(url, editorEnv(scratch(), [{ content: 'A=1\nthis line has no separator\n' }])) });
    assert.equal(res.code, 1, res.stderr);
    const kept = keptPath(res.stderr);
    assert.ok(kept, res.stderr);
    assert.equal(readFileSync(kept, 'utf8'), 'A=1\nthis line has no separator\n');
    assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 1);
  });

  it('given --from-file naming a file that does not exist, then it is a usage error', async () => {
    const p = project();
    await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
    const res = await runSgn(['cfg', 'edit', p, 'staging', '--yes', '--from-file', '/nonexistent/edit.ini'], { env: cliEnv(url) });
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /--from-file \/nonexistent\/edit\.ini cannot be read: ENOENT/);
  });

  for (const [signal, code, message] of [
    ['TERM', 1, /^Error: The editor \(sh -c 'kill -TERM \$\$'\) was killed by SIGTERM; nothing was uploaded\.$/m],
    ['INT', 130, /^Error: Interrupted; the editor was stopped and nothing was uploaded\.$/m],
  ] as const) {
    it(`given an editor killed by SIG${signal}, then it is reported as such (exit ${code}) and nothing is uploaded`, async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
      const res = await runSgn(['cfg', 'edit', p, 'staging', '--yes'], { env: cliEnv(url, { EDITOR: `sh -c 'kill -${signal} $$'` }) });
      assert.equal(res.code, code, res.stderr);
      assert.match(res.stderr, message);
      assert.doesNotMatch(res.stderr, /Could not start the editor|bug in sgn/);
      assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 1);
    });
  }
});
