import assert from 'node:assert/strict';
import { decodeConfig, validateConfig } from '../../../../src/services/cfg/validate.js';
import { configLayout } from '../../../../src/services/cfg/layout.js';
import { SgnError, UsageError } from '../../../../src/errors.js';

const problems = (text: string) => {
  const v = validateConfig(text);
  return { errors: v.errors.map((p) => `${p.line}: ${p.message}`), warnings: v.warnings.map((p) => `${p.line}: ${p.message}`) };
};

describe('cfg validation beyond configparser', () => {
  it('given a BOM, then one error on line 1 that says what it is', () => {
    assert.deepEqual(problems('\ufeffA=1\n').errors, ['1: the file starts with a byte-order mark (U+FEFF), which the deployer reads as part of the first line, so Kubernetes would refuse that key; save it as UTF-8 without BOM']);
  });

  it('given keys Kubernetes refuses in a Secret, then errors name the line', () => {
    const { errors } = problems('OK_KEY=1\nmy key=2\n..hidden=3\n');
    assert.equal(errors.length, 2);
    assert.match(errors[0], /^2: key "my key" cannot be a Kubernetes Secret key/);
    assert.match(errors[1], /^3: key "\.\.hidden" cannot be a Kubernetes Secret key/);
  });

  it('given two keys that upper-case alike (ı and i), then the first, whose value the deployer drops, is an error', () => {
    assert.match(problems('ı=1\ni=2\n').errors.join('\n'), /1: key "ı" becomes I, and so does key "i" on line 2/);
  });

  it('given an indented KEY=VALUE line, then a warning that it continues the value above', () => {
    assert.deepEqual(problems('A=1\n  B=2\n').warnings, ["2: this line is indented, so the deployer reads it as more of A's value (line 1), not as a new key"]);
  });

  it('given other sections, [DEFAULT], quote stripping beyond one pair and odd env names, then warnings, not errors', () => {
    const { errors, warnings } = problems('A=""x""\nmy.key=1\n[DEFAULT]\nD=1\n[other]\nX=1\n');
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings, [
      "1: the deployer strips every quote at both ends of A's value (double quotes, then single quotes), not just one matching pair",
      '2: MY.KEY is not a usual environment variable name; containers that load the Secret with envFrom may skip it',
      '3: keys under [DEFAULT] still go into the Secret (configparser merges DEFAULT into the config section)',
      '5: keys under [other] are ignored by the deployer; only keys above the first section header become the Secret',
    ]);
  });

  it('given bytes, then non-UTF-8 files are refused with the line; NUL bytes and big files are text to Python', () => {
    assert.deepEqual(decodeConfig(Buffer.from('A=1\r\nB=\x00')), { ok: true, text: 'A=1\r\nB=\x00' });
    assert.deepEqual(decodeConfig(Buffer.from('A=1\nB=2\nC=\xff', 'latin1')), { ok: false, reason: "it is not valid UTF-8 (first bad byte on line 3), which the deployer's Python cannot read" });
    assert.equal(decodeConfig(Buffer.alloc(2 * 1024 * 1024, 0x41)).ok, true);
    assert.deepEqual(decodeConfig(Buffer.from('\ufeffA=é\n')), { ok: true, text: '\ufeffA=é\n' }, 'a BOM is kept, as Python keeps it');
  });
});

describe('cfg key layout', () => {
  it('given the default pattern, then keys, prefixes and parsing agree, and k8s_deployer is never a config file', () => {
    const l = configLayout('{project}/{env}/config');
    assert.equal(l.keyFor('web', 'staging'), 'web/staging/config');
    assert.equal(l.projectPrefix('web'), 'web/');
    assert.ok(l.projectIsFolder);
    assert.deepEqual(l.parse('web/staging/config'), { project: 'web', env: 'staging' });
    assert.equal(l.parse('k8s_deployer/staging/config'), undefined);
    assert.equal(l.parse('web/staging/config.bak'), undefined);
    assert.throws(() => l.keyFor('k8s_deployer', 'staging'), UsageError);
  });
  it('given another pattern, then it works there too', () => {
    const l = configLayout('envs/{env}/{project}.ini');
    assert.equal(l.root, 'envs/');
    assert.equal(l.projectIsFolder, false);
    assert.deepEqual(l.parse('envs/qa/web.ini'), { project: 'web', env: 'qa' });
  });
  it('given a pattern without {env}, then a clear error', () => {
    assert.throws(() => configLayout('{project}/config'), (e: Error) => e instanceof SgnError && /must contain \{project\} and \{env\} once each/.test(e.message));
  });
});
