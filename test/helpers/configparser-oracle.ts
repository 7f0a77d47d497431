import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { onStop } from './processes.js';

// Python's own configparser, driven exactly as the deployer drives it (roffe/k8s-deployer,
// src/handler.py, create_secret): the bytes are opened in text mode (universal newlines, UTF-8,
// strict), "[config]" is chained in front, RawConfigParser().read_file() reads them, and the Secret
// data is {key.upper(): value.strip('"').strip("'")} over parser.items('config').
// One JSON request per line on stdin, one JSON answer per line on stdout.
const oracle = String.raw`
import base64, configparser, io, json, sys
from itertools import chain

def answer(data):
    f = io.TextIOWrapper(io.BytesIO(data), encoding='utf-8')
    parser = configparser.RawConfigParser()
    try:
        parser.read_file(chain(("[config]",), f))
    except configparser.DuplicateOptionError as e:
        return {'error': 'DuplicateOptionError', 'line': e.lineno - 1, 'section': e.section, 'key': e.option}
    except configparser.DuplicateSectionError as e:
        return {'error': 'DuplicateSectionError', 'line': e.lineno - 1, 'section': e.section}
    except configparser.ParsingError as e:
        return {'error': 'ParsingError', 'lines': [n - 1 for n, _ in e.errors]}
    sections = [[name, list(opts.items())] for name, opts in parser._sections.items()]
    data = {}
    for key, value in parser.items('config'):
        value = value.strip('"')
        value = value.strip("'")
        data[key.upper()] = value
    return {'defaults': list(parser._defaults.items()), 'sections': sections, 'items': parser.items('config'), 'data': list(data.items())}

for line in sys.stdin:
    req = json.loads(line)
    try:
        out = answer(base64.b64decode(req['b64']))
    except Exception as e:
        out = {'crash': type(e).__name__ + ': ' + str(e)}
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()
`;

export type OracleAnswer =
  | { error: 'DuplicateOptionError'; line: number; section: string; key: string }
  | { error: 'DuplicateSectionError'; line: number; section: string }
  | { error: 'ParsingError'; lines: number[] }
  | { defaults: [string, string][]; sections: [string, [string, string][]][]; items: [string, string][]; data: [string, string][] }
  | { crash: string };

/** A long-lived python3 that answers "what does the deployer's configparser make of these bytes". */
export class ConfigParserOracle {
  private child: ChildProcessWithoutNullStreams;
  private waiting: ((line: string) => void)[] = [];
  readonly version: Promise<string>;

  constructor() {
    this.child = spawn('python3', ['-c', oracle], { stdio: ['pipe', 'pipe', 'pipe'] });
    const rl = createInterface({ input: this.child.stdout });
    rl.on('line', (line) => this.waiting.shift()?.(line));
    let stderr = '';
    this.child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    this.child.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w(JSON.stringify({ crash: `python3 exited (${code}): ${stderr}` }));
    });
    this.version = new Promise((resolve, reject) => {
      const v = spawn('python3', ['-c', 'import sys; print(sys.version.split()[0])']);
      let out = '';
      v.stdout.on('data', (d: Buffer) => (out += d.toString()));
      v.on('error', reject);
      v.on('close', () => resolve(out.trim()));
    });
    onStop(async () => this.close());
  }

  /** Parses the bytes with Python's configparser. */
  ask(bytes: Uint8Array): Promise<OracleAnswer> {
    return new Promise((resolve) => {
      this.waiting.push((line) => resolve(JSON.parse(line) as OracleAnswer));
      this.child.stdin.write(JSON.stringify({ b64: Buffer.from(bytes).toString('base64') }) + '\n');
    });
  }

  close(): void {
    this.child.stdin.end();
  }
}
