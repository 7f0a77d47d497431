import assert from 'node:assert/strict';
import { parseRollback } from '../../../src/commands/rollback.js';
import { parseDeploy } from '../../../src/commands/deploy.js';
import { parseHistory } from '../../../src/commands/history.js';
import { UsageError } from '../../../src/errors.js';

describe('sgn rollback / deploy --tag / history: parse', () => {
  it('given rollback without --to, then a rollback to what ran before; with --to, then that tag', () => {
    assert.deepEqual(parseRollback(['web', 'production'], {}).release, { kind: 'rollback' });
    assert.deepEqual(parseRollback(['web', 'production'], { to: 'git-3f9c2a1', yes: true }).release, { kind: 'rollback', tag: 'git-3f9c2a1' });
  });
  it('given a tag with a slash or a colon, then a usage error', () => {
    assert.throws(() => parseRollback(['web', 'production'], { to: 'git/x' }), UsageError);
    assert.throws(() => parseDeploy(['web', 'production'], { tag: 'sgn:rollback:x' }), UsageError);
  });
  it('given deploy --tag, then a release; with --from too, then a usage error', () => {
    assert.deepEqual(parseDeploy(['web', 'production'], { tag: 'git-1' }).release, { kind: 'release', tag: 'git-1' });
    assert.throws(() => parseDeploy(['web', 'production'], { tag: 'git-1', from: 'staging' }), /--tag and --from contradict/);
  });
  it('given history with an env and --limit, then both; a bad limit is a usage error', () => {
    assert.deepEqual(parseHistory(['web', 'production'], { limit: '5' }), { project: 'web', env: 'production', limit: 5 });
    assert.deepEqual(parseHistory(['web'], {}), { project: 'web', limit: undefined });
    assert.throws(() => parseHistory(['web'], { limit: '0' }), UsageError);
  });
});
