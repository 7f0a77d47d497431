import assert from 'node:assert/strict';
import type { S3Api, S3Object } from '../../../../src/aws/s3.js';
import { cfgRestore, cfgSetKeys, type CfgWriteDeps } from '../../../../src/services/cfg/write.js';
import { cfgLs } from '../../../../src/services/cfg/read.js';
import { ConflictError } from '../../../../src/errors.js';
import { silentReporter, type IoEvent } from '../../../../src/io.js';
import { strictFake } from '../../helpers/fakes.js';

// Faults moto cannot produce on demand: S3's 409 ConditionalRequestConflict (another
// conditional write in flight), and a file that changes between every read and write.

type PutInput = Parameters<S3Api['putObject']>[0];

/** An in-memory object with scripted PutObject answers; any other call fails the test. */
function fakeS3(initial: string, putAnswers: ('ok' | 412 | 409)[]) {
  let body = Buffer.from(initial);
  let version = 1;
  const puts: PutInput[] = [];
  const unexpected = (name: string) => () => {
    throw new Error(`unexpected S3 call: ${name}`);
  };
  const api: S3Api = strictFake<S3Api>('S3Api', {
    getObject: async (input) => {
      const versionId = input.VersionId ?? `v${version}`;
      return { Body: new Uint8Array(input.VersionId === 'v1' ? Buffer.from('OLD=1\n') : body), ETag: `"${versionId}"`, VersionId: versionId, ContentType: 'text/plain', $metadata: {} } as S3Object;
    },
    getObjectTagging: async () => ({ TagSet: [], $metadata: {} }),
    headObject: unexpected('HeadObject'),
    putObject: async (input) => {
      puts.push(input);
      const answer = putAnswers.shift();
      if (answer === undefined) throw new Error('unexpected PutObject');
      if (answer !== 'ok') {
        // Someone else wrote meanwhile: the object moves on to a new version.
        body = Buffer.concat([body, Buffer.from(`OTHER${version}=x\n`)]);
        version++;
        throw Object.assign(new Error('conflict'), { name: answer === 412 ? 'PreconditionFailed' : 'ConditionalRequestConflict', $metadata: { httpStatusCode: answer } });
      }
      body = Buffer.from(input.Body as Uint8Array);
      version++;
      return { ETag: `"v${version}"`, VersionId: `v${version}`, $metadata: {} };
    },
    listObjectsV2: unexpected('ListObjectsV2'),
    listObjectVersions: unexpected('ListObjectVersions'),
    getBucketVersioning: unexpected('GetBucketVersioning'),
  });
  return { api, puts, body: () => body.toString() };
}

const settings = { configBucket: 'k8s-deployer-config', configKey: '{project}/{env}/config', environments: ['staging', 'production'] };

/** The write services' deps around a fake S3, recording what they report. */
function writeDeps(s3: S3Api): CfgWriteDeps & { events: IoEvent[] } {
  const events: IoEvent[] = [];
  return { s3, settings, report: { ...silentReporter, emit: (e) => void events.push(e) }, signal: new AbortController().signal, now: () => new Date('2026-11-30T12:00:00Z'), events };
}

describe('unit: cfg write services under S3 faults (fakes)', () => {
  it('given a 409 and then a 412 on PutObject, when set, then it re-reads and re-applies on the newest version and keeps the other writer\'s keys', async () => {
    const s3 = fakeS3('A=1\n', [409, 412, 'ok']);
    const deps = writeDeps(s3.api);
    const result = await cfgSetKeys(deps, { project: 'web', env: 'staging', set: [{ key: 'B', value: '2' }], unset: [] });
    assert.deepEqual(result, { project: 'web', env: 'staging', bucket: 'k8s-deployer-config', key: 'web/staging/config', status: 'updated', versionId: 'v4', changes: { added: ['B'], removed: [], changed: [] } });
    assert.deepEqual(
      s3.puts.map((p) => p.IfMatch),
      ['"v1"', '"v2"', '"v3"'],
    );
    assert.equal(s3.body(), 'A=1\nOTHER1=x\nOTHER2=x\nB=2\n');
    assert.deepEqual(
      deps.events.map((e) => [e.level, e.code]),
      [
        ['warn', 'cfg.set.retry'],
        ['warn', 'cfg.set.retry'],
      ],
    );
    assert.match(deps.events[0].message, /changed since it was read; applying the change again on the newest version/);
  });

  it('given a file that changes before every write, when set, then it gives up with a conflict after 4 attempts', async () => {
    const s3 = fakeS3('A=1\n', [412, 412, 412, 412]);
    await assert.rejects(cfgSetKeys(writeDeps(s3.api), { project: 'web', env: 'staging', set: [{ key: 'B', value: '2' }], unset: [] }), ConflictError);
    assert.equal(s3.puts.length, 4);
  });

  it('given the file changes between the diff and the write, when restore, then a conflict and no retry', async () => {
    const s3 = fakeS3('A=1\n', [412]);
    await assert.rejects(cfgRestore(writeDeps(s3.api), { project: 'web', env: 'staging', versionId: 'v1', yes: true, showValues: false }), (e: Error) => e instanceof ConflictError && /changed while you were confirming; nothing was restored/.test(e.message));
    assert.equal(s3.puts.length, 1);
    assert.equal(s3.puts[0].IfMatch, '"v1"');
  });

  it('given listings that come in partial pages, when ls, then every page is read and k8s_deployer/ is never listed into', async () => {
    const calls: { Prefix?: string; Delimiter?: string; ContinuationToken?: string }[] = [];
    const fail = () => {
      throw new Error('unexpected S3 call');
    };
    const api: S3Api = strictFake<S3Api>('S3Api', {
      getObject: fail,
      getObjectTagging: fail,
      headObject: fail,
      putObject: fail,
      listObjectVersions: fail,
      getBucketVersioning: fail,
      listObjectsV2: async (input) => {
        calls.push({ Prefix: input.Prefix, Delimiter: input.Delimiter, ContinuationToken: input.ContinuationToken });
        if (input.Prefix?.startsWith('k8s_deployer')) throw new Error('listed the deployer folder');
        if (input.Delimiter === '/') {
          return input.ContinuationToken
            ? { CommonPrefixes: [{ Prefix: 'k8s_deployer/' }, { Prefix: 'web/' }], IsTruncated: false, $metadata: {} }
            : { CommonPrefixes: [{ Prefix: 'api/' }], IsTruncated: true, NextContinuationToken: 'p2', $metadata: {} };
        }
        const at = new Date('2024-01-01T00:00:00Z');
        if (input.Prefix === 'api/') return { Contents: [{ Key: 'api/staging/config', Size: 3, LastModified: at }], IsTruncated: false, $metadata: {} };
        return input.ContinuationToken
          ? { Contents: [{ Key: 'web/production/config', Size: 5, LastModified: at }], IsTruncated: false, $metadata: {} }
          : { Contents: [{ Key: 'web/staging/config', Size: 4, LastModified: at }, { Key: 'web/staging/readme', Size: 1, LastModified: at }], IsTruncated: true, NextContinuationToken: 'w2', $metadata: {} };
      },
    });
    const listed = await cfgLs({ s3: api, settings, report: silentReporter }, {});
    assert.deepEqual(
      listed.files.map((f) => f.key),
      ['api/staging/config', 'web/staging/config', 'web/production/config'],
    );
    assert.equal(calls.length, 5);
  });
});
