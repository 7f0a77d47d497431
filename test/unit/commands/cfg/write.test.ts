import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../../src/cli.js';
import type { AwsApis } from '../../../../src/aws/apis.js';
import type { S3Api, S3Object } from '../../../../src/aws/s3.js';
import type { ProcessRunner } from '../../../../src/process.js';
import { strictFake } from '../../helpers/fakes.js';
import { cleanEnv, testStreams } from '../../helpers/io.js';

// sgn cfg edit / set / unset / restore through main() with an in-memory versioned bucket (with
// S3's conditional writes) and a fake editor: parsing through commander, the services, the
// renderer for people and the --json documents.

const bucketName = 'k8s-deployer-config';

/** A versioned bucket in memory: GetObject (any version), conditional PutObject, listings. */
function versionedBucket(files: Record<string, string>) {
  let counter = 0;
  const versions = new Map<string, { id: string; body: Buffer }[]>();
  const put = (key: string, body: Buffer) => {
    const id = `v${++counter}`;
    versions.set(key, [...(versions.get(key) ?? []), { id, body }]);
    return id;
  };
  for (const [k, v] of Object.entries(files)) put(k, Buffer.from(v));
  const current = (key: string) => versions.get(key)?.at(-1);
  const s3 = strictFake<S3Api>('s3', {
    getObject: async (input): Promise<S3Object> => {
      const v = input.VersionId ? versions.get(input.Key!)?.find((x) => x.id === input.VersionId) : current(input.Key!);
      if (!v) throw Object.assign(new Error('NoSuchKey'), { name: input.VersionId ? 'NoSuchVersion' : 'NoSuchKey' });
      return { Body: new Uint8Array(v.body), ETag: `"${v.id}"`, VersionId: v.id, ContentType: 'text/plain', LastModified: new Date('2026-11-30T11:00:00Z'), $metadata: {} };
    },
    getObjectTagging: async () => ({ TagSet: [], $metadata: {} }),
    putObject: async (input) => {
      const now = current(input.Key!);
      const refused = input.IfMatch ? !now || `"${now.id}"` !== input.IfMatch : input.IfNoneMatch === '*' && Boolean(now);
      if (refused) throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
      const id = put(input.Key!, Buffer.from(input.Body as Uint8Array));
      return { ETag: `"${id}"`, VersionId: id, $metadata: {} };
    },
    listObjectsV2: async (input) => ({ Contents: [...versions.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).map((Key) => ({ Key, Size: 1 })), $metadata: {} }),
  });
  return { api: strictFake<AwsApis>('api', { s3: async () => s3 }), text: (key: string) => current(key)?.body.toString(), versions: (key: string) => versions.get(key)?.length ?? 0 };
}

/** A fake editor: replaces the file it is given with what `edit` makes of its text. */
function fakeEditor(edit: (text: string) => string): ProcessRunner & { runs: number } {
  const runner = {
    runs: 0,
    interactive: async (_file: string, args: string[]) => {
      runner.runs++;
      const file = args[args.length - 1];
      writeFileSync(file, edit(readFileSync(file, 'utf8')));
      return { exitCode: 0, canceled: false, notStarted: false };
    },
  };
  return strictFake<ProcessRunner & { runs: number }>('processes', runner);
}

async function run(argv: string[], api: AwsApis, extra: { processes?: ProcessRunner; env?: NodeJS.ProcessEnv } = {}) {
  const io = testStreams();
  const code = await main(argv, { streams: io, env: cleanEnv({ EDITOR: 'fake-editor', ...extra.env }), cwd: '/', now: () => new Date('2026-11-30T12:00:00Z'), signal: new AbortController().signal, api, processes: extra.processes });
  return { code, stdout: io.out(), stderr: io.err() };
}

const key = 'web/staging/config';
const url = `s3://${bucketName}/${key}`;

describe('unit: sgn cfg set / unset through main()', () => {
  it('given a new key, then it is added in a conditional write and one line says so on stderr, no value anywhere', async () => {
    const b = versionedBucket({ [key]: 'A=secret-a\n' });
    const res = await run(['cfg', 'set', 'web', 'staging', 'B=secret-b'], b.api);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, '');
    assert.equal(res.stderr, `✓ Updated ${url}: B added (version v2).\n`);
    assert.equal(b.text(key), 'A=secret-a\nB=secret-b\n');
  });

  it('given --json, then the document says what was written (key, status, version, keys) and holds no value', async () => {
    const b = versionedBucket({ [key]: 'A=secret-a\n' });
    const res = await run(['cfg', 'set', 'web', 'staging', 'A=secret-new', '--json'], b.api);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), { project: 'web', env: 'staging', bucket: bucketName, key, status: 'updated', versionId: 'v2', changes: { added: [], removed: [], changed: ['A'] } });
    assert.doesNotMatch(res.stdout + res.stderr, /secret/);
  });

  it('given the same value, then "No change" and no upload', async () => {
    const b = versionedBucket({ [key]: 'A=1\n' });
    const res = await run(['cfg', 'set', 'web', 'staging', 'A=1'], b.api);
    assert.equal(res.code, 0);
    assert.equal(res.stderr, `No change: ${url} already has those values; nothing was uploaded.\n`);
    assert.equal(b.versions(key), 1);
  });

  it('given unset of a file that does not exist, then it says so, exit 0; --json status absent', async () => {
    const b = versionedBucket({});
    const res = await run(['cfg', 'unset', 'web', 'staging', 'OLD'], b.api);
    assert.equal(res.code, 0);
    assert.equal(res.stderr, `There is no config file for web in staging (${url}); nothing to unset.\n`);
    const json = await run(['cfg', 'unset', 'web', 'staging', 'OLD', '--json'], b.api);
    assert.equal(JSON.parse(json.stdout).status, 'absent');
  });

  it('given unset of keys the file lacks, then "lacks those keys"', async () => {
    const b = versionedBucket({ [key]: 'A=1\n' });
    const res = await run(['cfg', 'unset', 'web', 'staging', 'B'], b.api);
    assert.equal(res.stderr, `No change: ${url} already lacks those keys; nothing was uploaded.\n`);
  });

  it('given no KEY=VALUE, then commander\'s usage error (exit 2), and one JSON error document under --json', async () => {
    const api = strictFake<AwsApis>('api', {});
    assert.equal((await run(['cfg', 'set', 'web', 'staging'], api)).code, 2);
    const bad = await run(['cfg', 'set', 'web', 'staging', 'NOEQUALS', '--json'], api);
    assert.equal(bad.code, 2);
    assert.equal(JSON.parse(bad.stdout).error.code, 'usage');
  });

  it('given a file the deployer refuses, then its line is named on stderr and nothing is written (exit 1)', async () => {
    const b = versionedBucket({ [key]: 'A=1\na=2\n' });
    const res = await run(['cfg', 'set', 'web', 'staging', 'B=2'], b.api);
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`^${url.replace(/[/.]/g, '\\$&')} has problems:\n  ✗ line 2: key "a" is already set on line 1`));
    assert.equal(b.versions(key), 1);
  });
});

describe('unit: sgn cfg restore through main()', () => {
  it('given no terminal and no --yes, then a usage error before any S3 call; under --json one error document', async () => {
    const api = strictFake<AwsApis>('api', { s3: async () => strictFake<S3Api>('s3', {}) });
    const res = await run(['cfg', 'restore', 'web', 'staging', '--version-id', 'v1', '--json'], api);
    assert.equal(res.code, 2);
    assert.equal(JSON.parse(res.stdout).error.message, 'sgn cfg restore asks before it writes, and there is no terminal to ask on.');
  });

  it('given --yes, then the diff hides values, and the old bytes become the newest version', async () => {
    const b = versionedBucket({ [key]: 'A=old-secret\n' });
    await run(['cfg', 'set', 'web', 'staging', 'A=new-secret'], b.api);
    const res = await run(['cfg', 'restore', 'web', 'staging', '--version-id', 'v1', '--yes'], b.api);
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /secret/);
    assert.match(res.stderr, /^--- web\/staging\/config \(current, version v2\)\n\+\+\+ web\/staging\/config \(version v1, 1h ago\)\n@@ -1,1 \+1,1 @@\n- 1 {2}A=•••\n\+ 1 {2}A=•••\n/);
    assert.match(res.stderr, /Keys: A changed\.\n✓ Restored version v1 of s3:\/\/k8s-deployer-config\/web\/staging\/config as version v3\.\n$/);
    assert.equal(b.text(key), 'A=old-secret\n');
  });

  it('given --json and the version that is current, then status unchanged with the version named', async () => {
    const b = versionedBucket({ [key]: 'A=1\n' });
    const res = await run(['cfg', 'restore', 'web', 'staging', '--version-id', 'v1', '--yes', '--json'], b.api);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), { project: 'web', env: 'staging', bucket: bucketName, key, status: 'unchanged', versionId: null, changes: { added: [], removed: [], changed: [] }, restoredVersionId: 'v1' });
  });
});

describe('unit: sgn cfg edit through main() (fake editor)', () => {
  const dirs = () => {
    const root = mkdtempSync(join(tmpdir(), 'sgn-unit-edit-'));
    mkdirSync(join(root, 'tmp'));
    return { TMPDIR: join(root, 'tmp'), XDG_STATE_HOME: join(root, 'state') };
  };

  it('given no terminal and no --yes, then a usage error before the editor opens', async () => {
    const res = await run(['cfg', 'edit', 'web', 'staging'], versionedBucket({ [key]: 'A=1\n' }).api, { processes: strictFake<ProcessRunner>('processes', {}) });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /sgn cfg edit asks before it uploads, and there is no terminal to ask on\.\nHint: Pass --yes/);
  });

  it('given --yes and an edit, then the editor is named, the diff masks values, and the upload is one line', async () => {
    const env = dirs();
    const b = versionedBucket({ [key]: 'A=1\nB=secret\n' });
    const editor = fakeEditor((t) => t.replace('A=1', 'A=2'));
    const res = await run(['cfg', 'edit', 'web', 'staging', '--yes'], b.api, { processes: editor, env });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(
      res.stderr,
      [
        `Editing ${url} (version v1) with fake-editor...`,
        '',
        '--- web/staging/config (version v1, 1h ago)',
        '+++ your edit',
        '@@ -1,2 +1,2 @@',
        '- 1  A=•••',
        '+ 1  A=•••',
        '  2  B=•••',
        '  (values hidden; add --show-values to see them)',
        'Keys: A changed.',
        `✓ Uploaded ${url} (version v2).`,
        '',
      ].join('\n'),
    );
    assert.equal(b.text(key), 'A=2\nB=secret\n');
    assert.deepEqual(readdirSync(env.TMPDIR), [], 'the private workspace is gone');
  });

  it('given --json, then the document names the version written and the keys changed', async () => {
    const env = dirs();
    const b = versionedBucket({ [key]: 'A=1\n' });
    const res = await run(['cfg', 'edit', 'web', 'staging', '--yes', '--json'], b.api, { processes: fakeEditor((t) => t + 'NEW=x\n'), env });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), { project: 'web', env: 'staging', bucket: bucketName, key, status: 'updated', versionId: 'v2', changes: { added: ['NEW'], removed: [], changed: [] } });
  });

  it('given the editor changes nothing, then "No changes" and no upload', async () => {
    const env = dirs();
    const b = versionedBucket({ [key]: 'A=1\n' });
    const res = await run(['cfg', 'edit', 'web', 'staging', '--yes'], b.api, { processes: fakeEditor((t) => t), env });
    assert.equal(res.code, 0);
    assert.match(res.stderr, /\nNo changes; nothing was uploaded\.\n$/);
    assert.equal(b.versions(key), 1);
  });

  it('given an edit the deployer refuses and no terminal, then exit 1 naming the line, nothing uploaded, the edit kept in a private file', async () => {
    const env = dirs();
    const b = versionedBucket({ [key]: 'A=1\n' });
    const res = await run(['cfg', 'edit', 'web', 'staging', '--yes'], b.api, { processes: fakeEditor((t) => t + 'a=2\n'), env });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /sgn will not upload this file:\n {2}✗ line 2: key "a" is already set on line 1/);
    const kept = /Your edit is kept in (\S+) \(readable only by you\)\. Resume it with `sgn cfg edit web staging --from-file \1 --yes`\./.exec(res.stderr);
    assert.ok(kept, res.stderr);
    assert.equal(readFileSync(kept[1], 'utf8'), 'A=1\na=2\n');
    assert.equal(statSync(kept[1]).mode & 0o777, 0o600);
    assert.equal(b.versions(key), 1);
    assert.deepEqual(readdirSync(env.TMPDIR), []);
  });
});
