import assert from 'node:assert/strict';
import { pyRepr, pyTime } from '../../src/python-repr.js';

describe('unit: python-repr (the deployer logs str(event))', () => {
  it('given the deploy payload, then it reads as Python prints the dict', () => {
    assert.equal(pyRepr({ 'SGNRunDeploy.job': { Application: 'web', envFrom: 'staging', envTo: 'production' } }), "{'SGNRunDeploy.job': {'Application': 'web', 'envFrom': 'staging', 'envTo': 'production'}}");
  });
  it('given quotes, escapes and constants, then Python\'s choices: double quotes only for a lone single quote', () => {
    assert.equal(pyRepr("it's"), `"it's"`);
    assert.equal(pyRepr(`it's "x"`), `'it\\'s "x"'`);
    assert.equal(pyRepr('a\nb\t\u0001'), "'a\\nb\\t\\x01'");
    assert.equal(pyRepr([true, false, null, 1.5]), '[True, False, None, 1.5]');
  });
  it('given epoch milliseconds, then time.time() formatting with a dot', () => {
    assert.equal(pyTime(1732631999000), '1732631999.0');
    assert.equal(pyTime(1732631999123), '1732631999.123');
  });
});
