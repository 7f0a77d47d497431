import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { clientConfig, cliEnv, motoServer, resetMoto, testRegion } from '../../helpers/aws.js';
import { runSgn } from '../../helpers/cli.js';
import { plain, runSgnInPty } from '../../helpers/pty.js';
import { editorEnv, leftIn, readObject, scratch, spawnSgn, versionsOf, waitForFile } from '../../helpers/cfg.js';
import { createConfigBucket, createMotoKmsKey, putConfigFile } from '../../../src/sandbox/fixtures-cfg.js';

const bucket = 'k8s-deployer-config';

describe('sgn cfg edit (against moto, EDITOR scripts, a real terminal)', () => {
  let url: string;
  let s3: S3Client;
  let n = 0;
  /** A fresh project per test, so that tests never share a file. */
  const project = () => `app${++n}`;
  const keyOf = (p: string, env = 'staging') => `${p}/${env}/config`;

  before(async function () {
    this.timeout(120_000);
    url = (await motoServer()).url;
    await resetMoto(url);
    s3 = new S3Client(clientConfig(url));
    await createConfigBucket(s3, bucket);
  });

  it('given a CRLF file without final newline and an editor that makes it LF with a final newline, then only the edited line changes in S3', async () => {
    const p = project();
    const original = 'A=1\r\nDB_PORT=5432\r\n# comment\r\nZ=last';
    await putConfigFile(s3, bucket, keyOf(p), original);
    const s = scratch();
    const res = await runSgn(['cfg', 'edit', p, 'staging', '--show-values', '--yes'], {
      env: cliEnv(url, editorEnv(s, [{ toLf: true, addFinalNewline: true, replace: [['DB_PORT=5432', 'DB_PORT=5433']] }])),
    });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /-DB_PORT=5432\n\+DB_PORT=5433/);
    assert.match(res.stderr, /Keys: DB_PORT changed\./);
    assert.match(res.stderr, /✓ Uploaded s3:\/\/k8s-deployer-config\/app\d+\/staging\/config \(version /);
    const now = await readObject(s3, bucket, keyOf(p));
    assert.equal(now.bytes.toString('utf8'), 'A=1\r\nDB_PORT=5433\r\n# comment\r\nZ=last');
    assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 2);
    assert.deepEqual(leftIn(s.tmp), []);
  });

  it('given an edit that adds lines at the end of a file without final newline, then new lines get CRLF and the file still has no final newline', async () => {
    const p = project();
    await putConfigFile(s3, bucket, keyOf(p), 'A=1\r\nB=2');
    const s = scratch();
    const res = await runSgn(['cfg', 'edit', p, 'staging', '--yes'], { env: cliEnv(url, editorEnv(s, [{ toLf: true, replace: [['B=2', 'B=2\nC=3\nD=4\n']] }])) });
    assert.equal(res.code, 0, res.stderr);
    assert.equal((await readObject(s3, bucket, keyOf(p))).bytes.toString(), 'A=1\r\nB=2\r\nC=3\r\nD=4');
  });

  it('given a duplicate key (other case) in the edit, then the line number is named, nothing is uploaded and the temp folder is gone', async () => {
    const p = project();
    await putConfigFile(s3, bucket, keyOf(p), 'DB_HOST=a\nDB_PORT=1\n');
    const s = scratch();
    const res = await runSgn(['cfg', 'edit', p, 'staging', '--yes'], { env: cliEnv(url, editorEnv(s, [{ replace: [['DB_PORT=1\n', 'DB_PORT=1\n\ndb_host=b\n']] }])) });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /line 4: key "db_host" is already set on line 1 \(keys ignore case\); the deployer refuses duplicate keys/);
    assert.match(res.stderr, /nothing was uploaded/);
    assert.doesNotMatch(res.stderr, /Uploaded/);
    const versions = await versionsOf(s3, bucket, keyOf(p));
    assert.equal(versions.length, 1);
    assert.equal(versions[0].bytes!.toString(), 'DB_HOST=a\nDB_PORT=1\n');
    assert.deepEqual(leftIn(s.tmp), []);
  });

  it('given the editor saves without changes, then "No changes" and no upload', async () => {
    const p = project();
    await putConfigFile(s3, bucket, keyOf(p), 'A=1\r\n');
    const s = scratch();
    // vim-like: LF and a final newline, but no content change.
    const res = await runSgn(['cfg', 'edit', p, 'staging', '--yes'], { env: cliEnv(url, editorEnv(s, [{ toLf: true }])) });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /No changes; nothing was uploaded\./);
    assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 1);
    assert.deepEqual(leftIn(s.tmp), []);
  });

  it('given the editor exits non-zero, then nothing is uploaded and the temp folder is gone', async () => {
    const p = project();
    await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
    const s = scratch();
    const res = await runSgn(['cfg', 'edit', p, 'staging', '--yes'], { env: cliEnv(url, editorEnv(s, [{ content: 'A=2\n', exit: 3 }])) });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /exited with code 3; nothing was uploaded/);
    assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 1);
    assert.deepEqual(leftIn(s.tmp), []);
  });

  it('given no terminal and no --yes, then a usage error before the editor opens', async () => {
    const p = project();
    await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
    const s = scratch();
    const res = await runSgn(['cfg', 'edit', p, 'staging'], { env: cliEnv(url, editorEnv(s, [{ signal: s.file('opened'), content: 'A=2\n' }])) });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /no terminal to ask on/);
    assert.match(res.stderr, /--yes/);
    assert.ok(!existsSync(s.file('opened')), 'the editor must not open');
    assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 1);
  });

  it('given an edit, then the editor sees a 0600 file in a private 0700 folder under TMPDIR, removed afterwards, even when the editor replaces the file', async () => {
    const p = project();
    await putConfigFile(s3, bucket, keyOf(p), 'SECRET=s3cr3t\n');
    const s = scratch();
    const res = await runSgn(['cfg', 'edit', p, 'staging', '--yes'], { env: cliEnv(url, editorEnv(s, [{ record: s.file('seen.json'), content: 'SECRET=n3w\n', viaRename: true }])) });
    assert.equal(res.code, 0, res.stderr);
    const seen = JSON.parse(readFileSync(s.file('seen.json'), 'utf8'));
    assert.equal(seen.fileMode, '600');
    assert.equal(seen.dirMode, '700');
    assert.ok(seen.file.startsWith(s.tmp + '/sgn-cfg-'), seen.file);
    assert.equal(seen.content, 'SECRET=s3cr3t\n');
    assert.ok(!existsSync(seen.file));
    assert.deepEqual(leftIn(s.tmp), []);
    assert.equal((await readObject(s3, bucket, keyOf(p))).bytes.toString(), 'SECRET=n3w\n');
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`given ${sig} while the editor is open, then the editor is stopped, the temp folder is gone, nothing is uploaded, exit 130`, async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
      const s = scratch();
      const run = spawnSgn(['cfg', 'edit', p, 'staging', '--yes'], cliEnv(url, editorEnv(s, [{ record: s.file('seen.json'), signal: s.file('opened'), hang: true }])));
      await waitForFile(s.file('opened'));
      const seen = JSON.parse(readFileSync(s.file('seen.json'), 'utf8'));
      assert.ok(existsSync(seen.file), 'the temp file exists while the editor is open');
      run.child.kill(sig);
      const res = await run.done;
      assert.equal(res.code, 130, res.stderr);
      assert.match(res.stderr, /Interrupted; the editor was stopped and nothing was uploaded/);
      assert.deepEqual(leftIn(s.tmp), []);
      assert.throws(() => process.kill(seen.pid, 0), /ESRCH/, 'the editor must not outlive sgn');
      assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 1);
    });
  }

  it('given Ctrl-C typed in the terminal while the editor is open, then both stop, the temp folder is gone, nothing is uploaded', async () => {
    const p = project();
    await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
    const s = scratch();
    const res = await runSgnInPty(['cfg', 'edit', p, 'staging'], {
      env: cliEnv(url, editorEnv(s, [{ record: s.file('seen.json'), signal: s.file('opened'), hang: true }])),
      steps: [{ waitFor: /Editing s3:\/\//, then: () => waitForFile(s.file('opened')) }, { waitFor: /Editing s3:\/\//, send: '\x03' }],
    });
    assert.equal(res.code, 130, plain(res.output));
    assert.match(plain(res.output), /Interrupted; the editor was stopped and nothing was uploaded/);
    assert.deepEqual(leftIn(s.tmp), []);
    assert.throws(() => process.kill(JSON.parse(readFileSync(s.file('seen.json'), 'utf8')).pid, 0), /ESRCH/);
    assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 1);
  });

  it('given an SSE-KMS object with metadata and tags, then the new version keeps the key, content type, metadata and tags', async () => {
    const p = project();
    const kmsKey = await createMotoKmsKey(url, testRegion);
    await putConfigFile(s3, bucket, keyOf(p), 'A=1\n', { kmsKeyId: kmsKey, contentType: 'text/x-ini', metadata: { owner: 'team-a' }, tags: { team: 'a', 'data-class': 'secret' } });
    const s = scratch();
    const res = await runSgn(['cfg', 'edit', p, 'staging', '--yes'], { env: cliEnv(url, editorEnv(s, [{ content: 'A=2\n' }])) });
    assert.equal(res.code, 0, res.stderr);
    const now = await readObject(s3, bucket, keyOf(p));
    assert.equal(now.bytes.toString(), 'A=2\n');
    assert.equal(now.sse, 'aws:kms');
    assert.equal(now.kmsKeyId, kmsKey);
    assert.equal(now.contentType, 'text/x-ini');
    assert.deepEqual(now.metadata, { owner: 'team-a' });
    assert.deepEqual(now.tags, { team: 'a', 'data-class': 'secret' });
  });

  it('given a file that does not exist yet, then saving creates it (If-None-Match) as UTF-8 text', async () => {
    const p = project();
    const s = scratch();
    const res = await runSgn(['cfg', 'edit', p, 'staging', '--yes'], { env: cliEnv(url, editorEnv(s, [{ replace: [['upper-cased, quotes around values are removed, an indented line continues the value above.\n', 'upper-cased, quotes around values are removed, an indented line continues the value above.\nNEW=1\n']] }])) });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /does not exist yet; saving creates it/);
    assert.match(res.stderr, /✓ Created s3:\/\//);
    const now = await readObject(s3, bucket, keyOf(p));
    assert.match(now.bytes.toString(), /^# Config of app\d+ in staging[\s\S]*\nNEW=1\n$/);
    assert.equal(now.contentType, 'text/plain; charset=utf-8');
  });

  it('given a new file left as the template, then nothing is created', async () => {
    const p = project();
    const s = scratch();
    const res = await runSgn(['cfg', 'edit', p, 'staging', '--yes'], { env: cliEnv(url, editorEnv(s, [{}])) });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /No changes; the file was not created\./);
    assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 0);
  });

  it('given an environment that is not configured and has no file, then a usage error (no stray file)', async () => {
    const p = project();
    const s = scratch();
    const res = await runSgn(['cfg', 'edit', p, 'stagign', '--yes'], { env: cliEnv(url, editorEnv(s, [{ content: 'A=1\n' }])) });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /"stagign" is not one of the configured environments \(staging, production\)/);
  });

  for (const [what, bytes, reason] of [
    ['non-UTF-8', Buffer.from('A=caf\xe9\n', 'latin1'), /not valid UTF-8 \(first bad byte on line 1\)/],
    // sgn's own read limit (the deployer has none): a file this big is mostly comments.
    ['over 16 MiB', Buffer.alloc(16 * 1024 * 1024 + 1, 0x23), /is over 16,777,216 bytes \(16 MiB\), the most sgn reads as a config file/],
  ] as [string, Buffer, RegExp][]) {
    it(`given a stored ${what} file, then edit refuses before the editor, nothing changed`, async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), bytes);
      const s = scratch();
      const res = await runSgn(['cfg', 'edit', p, 'staging', '--yes'], { env: cliEnv(url, editorEnv(s, [{ signal: s.file('opened'), content: 'A=1\n' }])) });
      assert.equal(res.code, 1);
      assert.match(res.stderr, reason);
      assert.ok(!existsSync(s.file('opened')));
      assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 1);
    });
  }

  it('given the editor writes non-UTF-8 bytes, then nothing is uploaded', async () => {
    const p = project();
    await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
    const s = scratch();
    const res = await runSgn(['cfg', 'edit', p, 'staging', '--yes'], { env: cliEnv(url, editorEnv(s, [{ bytes: Buffer.from('A=caf\xe9\n', 'latin1').toString('base64') }])) });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /not valid UTF-8/);
    assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 1);
    assert.deepEqual(leftIn(s.tmp), []);
  });

  describe('concurrent edits', () => {
    it('given A fetches, B uploads, A saves a change to other lines, then A gets the conflict flow, B\'s change survives and no version is lost', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\nB=2\nC=3\nD=4\n');
      const s = scratch();
      const run = spawnSgn(['cfg', 'edit', p, 'staging', '--show-values', '--yes'], cliEnv(url, editorEnv(s, [{ signal: s.file('opened'), waitFor: s.file('go'), replace: [['D=4', 'D=40']] }])));
      await waitForFile(s.file('opened'));
      // B writes while A's editor is open (through the SDK, as any other tool would).
      const b = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keyOf(p), Body: 'A=10\nB=2\nC=3\nD=4\n' }));
      const { writeFileSync } = await import('node:fs');
      writeFileSync(s.file('go'), '');
      const res = await run.done;
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /was changed by someone else while you were editing/);
      assert.match(res.stderr, /-A=1\n\+A=10/, 'shows what B changed');
      assert.match(res.stderr, /Your change applies cleanly on top of theirs/);
      const versions = await versionsOf(s3, bucket, keyOf(p));
      assert.deepEqual(
        versions.map((v) => v.bytes!.toString()),
        ['A=10\nB=2\nC=3\nD=40\n', 'A=10\nB=2\nC=3\nD=4\n', 'A=1\nB=2\nC=3\nD=4\n'],
      );
      assert.equal(versions[1].versionId, b.VersionId, 'B\'s version is kept in the history');
      assert.deepEqual(leftIn(s.tmp), []);
    });

    it('given A and B change the same line and no terminal, then A stops with a conflict (exit 5) and B\'s version stays current', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\nB=2\n');
      const s = scratch();
      const run = spawnSgn(['cfg', 'edit', p, 'staging', '--show-values', '--yes'], cliEnv(url, editorEnv(s, [{ signal: s.file('opened'), waitFor: s.file('go'), replace: [['A=1', 'A=from-a']] }])));
      await waitForFile(s.file('opened'));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keyOf(p), Body: 'A=from-b\nB=2\n' }));
      const { writeFileSync } = await import('node:fs');
      writeFileSync(s.file('go'), '');
      const res = await run.done;
      assert.equal(res.code, 5, res.stderr);
      assert.match(res.stderr, /-A=1\n\+A=from-b/);
      assert.match(res.stderr, /your change overlaps theirs; nothing was uploaded \(their version stays\)/);
      const versions = await versionsOf(s3, bucket, keyOf(p));
      assert.deepEqual(
        versions.map((v) => v.bytes!.toString()),
        ['A=from-b\nB=2\n', 'A=1\nB=2\n'],
      );
      assert.deepEqual(leftIn(s.tmp), []);
    });

    it('given A and B change the same line on a terminal, then the editor reopens with both marked, and A\'s resolution is uploaded on top of B\'s version', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\nB=2\n');
      const s = scratch();
      const env = cliEnv(url, editorEnv(s, [{ signal: s.file('opened'), waitFor: s.file('go'), replace: [['A=1', 'A=from-a']] }, { record: s.file('second.json'), content: 'A=both\nB=2\n' }]));
      const { writeFileSync } = await import('node:fs');
      const res = await runSgnInPty(['cfg', 'edit', p, 'staging'], {
        env,
        steps: [
          { waitFor: /Editing s3:\/\//, then: () => waitForFile(s.file('opened')) },
          {
            waitFor: /Editing s3:\/\//,
            then: async () => {
              await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keyOf(p), Body: 'A=from-b\nB=2\n' }));
              writeFileSync(s.file('go'), '');
            },
          },
          { waitFor: /Upload to s3:\/\/.*\?/, send: 'y\r' },
          { waitFor: /touch the same lines/ },
          { waitFor: /your edit on top of theirs[\s\S]*Upload to s3:\/\/.*\?/, send: 'y\r' },
        ],
      });
      assert.equal(res.code, 0, plain(res.output));
      const second = JSON.parse(readFileSync(s.file('second.json'), 'utf8'));
      assert.equal(second.content, '<<<<<<< your edit\nA=from-a\n=======\nA=from-b\n>>>>>>> their version ' + (await versionsOf(s3, bucket, keyOf(p)))[1].versionId + '\nB=2\n');
      const versions = await versionsOf(s3, bucket, keyOf(p));
      assert.deepEqual(
        versions.map((v) => v.bytes!.toString()),
        ['A=both\nB=2\n', 'A=from-b\nB=2\n', 'A=1\nB=2\n'],
      );
      assert.deepEqual(leftIn(s.tmp), []);
    });
  });

  describe('on a terminal', () => {
    it('given a valid edit, then a coloured diff and a confirmation; "y" uploads', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
      const s = scratch();
      const res = await runSgnInPty(['cfg', 'edit', p, 'staging', '--show-values'], { env: cliEnv(url, editorEnv(s, [{ content: 'A=2\n' }])), steps: [{ waitFor: /Upload to s3:\/\/k8s-deployer-config\/app\d+\/staging\/config\?/, send: 'y\r' }] });
      assert.equal(res.code, 0, plain(res.output));
      assert.ok(res.output.includes('\u001b[31m-A=1\u001b[39m'), 'deleted line in red');
      assert.ok(res.output.includes('\u001b[32m+A=2\u001b[39m'), 'added line in green');
      assert.equal((await readObject(s3, bucket, keyOf(p))).bytes.toString(), 'A=2\n');
      assert.deepEqual(leftIn(s.tmp), []);
    });

    it('given "n" at the confirmation, then nothing is uploaded (exit 3) and the temp folder is gone', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
      const s = scratch();
      const res = await runSgnInPty(['cfg', 'edit', p, 'staging'], { env: cliEnv(url, editorEnv(s, [{ content: 'A=2\n' }])), steps: [{ waitFor: /Upload to s3:\/\/.*\?/, send: 'n\r' }] });
      assert.equal(res.code, 3, plain(res.output));
      assert.match(plain(res.output), /Cancelled; nothing was uploaded\./);
      assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 1);
      assert.deepEqual(leftIn(s.tmp), []);
    });

    it('given an invalid edit, then the errors with line numbers and an offer to reopen; the fix is uploaded', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
      const s = scratch();
      const res = await runSgnInPty(['cfg', 'edit', p, 'staging'], {
        env: cliEnv(url, editorEnv(s, [{ content: 'A=2\noops\n' }, { record: s.file('second.json'), replace: [['oops', 'B=3']] }])),
        steps: [
          { waitFor: /line 2: not KEY=VALUE[\s\S]*Open the editor again to fix it\?/, send: 'y\r' },
          { waitFor: /Upload to s3:\/\/.*\?/, send: 'y\r' },
        ],
      });
      assert.equal(res.code, 0, plain(res.output));
      assert.equal(JSON.parse(readFileSync(s.file('second.json'), 'utf8')).content, 'A=2\noops\n', 'the editor reopens with the user\'s edit');
      assert.equal((await readObject(s3, bucket, keyOf(p))).bytes.toString(), 'A=2\nB=3\n');
      assert.deepEqual(leftIn(s.tmp), []);
    });

    it('given an invalid edit and "n" at the reopen offer, then nothing is uploaded and the temp folder is gone', async () => {
      const p = project();
      await putConfigFile(s3, bucket, keyOf(p), 'A=1\n');
      const s = scratch();
      const res = await runSgnInPty(['cfg', 'edit', p, 'staging'], {
        env: cliEnv(url, editorEnv(s, [{ content: 'A=1\nA=2\n' }])),
        steps: [{ waitFor: /Open the editor again to fix it\?/, send: 'n\r' }],
      });
      assert.equal(res.code, 3, plain(res.output));
      assert.match(plain(res.output), /Your edit was discarded; nothing was uploaded\./);
      assert.equal((await versionsOf(s3, bucket, keyOf(p))).length, 1);
      assert.deepEqual(leftIn(s.tmp), []);
    });
  });
});
