import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../../../src/errors.js';
import { fileLocations } from '../../../../src/registry/locations.js';
import { parseSyncFile, tagPattern } from '../../../../src/services/mirror/sync-file.js';

describe('image sync file', () => {
  it('given the documented form, then every entry is typed with its line', () => {
    const text = ['images:', '  - source: nginx:1.27', '  - source: ghcr.io/org/tool:v2', '    target: tools/tool:v2', '    platforms: [linux/amd64]', '  - source: bitnami/redis', '    target: cache/redis', '    tags: ["7.2", "7.4.*"]', ''].join('\n');
    const entries = parseSyncFile(text, 'images.yml');
    assert.deepEqual(
      entries.map((e) => [e.line, e.source.domain, e.source.path, e.source.tag, e.target, e.platform, e.tags]),
      [
        [2, 'docker.io', 'library/nginx', '1.27', undefined, undefined, undefined],
        [3, 'ghcr.io', 'org/tool', 'v2', { repository: 'tools/tool', tag: 'v2' }, { os: 'linux', architecture: 'amd64' }, undefined],
        [6, 'docker.io', 'bitnami/redis', 'latest', { repository: 'cache/redis' }, undefined, ['7.2', '7.4.*']],
      ],
    );
  });

  for (const [what, text, message] of [
    ['no images key', 'mirror: []\n', /^f\.yml:1: unknown key "mirror"/],
    ['an empty list', 'images: []\n', /^f\.yml:1: "images" is empty/],
    ['an entry without source', 'images:\n  - target: a/b\n', /^f\.yml:2: the entry has no "source"/],
    ['a target with a host', 'images:\n  - source: nginx\n    target: localhost:5000/x\n', /^f\.yml:3: "target" takes repository\[:tag\]/],
    ['a bad platform', 'images:\n  - source: nginx\n    platforms: [linux]\n', /^f\.yml:3: "linux" is not a platform/],
    ['tags beside a tagged source', 'images:\n  - source: nginx:1\n    tags: ["1.*"]\n', /^f\.yml:2: with "tags", "source" names a repository only/],
    ['a duplicate key', 'images:\n  - source: a\n    source: b\n', /^f\.yml:3: not valid YAML \(Map keys must be unique\)/],
  ] as const) {
    it(`given ${what}, then the usage error names the line`, () => {
      assert.throws(() => parseSyncFile(text, 'f.yml'), (e: unknown) => e instanceof UsageError && message.test(e.message));
    });
  }

  it('given tag patterns, then * and ? match as in a shell and dots are literal', () => {
    assert.ok(tagPattern('7.4.*').test('7.4.12'));
    assert.ok(!tagPattern('7.4.*').test('7x4.1'));
    assert.ok(tagPattern('v?').test('v2'));
    assert.ok(!tagPattern('1.2').test('1.2.3'));
  });
});

describe('blob-location cache', () => {
  it('given blobs added and one forgotten, then a new reader sees them most recent first, in a private file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgn-loc-'));
    const a = fileLocations(join(dir, 'sgn'));
    a.add('reg:5000', 'one/app', ['sha256:aa', 'sha256:bb']);
    a.add('reg:5000', 'two/app', ['sha256:aa']);
    a.forget('reg:5000', 'one/app', 'sha256:bb');
    a.rememberChild('sha256:index', 'linux/arm64', 'sha256:arm');
    a.save();
    const b = fileLocations(join(dir, 'sgn'));
    assert.deepEqual(b.where('reg:5000', 'sha256:aa'), ['two/app', 'one/app']);
    assert.deepEqual(b.where('reg:5000', 'sha256:bb'), []);
    assert.deepEqual(b.where('other:5000', 'sha256:aa'), []);
    assert.equal(b.child('sha256:index', 'linux/arm64'), 'sha256:arm');
    assert.equal(statSync(join(dir, 'sgn', 'blob-locations.json')).mode & 0o777, 0o600);
    // Two runs at once: the second save merges with what the first wrote.
    const c = fileLocations(join(dir, 'sgn'));
    b.add('reg:5000', 'three/app', ['sha256:cc']);
    b.save();
    c.add('reg:5000', 'four/app', ['sha256:dd']);
    c.save();
    const doc = JSON.parse(readFileSync(join(dir, 'sgn', 'blob-locations.json'), 'utf8'));
    assert.deepEqual(Object.keys(doc.registries['reg:5000']).sort(), ['sha256:aa', 'sha256:cc', 'sha256:dd']);
    rmSync(dir, { recursive: true, force: true });
  });
});
