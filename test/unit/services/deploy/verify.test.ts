import assert from 'node:assert/strict';
import { verifyPromotion } from '../../../../src/services/deploy/verify.js';
import type { DeployRecord } from '../../../../src/services/records.js';
import { parseDeployed } from '../../../../src/time.js';

const rec = (tag: string | undefined, deployedRaw: string | undefined): DeployRecord => ({ project: 'web', env: 'production', tag, deployedRaw, deployedAt: parseDeployed(deployedRaw), extra: {} });

describe('verifyPromotion', () => {
  const source = rec('git-new', '1700000500.5');
  it('given the source tag and a newer Deployed, then the deploy took effect', () => {
    assert.equal(verifyPromotion({ source, target: rec('git-old', '1700000000.1'), to: 'production' }, rec('git-new', '1700000600.25')).ok, true);
  });
  it('given no target before, then any record with the source tag counts', () => {
    assert.equal(verifyPromotion({ source, target: undefined, to: 'production' }, rec('git-new', '1700000600.25')).ok, true);
  });
  it('given the old tag still there (the deployer said "Success" and did nothing), then it did not take effect', () => {
    const v = verifyPromotion({ source, target: rec('git-old', '1700000000.1'), to: 'production' }, rec('git-old', '1700000000.1'));
    assert.deepEqual(v.ok ? 'ok' : v.reason, 'production still runs git-old');
  });
  it('given --force with the same tag and an unchanged Deployed, then it did not take effect', () => {
    const v = verifyPromotion({ source, target: rec('git-new', '1700000000.1'), to: 'production' }, rec('git-new', '1700000000.1'));
    assert.equal(v.ok, false);
  });
  it('given an older Deployed (a clock gone backwards or a stale write), then it did not take effect', () => {
    assert.equal(verifyPromotion({ source, target: rec('git-new', '1700000000.1'), to: 'production' }, rec('git-new', '1699999999.9')).ok, false);
  });
  it('given no record at all afterwards, then it did not take effect', () => {
    const v = verifyPromotion({ source, target: undefined, to: 'production' }, undefined);
    assert.deepEqual(v.ok ? 'ok' : v.reason, 'there is still no production record');
  });
});
