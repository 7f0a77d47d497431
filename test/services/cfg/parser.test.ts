import assert from 'node:assert/strict';
import fc from 'fast-check';
import { configItems, parseConfig, secretEntries } from '../../../src/services/cfg/parser.js';
import { ConfigParserOracle, type OracleAnswer } from '../../helpers/configparser-oracle.js';

/** sgn's parser, answering in the oracle's shape. */
function sgnAnswer(text: string): OracleAnswer {
  const p = parseConfig(text);
  const e = p.pythonError;
  if (e?.type === 'ParsingError') return { error: 'ParsingError', lines: e.lines };
  if (e?.type === 'DuplicateOptionError') return { error: e.type, line: e.line, section: e.section, key: e.key! };
  if (e?.type === 'DuplicateSectionError') return { error: e.type, line: e.line, section: e.section };
  return {
    defaults: [...p.defaults].map(([k, o]) => [k, o.value]),
    sections: [...p.sections].map(([name, opts]) => [name, [...opts].map(([k, o]) => [k, o.value] as [string, string])]),
    items: configItems(p).map((o) => [o.key, o.value]),
    data: secretEntries(p).map((d) => [d.key, d.value]),
  };
}

const enc = new TextEncoder();

// Files that probe every rule of configparser's _read as the deployer configures it. Each one
// is parsed by Python's configparser and by sgn; both must agree on keys, values and errors.
const tricky: [string, string][] = [
  ['empty file', ''],
  ['one pair', 'KEY=value\n'],
  ['colon separator', 'KEY: value\n'],
  ['first delimiter wins', 'A=b=c:d\nB:c=d\n'],
  ['spaces around delimiter', 'KEY   =   spaced value   \n'],
  ['no final newline', 'A=1\nB=2'],
  ['CRLF', 'A=1\r\nB=2\r\n'],
  ['lone CR line breaks', 'A=1\rB=2\r'],
  ['mixed line breaks', 'A=1\r\nB=2\nC=3\rD=4'],
  ['keys are case-insensitive: duplicate', 'Key=1\nKEY=2\n'],
  ['duplicate key after other lines', 'A=1\nB=2\n# c\nb = 3\n'],
  ['empty key', '=value\n'],
  ['empty key twice (duplicate wins)', '=1\n=2\n'],
  ['line without delimiter', 'A=1\njunk\nB=2\nmore junk\n'],
  ['hash comment', '# comment\nA=1\n'],
  ['semicolon comment', '; comment\nA=1\n'],
  ['indented comment', '   # comment\nA=1\n'],
  ['inline # is part of the value', 'A=1 # not a comment\n'],
  ['inline ; is part of the value', 'A=1 ; not a comment\n'],
  ['double quotes stripped', 'A="quoted"\n'],
  ['single quotes stripped', "A='quoted'\n"],
  ['every quote at the ends is stripped', 'A=""x""\nB="\'y\'"\nC=\'"z"\'\nD="unbalanced\nE=\'\n'],
  ['quotes inside kept', 'A=a"b\'c\n'],
  ['continuation line', 'A=first\n  second\n\tthird\nB=2\n'],
  ['empty lines inside a value', 'A=first\n\n  second\n\n\nB=2\n'],
  ['comment inside a value', 'A=first\n# c\n  second\n'],
  ['trailing empty lines dropped', 'A=first\n  second\n\n\n'],
  ['continuation of an empty value', 'A=\n  more\n'],
  ['indented first key', '  A=1\nB=2\n  C=3\n'],
  ['indented key after empty line continues', 'A=1\n\n  B=2\n'],
  ['deeper indent than option only', '  A=1\n  B=2\n    C=3\n'],
  ['section header inside', 'A=1\n[other]\nB=2\n'],
  ['second [config] is a duplicate section', 'A=1\n[config]\nB=2\n'],
  ['duplicate other section', '[x]\nA=1\n[x]\nB=2\n'],
  ['DEFAULT section merges', '[DEFAULT]\nD=1\nA=2\n[config]\n'],
  ['DEFAULT then config override', 'A=0\n[DEFAULT]\nA=1\nB=2\n'],
  ['DEFAULT twice is fine', '[DEFAULT]\nA=1\n[DEFAULT]\nB=2\n'],
  ['DEFAULT duplicate key', '[DEFAULT]\nA=1\n[DEFAULT]\nA=2\n'],
  ['default lower-case is a section', '[default]\nA=1\n'],
  ['header runs to last bracket', '[a]b]\nA=1\n[c] trailing\nB=2\n'],
  ['empty brackets are not a header', '[]\n'],
  ['header with delimiter', '[a=b]\nA=1\n'],
  ['indented header', '  [x]\nA=1\n'],
  ['header indented under a value continues it', 'A=1\n  [x]\n'],
  ['unicode whitespace strip', 'A=\u00a0v\u00a0\nB\u3000=\u3000w\u2028\n'],
  ['U+001C..U+001F are Python whitespace', 'A=\u001cv\u001f\n\u001d\u001e\n'],
  ['U+0085 is Python whitespace', 'A=1\n\u0085B=2\n'],
  ['BOM is not whitespace', '\ufeffA=1\n'],
  ['vertical tab and form feed indent', 'A=1\n\u000bB=2\n\u000cC=3\n'],
  ['key with spaces', 'my key = v\n'],
  ['unicode keys lower then upper', 'É=1\nß=2\nİ=3\n\u212a=4\nΣΣ=5\n'],
  ['upper-case collision (ı and i)', 'ı=1\ni=2\n'],
  ['only whitespace lines', '   \n\t\n'],
  ['only comments', '# a\n; b\n'],
  ['value with equals and colons', 'URL=postgres://u:p@h:5432/db?x=1\n'],
  ['key with colon first', 'a:b=c\n'],
  ['error lines collected across file', 'x\nA=1\ny\n[s]\nz\n'],
  ['duplicate stops before later parse errors', 'junk\nA=1\nA=2\nmore junk\n'],
  ['key ending in spaces then delimiter', 'A \t = 1\n'],
  ['percent signs (no interpolation)', 'A=%(B)s\nB=100%\n'],
];

describe('cfg parser: the deployer\'s configparser rules', () => {
  let oracle: ConfigParserOracle;
  before(() => {
    oracle = new ConfigParserOracle();
  });
  after(() => oracle.close());

  describe('given a table of tricky files, then sgn and Python\'s configparser agree on keys, values and errors', () => {
    for (const [name, text] of tricky) {
      it(name, async () => {
        const python = await oracle.ask(enc.encode(text));
        assert.ok(!('crash' in python), JSON.stringify(python));
        assert.deepEqual(sgnAnswer(text), python);
      });
    }
  });

  describe('documented behaviour (also checked against Python above)', () => {
    it('given every kind of quoting, then the deployer strips all double quotes, then all single quotes, at both ends', () => {
      const p = parseConfig('A=""x""\nB="\'y\'"\nC=\'"z"\'\nD="unbalanced\n');
      assert.deepEqual(
        secretEntries(p).map((e) => [e.key, e.value]),
        [
          ['A', 'x'],
          ['B', 'y'],
          ['C', '"z"'],
          ['D', 'unbalanced'],
        ],
      );
    });
    it('given a duplicate key in another case, then the error names the user\'s line numbers', () => {
      const p = parseConfig('# c\nDB_HOST=a\n\ndb_host=b\n');
      assert.deepEqual(p.pythonError, { type: 'DuplicateOptionError', line: 4, section: 'config', key: 'db_host' });
      assert.deepEqual(p.errors[0], { type: 'DuplicateOptionError', line: 4, section: 'config', key: 'db_host', rawKey: 'db_host', firstLine: 2 });
    });
    it('given an option with continuation lines, then it knows the lines and where the value starts', () => {
      const p = parseConfig('A = one\n  two\n\n  three\n\nB=2\n');
      const a = p.sections.get('config')!.get('a')!;
      assert.equal(a.value, 'one\ntwo\n\nthree');
      assert.deepEqual(a.continuation, [2, 3, 4]);
      assert.equal(a.valueColumn, 4);
    });
  });

  describe('given generated files', () => {
    const runs = Number(process.env.SGN_DIFF_RUNS ?? 20_000);

    const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
    const ws = pick('', ' ', '  ', '\t', '\u000b', '\u000c', '\u00a0', '\u3000', '\u001c', '\u0085', '\u2028', '\ufeff');
    const keyUnit = pick('a', 'A', 'b', 'B', 'k', '_', '-', '.', '1', ' ', 'é', 'É', 'ß', 'ı', 'İ', 'Σ', '\u212a', '[', ']', '#', ';', '"', "'", '%');
    const valueUnit = pick('x', 'Y', '1', ' ', '\t', '"', "'", '#', ';', '=', ':', '[', ']', '%', 'é', '\u00a0', '\u3000', '\ufeff', '\\');
    const key = fc.string({ unit: keyUnit, maxLength: 3 });
    const value = fc.string({ unit: valueUnit, maxLength: 6 });
    const delim = pick('=', ':', ' = ', ' : ', '==', '=:', ':=', '\t=\t', ' =', '= ');
    const sectionName = pick('config', 'DEFAULT', 'default', 'other', 'x]y', '', ' ', 'a b', 'k');
    const lineArb = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(ws, key, delim, value, ws).map((p) => p.join('')) },
      { weight: 2, arbitrary: fc.tuple(ws, pick('#', ';', ' #', '\u00a0;'), value).map((p) => p.join('')) },
      { weight: 2, arbitrary: ws },
      { weight: 1, arbitrary: fc.tuple(ws, sectionName, ws).map(([a, n, b]) => `${a}[${n}]${b}`) },
      { weight: 1, arbitrary: fc.tuple(ws, value).map((p) => p.join('')) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
    );
    const fileArb = fc.oneof(
      {
        weight: 9,
        arbitrary: fc
          .tuple(fc.array(fc.tuple(lineArb, pick('\n', '\r\n', '\r')), { maxLength: 12 }), fc.boolean())
          .map(([lines, finalNewline]) => {
            const text = lines.map(([l, eol]) => l + eol).join('');
            return finalNewline || lines.length === 0 ? text : text.slice(0, text.length - lines[lines.length - 1][1].length);
          }),
      },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
    );

    it(`given ${runs} generated files, then sgn and Python's configparser never disagree`, async function () {
      this.timeout(600_000);
      let checked = 0;
      const kinds = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(fileArb, async (text) => {
          const python = await oracle.ask(enc.encode(text));
          assert.ok(!('crash' in python), JSON.stringify(python));
          assert.deepEqual(sgnAnswer(text), python);
          checked++;
          const kind = 'error' in python ? python.error : 'ok';
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        }),
        { numRuns: runs, seed: process.env.SGN_DIFF_SEED ? Number(process.env.SGN_DIFF_SEED) : undefined },
      );
      assert.equal(checked, runs);
      // The generator must reach every outcome, or the agreement says little.
      for (const kind of ['ok', 'DuplicateOptionError', 'DuplicateSectionError', 'ParsingError']) assert.ok((kinds.get(kind) ?? 0) > runs / 100, `${kind}: ${kinds.get(kind)}`);
      process.stdout.write(`      differential: ${checked} generated files, 0 disagreements with Python ${await oracle.version} configparser (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')})\n`);
    });
  });
});
