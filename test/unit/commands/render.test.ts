import assert from 'node:assert/strict';
import { parseRender } from '../../../src/commands/render.js';
import { parseLint } from '../../../src/commands/lint.js';
import { UsageError } from '../../../src/errors.js';

describe('sgn render / sgn lint: parse', () => {
  it('Given an env and flags, Then typed options', () => {
    assert.deepEqual(parseRender(['production'], { project: 'web', tag: 'git-3f9c2a1', dir: 'app' }), { env: 'production', project: 'web', tag: 'git-3f9c2a1', dir: 'app' });
    assert.deepEqual(parseRender([], {}), { env: undefined, project: undefined, tag: undefined, dir: undefined });
  });
  it('Given a bad env, project or tag, Then a usage error', () => {
    for (const [args, flags] of [[['../x'], {}], [[], { project: 'a b' }], [[], { tag: 'git:1' }], [[], { tag: '-x' }]] as const) {
      assert.throws(() => parseRender([...args], { ...flags }), UsageError);
    }
  });
  it('Given envs for lint, Then each once, in order; --strict is a boolean', () => {
    assert.deepEqual(parseLint(['staging', 'production', 'staging'], { strict: true }), { envs: ['staging', 'production'], project: undefined, dir: undefined, strict: true });
    assert.deepEqual(parseLint([], {}), { envs: [], project: undefined, dir: undefined, strict: false });
    assert.throws(() => parseLint(['prod uction'], {}), UsageError);
  });
});
