import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { artifactFiles } from '../../src/sandbox/fixtures-deploy.js';
import { ensureMoto, motoVenvDir } from '../../src/sandbox/moto.js';
import { PyError } from '../../src/sandbox/py-error.js';
import { pyYamlLoad } from '../../src/sandbox/pyyaml.js';
import { renderTemplate } from '../../src/sandbox/render-step.js';

// The deployer emulator's yaml.load against PyYAML itself (the moto venv's; its scanner is the
// one the deployer's 4.2b4 has): where a tab breaks a file, and with which message and mark.
const oracle = String.raw`
import io, json, sys, yaml
for line in sys.stdin:
    req = json.loads(line)
    f = io.StringIO(req['text']); f.name = req['name']
    try:
        out = {'ok': yaml.load(f, Loader=yaml.Loader)}
    except Exception as e:
        out = {'type': type(e).__name__, 'message': str(e)}
    sys.stdout.write(json.dumps(out, default=str) + '\n'); sys.stdout.flush()
`;

type Answer = { ok: unknown } | { type: string; message: string };

describe('deployer emulator: tabs in YAML, against PyYAML', function () {
  this.timeout(300_000);
  let ask: (text: string) => Promise<Answer>;
  let close: () => void;
  const name = '/tmp/tmpabc123/deploy/x.yml';

  before(async () => {
    await ensureMoto(process.env);
    const child = spawn(join(motoVenvDir(process.env), 'bin', 'python'), ['-c', oracle], { stdio: ['pipe', 'pipe', 'inherit'] });
    const waiting: ((a: Answer) => void)[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => waiting.shift()?.(JSON.parse(l) as Answer));
    ask = (text) => new Promise((resolve) => {
      waiting.push(resolve);
      child.stdin.write(JSON.stringify({ text, name }) + '\n');
    });
    close = () => child.stdin.end();
  });
  after(() => close());

  const sgn = async (text: string): Promise<Answer> => {
    try {
      return { ok: JSON.parse(JSON.stringify(await pyYamlLoad(text, name))) as unknown };
    } catch (e) {
      if (e instanceof PyError) return { type: e.type, message: e.message };
      throw e;
    }
  };
  /** Same outcome: both load the same values, or both raise ScannerError with the same text. */
  const agree = async (text: string) => {
    const [python, ours] = await Promise.all([ask(text), sgn(text)]);
    if ('ok' in python) assert.deepEqual(ours, python, JSON.stringify(text));
    else if (python.type === 'ScannerError' || ('type' in ours && ours.type === 'ScannerError')) assert.deepEqual(ours, python, JSON.stringify(text));
    else assert.ok('type' in ours, `PyYAML raised ${python.type} for ${JSON.stringify(text)}, sgn loaded it`);
  };

  const table = [
    'a:\n\tb: 1\n',
    'a:\tb\n',
    'a: b\t\n',
    'a: b\tc\n',
    'a: "b\tc"\n',
    "a: 'b\t''c'\n",
    'a: b: c\n',
    'a: b:\tc\n',
    '- a: b\n  c: d: e\n',
    'a:\n  - b: c\n    d: e\n',
    '"a": b\n',
    '&x a: b\n',
    'a: &y b\nc: *y\n',
    '? a\n: b\n',
    'a: |\n  x\nb: c\n',
    'url: http://x:80/y\n',
    'a: |\n  x\ty\n  \tz\nb: 1\n',
    'a: >-\n    x\n\ty\n',
    '- |\n  x\n\t- y\n',
    'k:\n  - name: x\n    v: |\n      p\tq\n    w: 1\n',
    'a: [1,\t2]\n',
    'a: {b: 1,\tc: 2}\n',
    '# c\td\na: 1 # e\tf\n',
    'a: 1\n\t\n',
    'a: |2\n    x\n  \ty\n',
    'a: | \t\n  x\n',
  ];
  it('given a table of tab placements, then the same ScannerError (or the same document) as PyYAML', async () => {
    for (const text of table) await agree(text);
  });

  it('given the sandbox\'s rendered templates with a tab inserted at every position, then the same outcome as PyYAML each time', async () => {
    let checked = 0;
    for (const f of artifactFiles('shop', 'git-1234567')) {
      const text = renderTemplate(f.data.toString(), { namespace: 'shop', deploy_image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:git-1234567' }, f.name);
      for (let i = 0; i <= text.length; i++) {
        await agree(text.slice(0, i) + '\t' + text.slice(i));
        checked++;
      }
    }
    assert.ok(checked > 500);
  });
});
