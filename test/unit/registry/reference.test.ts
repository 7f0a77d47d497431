import assert from 'node:assert/strict';
import { familiarReference, formatReference, isLoopbackHost, parseImageReference, InvalidReferenceError } from '../../../src/registry/reference.js';
import { UsageError } from '../../../src/errors.js';

const sha = 'sha256:' + 'ab'.repeat(32);

describe('image references', () => {
  // The expected forms are what `docker pull` resolves (distribution/reference's
  // ParseNormalizedNamed + TagNameOnly), so that sgn copies what Docker would pull.
  const table: [input: string, normalised: string, familiar: string][] = [
    ['nginx', 'docker.io/library/nginx:latest', 'nginx:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27', 'nginx:1.27'],
    ['library/nginx', 'docker.io/library/nginx:latest', 'nginx:latest'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest', 'nginx:latest'],
    ['index.docker.io/library/nginx:1', 'docker.io/library/nginx:1', 'nginx:1'],
    ['bitnami/redis:7.2', 'docker.io/bitnami/redis:7.2', 'bitnami/redis:7.2'],
    ['a/b/c/d', 'docker.io/a/b/c/d:latest', 'a/b/c/d:latest'],
    ['my-app__x.y', 'docker.io/library/my-app__x.y:latest', 'my-app__x.y:latest'],
    ['ghcr.io/org/app:v1', 'ghcr.io/org/app:v1', 'ghcr.io/org/app:v1'],
    ['quay.io/prometheus/node-exporter', 'quay.io/prometheus/node-exporter:latest', 'quay.io/prometheus/node-exporter:latest'],
    ['localhost/app', 'localhost/app:latest', 'localhost/app:latest'],
    ['localhost:5000/team/app:1', 'localhost:5000/team/app:1', 'localhost:5000/team/app:1'],
    ['127.0.0.1:5000/debian', '127.0.0.1:5000/debian:latest', '127.0.0.1:5000/debian:latest'],
    ['[::1]:5000/app', '[::1]:5000/app:latest', '[::1]:5000/app:latest'],
    ['LOCALDOMAIN/debian', 'LOCALDOMAIN/debian:latest', 'LOCALDOMAIN/debian:latest'],
    ['UPPER/case', 'UPPER/case:latest', 'UPPER/case:latest'],
    // No "/": a familiar name, so ":8080" is a tag, not a port (as in Docker).
    ['foo_bar.com:8080', 'docker.io/library/foo_bar.com:8080', 'foo_bar.com:8080'],
    [`example.com/app@${sha}`, `example.com/app@${sha}`, `example.com/app@${sha}`],
    [`nginx:1.27@${sha}`, `docker.io/library/nginx:1.27@${sha}`, `nginx:1.27@${sha}`],
  ];
  for (const [input, normalised, familiar] of table) {
    it(`given "${input}", then it normalises to ${normalised}`, () => {
      const ref = parseImageReference(input);
      assert.equal(formatReference(ref), normalised);
      assert.equal(familiarReference(ref), familiar);
    });
  }

  const invalid: [input: string, reason: RegExp][] = [
    ['', /empty/],
    ['Nginx', /must be lowercase/],
    ['library/Nginx:1', /must be lowercase/],
    ['nginx:', /not a valid tag/],
    ['nginx:-bad', /not a valid tag/],
    ['nginx:1.27:extra', /"1.27:extra" is not a valid tag/],
    ['nginx@sha256:abc', /digest must be algorithm:hex/],
    [`nginx@md5:${'0'.repeat(32)}`, /only sha256 digests/],
    [`nginx@sha256:${'0'.repeat(63)}`, /digest must be|exactly 64/],
    ['ab'.repeat(32), /image id/],
    ['docker://nginx', /URL scheme/],
    ['a//b', /repository name may only/],
    ['-nginx', /repository name may only/],
    ['x'.repeat(256), /not be more than 255/],
  ];
  for (const [input, reason] of invalid) {
    it(`given "${input.length > 40 ? input.slice(0, 20) + '…' : input}", then it is refused with the reason`, () => {
      assert.throws(
        () => parseImageReference(input),
        (e: unknown) => e instanceof InvalidReferenceError && e instanceof UsageError && reason.test(e.message) && /Examples:/.test(e.hint ?? ''),
      );
    });
  }

  it('given loopback and other hosts, then only loopback ones count as loopback', () => {
    for (const h of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['registry.example.com', '10.0.0.1:5000', 'localhost.example.com', '[fc00::1]:5000']) assert.equal(isLoopbackHost(h), false, h);
  });
});
