import assert from 'node:assert/strict';
import { validateName } from '../../src/names.js';
import { UsageError } from '../../src/errors.js';

describe('unit: names', () => {
  it('given names that fit keys, repositories and log groups, then they pass unchanged', () => {
    for (const n of ['web', 'api-v2', 'my_app.1', 'A0']) assert.equal(validateName(n, 'project'), n);
  });
  it('given names that could escape their place, then a usage error with the grammar right', () => {
    for (const n of ['', 'a/b', '..', 'a..b', '-x', 'a b', 'x'.repeat(129)]) assert.throws(() => validateName(n, 'project'), UsageError, n);
    assert.throws(() => validateName('a/b', 'environment'), (e: UsageError) => e.hint!.startsWith('An environment name has'));
    assert.throws(() => validateName('a/b', 'project'), (e: UsageError) => e.hint!.startsWith('A project name has'));
  });
});
