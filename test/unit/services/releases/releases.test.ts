import assert from 'node:assert/strict';
import type { EcrApi } from '../../../../src/aws/ecr.js';
import { imagesPresent, prefixOf, releaseSources } from '../../../../src/services/releases/releases.js';
import type { DeployRecord } from '../../../../src/services/records.js';

const rec = (env: string, objectKey: string | undefined, at: number, bucketName = 'pipe'): DeployRecord => ({ project: 'web', env, objectKey, bucketName, deployedAt: new Date(at), extra: {} });

describe('releases: where the builds are', () => {
  it('given object keys, then the folder is everything up to the last slash', () => {
    assert.equal(prefixOf('web/BuildArtif/abc123'), 'web/BuildArtif/');
    assert.equal(prefixOf('abc123'), '');
  });
  it('given records in two folders, then both are listed, the newest record first, each once', () => {
    const s = releaseSources('web', [rec('production', 'web/Old/a', 1), rec('staging', 'web/BuildArtif/b', 3), rec('qa', 'web/BuildArtif/c', 2)], { table: 't' });
    assert.deepEqual(s, [{ bucket: 'pipe', prefix: 'web/BuildArtif/' }, { bucket: 'pipe', prefix: 'web/Old/' }]);
  });
  it('given the settings, then they win over the records, with {project} filled in', () => {
    const s = releaseSources('web', [rec('staging', 'web/BuildArtif/b', 3)], { table: 't', artifactBucket: 'other', artifactPrefix: '{project}/Build/' });
    assert.deepEqual(s, [{ bucket: 'other', prefix: 'web/Build/' }]);
    assert.deepEqual(releaseSources('new', [], { table: 't', artifactBucket: 'b', artifactPrefix: '{project}/x/' }), [{ bucket: 'b', prefix: 'new/x/' }]);
  });
  it('given no record with an artifact and no settings, then the error names the settings to set', () => {
    assert.throws(() => releaseSources('web', [rec('staging', undefined, 1)], { table: 't' }), (e: Error & { hint?: string }) => /artifactPrefix.*artifactBucket/.test(e.hint ?? ''));
  });
});

describe('releases: images in ECR', () => {
  const fakeEcr = (missing: Set<string>, calls: number[]): Pick<EcrApi, 'batchGetImage'> => ({
    batchGetImage: async (input) => {
      calls.push(input.imageIds!.length);
      const ids = input.imageIds!.map((i) => i.imageTag!);
      return {
        images: ids.filter((t) => !missing.has(t)).map((t) => ({ imageId: { imageTag: 'latest', imageDigest: `sha256:${t}` } })),
        failures: ids.filter((t) => missing.has(t)).map((t) => ({ imageId: { imageTag: t }, failureCode: 'ImageNotFound' })),
        $metadata: {},
      };
    },
  });
  it('given 250 tags, then three calls of at most 100, and only the failures are missing', async () => {
    const calls: number[] = [];
    const tags = Array.from({ length: 250 }, (_, i) => `git-${i}`);
    const got = await imagesPresent(fakeEcr(new Set(['git-7', 'git-201']), calls), 'web', [...tags, 'git-7']);
    assert.deepEqual(calls.sort((a, b) => a - b), [50, 100, 100]);
    assert.equal(got.get('git-7'), 'missing');
    assert.equal(got.get('git-201'), 'missing');
    assert.equal(got.get('git-8'), 'present');
  });
  it('given no repository, then every tag says so; given another error, then unknown', async () => {
    const err = (name: string): Pick<EcrApi, 'batchGetImage'> => ({
      batchGetImage: async () => {
        throw Object.assign(new Error(name), { name });
      },
    });
    assert.equal((await imagesPresent(err('RepositoryNotFoundException'), 'web', ['a'])).get('a'), 'no-repository');
    assert.equal((await imagesPresent(err('ThrottlingException'), 'web', ['a'])).get('a'), 'unknown');
  });
});
