import assert from 'node:assert/strict';
import { parseCfgCat } from '../../../../src/commands/cfg/cat.js';
import { parseCfgDiff } from '../../../../src/commands/cfg/diff.js';
import { parseCfgEdit } from '../../../../src/commands/cfg/edit.js';
import { parseCfgHistory } from '../../../../src/commands/cfg/history.js';
import { parseCfgLs } from '../../../../src/commands/cfg/ls.js';
import { parseCfgRestore } from '../../../../src/commands/cfg/restore.js';
import { parseCfgSet, parseCfgUnset } from '../../../../src/commands/cfg/set.js';
import { UsageError } from '../../../../src/errors.js';

describe('sgn cfg: parse (argv -> options)', () => {
  it('ls: optional project, --json', () => {
    assert.deepEqual(parseCfgLs([], { json: true }), { project: undefined });
    assert.throws(() => parseCfgLs(['k8s_deployer'], {}), UsageError);
  });
  it('cat: env optional, --version-id checked', () => {
    assert.deepEqual(parseCfgCat(['web'], {}), { project: 'web', env: undefined, versionId: undefined, view: 'file' });
    assert.equal(parseCfgCat(['web'], { json: true }).view, 'secret');
    assert.equal(parseCfgCat(['web', 'staging'], { versionId: 'abc.DEF_1' }).versionId, 'abc.DEF_1');
    assert.throws(() => parseCfgCat(['web', 'staging'], { versionId: 'a b' }), UsageError);
    assert.throws(() => parseCfgCat(['web', 'st/aging'], {}), UsageError);
  });
  it('edit: --yes', () => {
    assert.deepEqual(parseCfgEdit(['web', 'production'], { yes: true }), { project: 'web', env: 'production', yes: true, showValues: false });
    assert.deepEqual(parseCfgEdit(['web', 'production'], { showValues: true, fromFile: '/k/web.ini' }), { project: 'web', env: 'production', yes: false, showValues: true, fromFile: '/k/web.ini' });
    assert.throws(() => parseCfgEdit(['../web'], {}), UsageError);
  });
  it('diff: two different environments', () => {
    assert.deepEqual(parseCfgDiff(['web', 'staging', 'production'], { showValues: true }), { project: 'web', envA: 'staging', envB: 'production', withValues: true, exitCode: false });
    assert.throws(() => parseCfgDiff(['web', 'staging', 'staging'], {}), UsageError);
  });
  it('history: --limit is a positive whole number', () => {
    assert.equal(parseCfgHistory(['web'], {}).limit, 20);
    assert.equal(parseCfgHistory(['web'], { limit: '5' }).limit, 5);
    assert.throws(() => parseCfgHistory(['web'], { limit: '0' }), UsageError);
    assert.throws(() => parseCfgHistory(['web'], { limit: 'x' }), UsageError);
  });
  it('restore: --version-id required', () => {
    assert.deepEqual(parseCfgRestore(['web', 'production'], { versionId: 'v1', yes: true }), { project: 'web', env: 'production', versionId: 'v1', yes: true, showValues: false });
    assert.throws(() => parseCfgRestore(['web', 'production'], {}), /Say which version to restore with --version-id/);
  });
  it('set: KEY=VALUE pairs (value may hold "="), keys checked, no repeats', () => {
    assert.deepEqual(parseCfgSet(['web', 'staging', 'URL=a=b', 'EMPTY='], {}).set, [
      { key: 'URL', value: 'a=b' },
      { key: 'EMPTY', value: '' },
    ]);
    assert.throws(() => parseCfgSet(['web', 'staging'], {}), /at least one KEY=VALUE/);
    assert.throws(() => parseCfgSet(['web', 'staging', '=1'], {}), UsageError);
    assert.throws(() => parseCfgSet(['web', 'staging', 'A#=1'], {}), UsageError);
    assert.throws(() => parseCfgSet(['web', 'staging', 'a=1', 'A=2'], {}), /named twice/);
  });
  it('unset: keys', () => {
    assert.deepEqual(parseCfgUnset(['web', 'staging', 'A', 'B'], {}).unset, ['A', 'B']);
    assert.throws(() => parseCfgUnset(['web', 'staging'], {}), UsageError);
  });
});
