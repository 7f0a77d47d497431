import assert from 'node:assert/strict';
import fc from 'fast-check';
import { setKey, spellValue, unsetKey } from '../../../src/services/cfg/write.js';
import { ConfigParserOracle } from '../../helpers/configparser-oracle.js';

describe('cfg set/unset text rewrites', () => {
  let oracle: ConfigParserOracle;
  before(() => {
    oracle = new ConfigParserOracle();
  });
  after(() => oracle.close());

  it('given any one-line value, then the spelling sgn writes is read back by Python\'s configparser + the deployer as exactly that value (or sgn refuses it)', async function () {
    this.timeout(120_000);
    const unit = fc.constantFrom('a', 'Z', ' ', '\t', '"', "'", '#', ';', '=', ':', '%', '\u00a0', '\u3000', '\u001c', '\ufeff', 'é', '[', ']');
    let written = 0;
    await fc.assert(
      fc.asyncProperty(fc.string({ unit, maxLength: 8 }), async (value) => {
        const spelled = spellValue(value);
        if (spelled === undefined) {
          // Only values the deployer can never produce: quotes (or whitespace) at an end.
          const ends = ['"', "'", ' ', '\t', '\u001c', '\u00a0', '\u3000'];
          assert.ok(ends.includes(value[0]) || ends.includes(value[value.length - 1]), JSON.stringify(value));
          return;
        }
        written++;
        const text = setKey('A=1\r\n# c\r\nKEY=old\r\n  more\r\nZ=9', 'KEY', spelled);
        const python = await oracle.ask(new TextEncoder().encode(text));
        assert.ok('data' in python, JSON.stringify(python));
        assert.deepEqual(python.data, [
          ['A', '1'],
          ['KEY', value],
          ['Z', '9'],
        ]);
      }),
      { numRuns: 3000 },
    );
    assert.ok(written > 1000);
  });

  it('given an existing key, then only its line changes (spacing around the delimiter kept, continuation dropped)', () => {
    assert.equal(setKey('A=1\nkey : old\n  more\n\n  still\nB=2\n', 'KEY', 'new'), 'A=1\nkey : new\nB=2\n');
  });

  it('given an indented key, then the rewrite keeps its indentation', () => {
    assert.equal(setKey('  A=1\n', 'A', '2'), '  A=2\n');
  });

  it('given an empty file, then KEY=value and a final newline', () => {
    assert.equal(setKey('', 'A', '1'), 'A=1\n');
  });

  it('given a key in [DEFAULT] too, then unset removes it from both', () => {
    assert.equal(unsetKey('A=1\nB=2\n[DEFAULT]\na=0\nC=3\n', 'A'), 'B=2\n[DEFAULT]\nC=3\n');
  });
});
