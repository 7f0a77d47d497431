import assert from 'node:assert/strict';
import { MediaType, parseManifest } from '../../../src/registry/manifest.js';
import { parsePlatform, platformMatches, formatPlatform } from '../../../src/registry/platform.js';
import { SgnError } from '../../../src/errors.js';

const digest = 'sha256:' + '1'.repeat(64);
const bytes = (doc: object) => Buffer.from(JSON.stringify(doc));

describe('manifests', () => {
  it('given an OCI index without mediaType (optional in OCI), then its shape makes it an index', () => {
    const m = parseManifest(bytes({ schemaVersion: 2, manifests: [{ mediaType: MediaType.ociManifest, digest, size: 10, platform: { os: 'linux', architecture: 'amd64' } }] }), 'application/octet-stream', 'x');
    assert.equal(m.kind, 'index');
    assert.equal(m.mediaType, MediaType.ociIndex);
  });

  it('given a Docker schema 2 manifest, then the Content-Type is kept as its media type', () => {
    const m = parseManifest(bytes({ schemaVersion: 2, mediaType: MediaType.dockerManifest, config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest, size: 1 }, layers: [] }), MediaType.dockerManifest, 'x');
    assert.deepEqual([m.kind, m.mediaType], ['image', MediaType.dockerManifest]);
  });

  for (const [what, doc, type] of [
    ['a signed schema 1 manifest', { schemaVersion: 1, name: 'library/nginx', tag: 'old', fsLayers: [] }, MediaType.schema1Signed],
    ['a schema 1 body sent as JSON', { schemaVersion: 1, name: 'library/nginx', tag: 'old', fsLayers: [] }, 'application/json'],
  ] as const) {
    it(`given ${what}, then it is refused with the reason and a way out`, () => {
      assert.throws(
        () => parseManifest(bytes(doc), type, 'nginx:old'),
        (e: unknown) => e instanceof SgnError && e.message === 'nginx:old is in the Docker schema 1 format, which sgn does not copy.' && /re-push the image/.test(e.hint ?? ''),
      );
    });
  }

  it('given a descriptor with a sha512 digest, then it is refused by name', () => {
    const doc = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: 'c', digest: 'sha512:' + 'a'.repeat(128), size: 1 }, layers: [] };
    assert.throws(() => parseManifest(bytes(doc), MediaType.ociManifest, 'x'), /references sha512:a+, and sgn copies only sha256 digests/);
  });

  it('given something that is no manifest, then it says so', () => {
    assert.throws(() => parseManifest(Buffer.from('<html>'), 'text/html', 'x'), /x is not a JSON manifest/);
    assert.throws(() => parseManifest(bytes({ hello: 1 }), 'application/json', 'x'), /neither an image manifest nor an index/);
  });

  it('given platform names as people type them, then they match as containerd normalises them', () => {
    const p = (s: string) => parsePlatform(s)!;
    assert.ok(platformMatches(p('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' }));
    assert.ok(platformMatches(p('linux/aarch64'), { os: 'linux', architecture: 'arm64' }));
    assert.ok(platformMatches(p('linux/x86_64'), { os: 'linux', architecture: 'amd64' }));
    assert.ok(platformMatches(p('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v7' }));
    assert.ok(!platformMatches(p('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v7' }));
    assert.ok(!platformMatches(p('linux/amd64'), { os: 'windows', architecture: 'amd64' }));
    assert.equal(parsePlatform('linux'), undefined);
    assert.equal(parsePlatform('linux/amd64/v2/x'), undefined);
    assert.equal(formatPlatform(p('linux/arm64/v8')), 'linux/arm64/v8');
  });
});
