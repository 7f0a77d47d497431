import assert from 'node:assert/strict';
import { failurePhase } from '../../../../src/services/deploy/failure.js';
import { cleanLeftovers, editDistance, nearestReleases, temporaryEnv, temporaryItem } from '../../../../src/services/deploy/release.js';
import type { Release } from '../../../../src/services/releases/releases.js';
import { silentReporter, type IoEvent } from '../../../../src/io.js';
import { memoryTable } from '../../helpers/table.js';

const frames = (...fns: string[]) => fns.map((fn, i) => `  File "/var/task/handler.py", line ${100 + i}, in ${fn}\n    x()\n`);

describe('deployer failures by phase (what a failure left behind)', () => {
  it('given the kube config, artifact or deployspec errors of handler.py, then before the cluster', () => {
    for (const e of [
      { errorType: 'Exception', errorMessage: 'Error getting kubectl config from s3: An error occurred (404)', stackTrace: frames('lambda_handler', 'getKubeConfigFromS3') },
      { errorType: 'Exception', errorMessage: 'Error getting deploy artifact from s3: NoSuchKey' },
      { errorType: 'Exception', errorMessage: 'Missing deployspec.yml\nPlease see DEPLOYSPEC.md' },
      { errorType: 'Exception', errorMessage: 'Missing commitref in deployspec!' },
      { errorType: 'KeyError', errorMessage: "'namespace'" },
      { errorType: 'ScannerError', errorMessage: 'while scanning for the next token found character \\t' },
      { errorType: 'TemplateNotFound', errorMessage: 'deploy/missing.yml' },
      { errorType: 'ConfigException', errorMessage: 'Invalid kube-config file. Expected key current-context' },
    ]) {
      assert.equal(failurePhase(e), 'before-cluster', JSON.stringify(e));
    }
  });
  it('given a rollout error or a traceback through rolloutStatus, then during the rollout', () => {
    assert.equal(failurePhase({ errorType: 'Exception', errorMessage: 'error rolling out! Manually rollback the Deployment to restore it!' }), 'rollout');
    assert.equal(failurePhase({ errorType: 'ApiException', errorMessage: '(422) Unprocessable', stackTrace: frames('lambda_handler', 'runDeploySpec', 'rolloutStatus') }), 'rollout');
  });
  it('given a traceback through tagImage, then after the record was written; given nothing known, then unknown', () => {
    assert.equal(failurePhase({ errorType: 'IndexError', errorMessage: 'list index out of range', stackTrace: frames('lambda_handler', 'deployFromDB', 'tagImage') }), 'after-record');
    assert.equal(failurePhase({ errorType: 'Exception', errorMessage: 'something else' }), 'unknown');
  });
});

describe('temporary source records', () => {
  it('given a rollback to a tag, then an Env the deployer\'s Slack line reads well and ls deployed hides', () => {
    assert.equal(temporaryEnv('rollback', 'git-3f9c2a1', 'production'), 'sgn:rollback:git-3f9c2a1@production');
    const item = temporaryItem('web', 'sgn:rollback:git-3f9c2a1@production', { tag: 'git-3f9c2a1', bucket: 'p', key: 'web/BuildArtif/x', via: 'history', deployspec: { commitref: 'git-3f9c2a1', envsecret: false, doc: {} } }, new Date(1_700_000_000_000), 'arn:me');
    assert.deepEqual([item.Tag.S, item.bucketName.S, item.objectKey.S, item.sgnTemporary.BOOL, item.sgnCreated.N], ['git-3f9c2a1', 'p', 'web/BuildArtif/x', true, '1700000000']);
  });

  it('given leftovers of different ages, then only those older than the bound are removed, each reported', async () => {
    const db = memoryTable();
    const now = new Date(1_700_000_000_000);
    const put = (env: string, ageS: number, temporary = true) =>
      db.put({ Application: { S: 'web' }, Env: { S: env }, Tag: { S: 'git-1' }, ...(temporary ? { sgnTemporary: { BOOL: true } } : {}), sgnCreated: { N: String(now.getTime() / 1000 - ageS) } });
    put('sgn:rollback:git-1@production', 2000);
    put('sgn:release:git-2@staging', 100);
    put('sgn:rollback:git-3@qa', 5000, false);
    const events: IoEvent[] = [];
    const removed = await cleanLeftovers(db, 't', 'web', { now, olderThanS: 960, report: { ...silentReporter, emit: (e) => events.push(e) } });
    assert.deepEqual(removed, ['sgn:rollback:git-1@production']);
    assert.ok(db.get('web', 'sgn:release:git-2@staging'));
    assert.ok(db.get('web', 'sgn:rollback:git-3@qa'), 'an item sgn did not mark as temporary is never deleted');
    assert.deepEqual(events.map((e) => e.code), ['deploy.leftover.removed']);
  });
});

describe('nearest releases for an unknown tag', () => {
  const rel = (tag: string): Release => ({ tag, builtAt: new Date(0), bucket: 'b', key: tag, size: 1, etag: '', envs: [], deployable: true });
  it('given a typo, then the closest tags first', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    const near = nearestReleases('git-3f9c2a2', [rel('git-0000000'), rel('git-3f9c2a1'), rel('git-3f9c999')], 2);
    assert.deepEqual(near.map((r) => r.tag), ['git-3f9c2a1', 'git-3f9c999']);
  });
});
