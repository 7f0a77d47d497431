import assert from 'node:assert/strict';
import { consequence, decodeConfig, deployerRefuses, maxSecretDataBytes, validateConfig } from '../../../../src/services/cfg/validate.js';
import { exactBytes } from '../../../../src/bytes.js';

// What the deployer accepts but loses or breaks, and what Kubernetes refuses, told apart from
// what the deployer itself refuses (issue 16, item 3). Pure: no python, no S3.
const errorsOf = (text: string) => validateConfig(text).errors.map((p) => ({ line: p.line, by: p.by, message: p.message }));
const secret = (text: string) => Object.fromEntries(validateConfig(text).entries.map((e) => [e.key, e.value]));

describe('cfg validation tells the truth', () => {
  describe('keys that collide after lower() then upper()', () => {
    it('given straße=1 and STRASSE=2, then the Secret is {STRASSE: "2"} and line 1 is refused by sgn as silently lost', () => {
      const text = 'straße=1\nSTRASSE=2\n';
      assert.deepEqual(secret(text), { STRASSE: '2' });
      const errors = errorsOf(text);
      assert.equal(errors.length, 1);
      assert.equal(errors[0].line, 1);
      assert.equal(errors[0].by, 'sgn');
      assert.equal(errors[0].message, 'key "straße" becomes STRASSE, and so does key "STRASSE" on line 2: the deployer accepts this, but its Secret keeps only line 2\'s value and silently drops this one');
      assert.deepEqual(deployerRefuses(validateConfig(text)), [], 'the deployer does not refuse it');
      assert.equal(consequence(validateConfig(text)), undefined, 'no "Secret left as it was": the deployer does update it');
    });

    it('given three spellings, then every one but the last is reported, each naming the kept line', () => {
      const errors = errorsOf('ﬀ=1\nFF=2\nff_x=0\nﬀ_x=3\n');
      assert.deepEqual(errors.map((e) => [e.line, e.by]), [[1, 'sgn'], [3, 'sgn']]);
      assert.match(errors[0].message, /becomes FF, and so does key "FF" on line 2/);
      assert.match(errors[1].message, /becomes FF_X, and so does key "ﬀ_x" on line 4/);
    });

    it('given [DEFAULT] straße and [config] STRASSE, then the [config] value is kept, as in Python\'s items()', () => {
      const text = 'STRASSE=config\n[DEFAULT]\nstraße=default\n';
      assert.deepEqual(secret(text), { STRASSE: 'config' });
      assert.deepEqual(errorsOf(text).map((e) => [e.line, e.by]), [[3, 'sgn']]);
    });

    it('given a key in [DEFAULT] and [config] with the same spelling, then no collision (configparser merges them)', () => {
      assert.deepEqual(errorsOf('A=1\n[DEFAULT]\na=2\n'), []);
    });
  });

  describe('NUL bytes', () => {
    it('given a NUL in a value, then the bytes decode (Python reads them), the Secret keeps it, and sgn refuses with the consequence', () => {
      const decoded = decodeConfig(Buffer.from('A=1\r\nB=x\x00y\n'));
      assert.deepEqual(decoded, { ok: true, text: 'A=1\r\nB=x\x00y\n' });
      assert.deepEqual(secret('A=1\nB=x\x00y\n'), { A: '1', B: 'x\x00y' });
      assert.deepEqual(errorsOf('A=1\nB=x\x00y\n'), [
        { line: 2, by: 'sgn', message: "B's value holds a NUL byte: the deployer puts it into the Secret as is, but an environment variable cannot hold one, so containers that load the Secret with envFrom would not start" },
      ]);
    });

    it('given a NUL in a comment or an ignored section, then nothing to say', () => {
      assert.deepEqual(errorsOf('# a\x00b\nA=1\n[other]\nX=\x00\n'), []);
    });

    it('given a NUL in a key, then Kubernetes refuses the key, and the key is shown without the raw byte', () => {
      const errors = errorsOf('A\x00B=1\n');
      assert.equal(errors.length, 1);
      assert.equal(errors[0].by, 'kubernetes');
      assert.match(errors[0].message, /^key "a\\x00b" cannot be a Kubernetes Secret key/i);
      assert.ok(!errors[0].message.includes('\x00'));
    });
  });

  describe('size: what the Secret holds, not the file', () => {
    it('given a 1,100,007-byte file that is mostly a comment, then no problem: the Secret holds only A=1', () => {
      const text = `# ${'x'.repeat(1_100_007 - 2 - 1 - 4)}\nA=1\n`;
      assert.equal(Buffer.byteLength(text), 1_100_007);
      const v = validateConfig(text);
      assert.deepEqual(v.errors, []);
      assert.equal(v.secretDataBytes, 1);
      assert.deepEqual(secret(text), { A: '1' });
    });

    it('given values of exactly 1 MiB, then accepted; one byte more, then Kubernetes refuses, sizes exact', () => {
      const half = maxSecretDataBytes / 2;
      assert.deepEqual(validateConfig(`A=${'a'.repeat(half)}\nB=${'b'.repeat(half)}\n`).errors, []);
      const v = validateConfig(`A=${'a'.repeat(half)}\nB=${'b'.repeat(half)}é\n`);
      assert.equal(v.secretDataBytes, maxSecretDataBytes + 2, 'UTF-8 bytes, as Kubernetes counts them');
      assert.deepEqual(
        v.errors.map((e) => [e.line, e.by, e.message]),
        [[undefined, 'kubernetes', "the Secret's values add up to 1,048,578 bytes, more than the 1,048,576 bytes (1 MiB) a Kubernetes Secret can hold, so Kubernetes would refuse the deployer's Secret"]],
      );
      assert.match(consequence(v)!, /leaves the Secret as it was .* the deployer only posts a Slack warning and deploys anyway/);
    });

    it('given quotes and spaces around values, then they do not count (the deployer strips them)', () => {
      assert.equal(validateConfig(`A=  "'${'v'.repeat(10)}'"  \n`).secretDataBytes, 10);
    });

    it('exactBytes prints every digit', () => {
      assert.equal(exactBytes(1), '1 byte');
      assert.equal(exactBytes(999), '999 bytes');
      assert.equal(exactBytes(1_100_007), '1,100,007 bytes');
      assert.equal(exactBytes(16 * 1024 * 1024), '16,777,216 bytes');
    });
  });

  describe('what the deployer refuses keeps its reason', () => {
    it('given a duplicate key and a line without delimiter, then both are the deployer\'s, named after configparser\'s exceptions', () => {
      const v = validateConfig('A=1\na=2\njunk\n');
      assert.deepEqual(v.errors.map((e) => [e.line, e.by]), [[2, 'deployer'], [3, 'deployer']]);
      assert.match(v.errors[0].message, /DuplicateOptionError/);
      assert.match(v.errors[1].message, /ParsingError/);
      assert.equal(deployerRefuses(v).length, 2);
      assert.match(consequence(v)!, /Slack warning/);
    });

    it('given invalid UTF-8, then refused with the line and why', () => {
      assert.deepEqual(decodeConfig(Buffer.from('A=1\nB=caf\xe9\n', 'latin1')), { ok: false, reason: "it is not valid UTF-8 (first bad byte on line 2), which the deployer's Python cannot read" });
    });
  });
});
