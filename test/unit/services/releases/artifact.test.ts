import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Api, S3Object } from '../../../../src/aws/s3.js';
import { readArtifact, readArtifacts, type ArtifactReaderDeps } from '../../../../src/services/releases/artifact.js';
import { fileArtifactCache, noArtifactCache } from '../../../../src/services/releases/artifact-cache.js';
import { parseDeployspec } from '../../../../src/services/releases/deployspec.js';
import { writeZip } from '../../../../src/sandbox/zip.js';
import { noise, writeVariantZip, type VariantEntry } from '../../../helpers/zip-variants.js';

/** An in-memory bucket that answers ranged GETs as S3 does and counts every byte it sends. */
function fakeBucket(objects: Record<string, Buffer>) {
  const log: { op: string; key: string; range?: string; bytes: number }[] = [];
  const etagOf = (key: string) => `"etag-${key}-${objects[key].length}"`;
  const notFound = () => Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
  const s3: ArtifactReaderDeps['s3'] = {
    getObject: async (input, opts) => {
      const key = input.Key!;
      const body = objects[key];
      if (!body) throw notFound();
      if (input.IfMatch && input.IfMatch !== etagOf(key)) throw Object.assign(new Error('PreconditionFailed'), { name: 'PreconditionFailed' });
      let from = 0;
      let to = body.length - 1;
      const m = /^bytes=(\d*)-(\d*)$/.exec(input.Range ?? '');
      if (input.Range && !m) throw new Error(`bad range ${input.Range}`);
      if (m) {
        if (m[1] === '') from = Math.max(0, body.length - Number(m[2]));
        else {
          from = Number(m[1]);
          if (m[2] !== '') to = Math.min(to, Number(m[2]));
        }
        if (body.length === 0 || from > to) throw Object.assign(new Error('InvalidRange'), { name: 'InvalidRange' });
      }
      const part = body.subarray(from, to + 1);
      if (opts?.maxBytes !== undefined && part.length > opts.maxBytes) throw new Error('read more than asked');
      log.push({ op: 'GetObject', key, range: input.Range, bytes: part.length });
      return { Body: new Uint8Array(part), ETag: etagOf(key), ContentRange: m ? `bytes ${from}-${to}/${body.length}` : undefined, ContentLength: part.length, $metadata: {} } as S3Object;
    },
    headObject: async (input) => {
      const key = input.Key!;
      if (!objects[key]) throw Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
      log.push({ op: 'HeadObject', key, bytes: 0 });
      return { ETag: etagOf(key), ContentLength: objects[key].length, $metadata: {} };
    },
  } satisfies Pick<S3Api, 'getObject' | 'headObject'>;
  return { s3, log, etagOf, bytes: () => log.reduce((n, l) => n + l.bytes, 0) };
}

const spec = (ref: string, more = '') => Buffer.from(`commitref: ${ref}\nnamespace: web\nenvsecret: yes\nspec:\n  deploy: deploy/deployment.yml\n${more}`);
const templates = (n: number, bytes: number): VariantEntry[] => Array.from({ length: n }, (_, i) => ({ name: `deploy/t${i}.yml`, data: noise(bytes, i + 7) }));

describe('artifact reader (ranged reads of deployspec.yml)', () => {
  const deps = (s3: ArtifactReaderDeps['s3']): ArtifactReaderDeps => ({ s3, cache: noArtifactCache });

  it('given a 2 MB artifact with deployspec.yml first, when read, then it takes the tail and the one entry: a few KiB', async () => {
    const zip = writeVariantZip([{ name: 'deployspec.yml', data: spec('git-abc1234') }, ...templates(8, 256 * 1024)]);
    const b = fakeBucket({ a: zip });
    const { artifact, stats } = await readArtifact(deps(b.s3), { bucket: 'p', key: 'a' });
    assert.equal(artifact.status, 'ok');
    assert.equal(artifact.status === 'ok' && artifact.deployspec.commitref, 'git-abc1234');
    assert.equal(artifact.status === 'ok' && artifact.deployspec.envsecret, true, 'YAML 1.1: yes is true, as PyYAML reads it');
    assert.equal(stats.requests, 2);
    assert.ok(b.bytes() < 5 * 1024, `read ${b.bytes()} bytes of ${zip.length}`);
    assert.deepEqual(b.log.map((l) => l.range?.slice(0, 8)), ['bytes=-4', 'bytes=0-']);
  });

  it('given a small artifact, when read with its listed size, then one explicit range serves the directory and the entry', async () => {
    const zip = writeZip([{ name: 'deploy/x.yml', data: Buffer.from('kind: Service\n') }, { name: 'deployspec.yml', data: spec('git-0000001') }]);
    const b = fakeBucket({ a: zip });
    const { artifact, stats } = await readArtifact(deps(b.s3), { bucket: 'p', key: 'a', size: zip.length, etag: b.etagOf('a') });
    assert.equal(artifact.status === 'ok' && artifact.deployspec.commitref, 'git-0000001');
    assert.equal(stats.requests, 1);
    assert.equal(b.log[0].range, `bytes=0-${zip.length - 1}`);
  });

  for (const [what, entries, opts] of [
    ['stored entries', [{ name: 'deployspec.yml', data: spec('git-5707ed0'), method: 0 }, ...templates(3, 50_000)], {}],
    ['data descriptors and a longer local extra field', [{ name: 'deployspec.yml', data: spec('git-de5c000'), descriptor: true, localExtra: 300 }, ...templates(3, 50_000)], {}],
    ['an archive comment of 60,000 bytes', [{ name: 'deployspec.yml', data: spec('git-c0330e0') }, ...templates(2, 50_000)], { comment: 'x'.repeat(60_000) }],
    ['a prepended stub', [{ name: 'deployspec.yml', data: spec('git-5705000') }, ...templates(2, 50_000)], { prepend: noise(10_000, 3) }],
    ['ZIP64 records', [{ name: 'deployspec.yml', data: spec('git-0064000') }, ...templates(3, 50_000)], { zip64: true }],
    ['ZIP64 records and a prepended stub', [...templates(3, 50_000), { name: 'deployspec.yml', data: spec('git-0064001') }], { zip64: true, prepend: noise(5000, 4) }],
    ['a central directory larger than the tail (2,000 entries)', [{ name: 'deployspec.yml', data: spec('git-b16cd00') }, ...templates(2000, 200)], {}],
  ] as [string, VariantEntry[], Parameters<typeof writeVariantZip>[1]][]) {
    it(`given ${what}, when read, then the commitref is found without reading the whole archive`, async () => {
      const zip = writeVariantZip(entries, opts);
      const b = fakeBucket({ a: zip });
      const { artifact } = await readArtifact(deps(b.s3), { bucket: 'p', key: 'a' });
      assert.equal(artifact.status, 'ok', JSON.stringify(artifact));
      assert.match(artifact.status === 'ok' ? artifact.deployspec.commitref : '', /^git-/);
      assert.ok(b.bytes() < zip.length / 2, `read ${b.bytes()} of ${zip.length}`);
    });
  }

  it('given things that are not artifacts, when read, then each is unusable with its reason and nothing throws', async () => {
    const objects: Record<string, Buffer> = {
      text: Buffer.from('hello, this is not a zip at all'.repeat(10)),
      empty: Buffer.alloc(0),
      nospec: writeZip([{ name: 'deploy/x.yml', data: Buffer.from('a: 1') }]),
      nocommit: writeZip([{ name: 'deployspec.yml', data: Buffer.from('namespace: web\n') }]),
      badyaml: writeZip([{ name: 'deployspec.yml', data: Buffer.from('commitref: [unclosed\n') }]),
      list: writeZip([{ name: 'deployspec.yml', data: Buffer.from('- commitref\n') }]),
      nested: writeZip([{ name: 'build/deployspec.yml', data: spec('git-1') }]),
      corrupt: (() => {
        const z = writeZip([{ name: 'deployspec.yml', data: spec('git-2') }]);
        z[50] ^= 0xff; // inside the deflated data (30 + 14 bytes of header and name before it)
        return z;
      })(),
    };
    const b = fakeBucket(objects);
    const keys = Object.keys(objects);
    const out = await readArtifacts(deps(b.s3), keys.map((key) => ({ bucket: 'p', key })));
    const reasons = Object.fromEntries(out.map((o, i) => [keys[i], o.artifact.status === 'unusable' ? o.artifact.reason : o.artifact.status]));
    assert.equal(reasons.text, 'not a zip file');
    assert.equal(reasons.empty, 'the artifact is empty (0 bytes)');
    assert.equal(reasons.nospec, 'no deployspec.yml in the artifact');
    assert.equal(reasons.nested, 'no deployspec.yml in the artifact');
    assert.equal(reasons.nocommit, 'deployspec.yml has no commitref');
    assert.match(reasons.badyaml, /^deployspec.yml is not valid YAML/);
    assert.equal(reasons.list, 'deployspec.yml is not a YAML mapping');
    assert.match(reasons.corrupt, /^not a readable zip/);
  });

  it('given a key that is gone, when read, then it is missing (not unusable, not a throw)', async () => {
    const b = fakeBucket({});
    const { artifact } = await readArtifact(deps(b.s3), { bucket: 'p', key: 'gone' });
    assert.equal(artifact.status, 'missing');
  });

  describe('cache', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sgn-artifact-cache-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('given a warm cache and listed ETags, when read again, then no request is made at all', async () => {
      const objects = { a: writeVariantZip([{ name: 'deployspec.yml', data: spec('git-aaaaaaa') }, ...templates(2, 40_000)]), bad: Buffer.from('nope') };
      const b = fakeBucket(objects);
      const refs = Object.keys(objects).map((key) => ({ bucket: 'p', key, etag: b.etagOf(key), size: objects[key as keyof typeof objects].length }));
      const cold = await readArtifacts({ s3: b.s3, cache: fileArtifactCache(dir) }, refs);
      const coldCalls = b.log.length;
      const warm = await readArtifacts({ s3: b.s3, cache: fileArtifactCache(dir) }, refs);
      assert.equal(b.log.length, coldCalls, 'no request when warm');
      assert.deepEqual(warm.map((w) => w.artifact), cold.map((c) => c.artifact));
      assert.ok(warm.every((w) => w.stats.cached && w.stats.bytes === 0));
    });

    it('given a warm cache but no ETag, when read, then one HeadObject (no zip bytes) confirms it', async () => {
      const objects = { a: writeZip([{ name: 'deployspec.yml', data: spec('git-bbbbbbb') }]) };
      const b = fakeBucket(objects);
      await readArtifact({ s3: b.s3, cache: fileArtifactCache(dir) }, { bucket: 'p', key: 'a' });
      b.log.length = 0;
      const { artifact, stats } = await readArtifact({ s3: b.s3, cache: fileArtifactCache(dir) }, { bucket: 'p', key: 'a' });
      assert.equal(artifact.status === 'ok' && artifact.deployspec.commitref, 'git-bbbbbbb');
      assert.deepEqual(b.log.map((l) => l.op), ['HeadObject']);
      assert.equal(stats.bytes, 0);
    });

    it('given an object replaced under the same key (new ETag), when read, then the cache is not trusted', async () => {
      const objects: Record<string, Buffer> = { a: writeZip([{ name: 'deployspec.yml', data: spec('git-1111111') }]) };
      const b = fakeBucket(objects);
      await readArtifact({ s3: b.s3, cache: fileArtifactCache(dir) }, { bucket: 'p', key: 'a' });
      objects.a = writeZip([{ name: 'deployspec.yml', data: spec('git-2222222', 'extra: 1\n') }]);
      const { artifact } = await readArtifact({ s3: b.s3, cache: fileArtifactCache(dir) }, { bucket: 'p', key: 'a' });
      assert.equal(artifact.status === 'ok' && artifact.deployspec.commitref, 'git-2222222');
    });
  });
});

describe('deployspec parsing (as PyYAML reads it)', () => {
  it('given envsecret spelled as YAML 1.1 booleans and strings, then Python truthiness decides', async () => {
    const env = async (v: string) => {
      const p = await parseDeployspec(`commitref: git-1\nenvsecret: ${v}\n`);
      return p.ok && p.deployspec.envsecret;
    };
    assert.equal(await env('true'), true);
    assert.equal(await env('on'), true);
    assert.equal(await env('no'), false);
    assert.equal(await env('0'), false);
    assert.equal(await env('""'), false);
    assert.equal(await env('"false"'), true, 'a non-empty string is truthy in Python');
  });
  it('given a duplicate key, then the last value wins as in PyYAML', async () => {
    const p = await parseDeployspec('commitref: git-1\ncommitref: git-2\n');
    assert.equal(p.ok && p.deployspec.commitref, 'git-2');
  });
  it('given a numeric commitref, then it is kept as text', async () => {
    const p = await parseDeployspec('commitref: 1234567\n');
    assert.equal(p.ok && p.deployspec.commitref, '1234567');
  });
});
