import assert from 'node:assert/strict';
import { helpInvocations, main } from '../../src/cli.js';
import { cleanEnv, testStreams } from './helpers/io.js';

// Help as people read it: `sgn help [command...]` is `--help`, and every help screen wraps its
// prose at word boundaries for the terminal's width (never "mirror / images" at 80 columns).

async function run(argv: string[], columns?: number): Promise<{ code: number; out: string; err: string }> {
  const streams = testStreams({ tty: columns !== undefined, columns });
  const code = await main(argv, { streams, env: cleanEnv() });
  return { code, out: streams.out(), err: streams.err() };
}

/** Every command path with a help screen: '', 'ls', 'ls deployed', ... (aliases too). */
const paths = () => [...new Set(helpInvocations().map((a) => a.filter((w) => !w.startsWith('-')).join(' ')))];

describe('help', () => {
  it('given `sgn help <command...>`, then it prints exactly what `<command...> --help` prints, for every command', async () => {
    for (const path of paths()) {
      const words = path ? path.split(' ') : [];
      const viaHelp = await run(['help', ...words]);
      assert.deepEqual(viaHelp, await run([...words, '--help']), path);
      assert.equal(viaHelp.code, 0);
    }
  });

  it('given `sgn --help`, then help is listed among the commands', async () => {
    assert.match((await run(['--help'])).out, /\n {2}help \[command\.\.\.\] +show help for a command/);
  });

  it('given `sgn help` with an unknown command, then a usage error names it (exit 2), and extra words after a command are ignored', async () => {
    for (const argv of [['help', 'nope'], ['help', 'cfg', 'nope']]) {
      const res = await run(argv);
      assert.deepEqual([res.code, res.out], [2, '']);
      assert.match(res.err, /^sgn: unknown command 'nope'/);
    }
    assert.deepEqual(await run(['help', 'deploy', 'web']), await run(['deploy', '--help']));
  });

  for (const columns of [50, 80, 120]) {
    it(`given a terminal of ${columns} columns, then every help screen's prose fits it and breaks only where the next word would not fit`, async () => {
      for (const path of paths()) {
        const { out } = await run([...(path ? path.split(' ') : []), '--help'], columns);
        const lines = out.split('\n');
        // Examples are commands to copy: they are never wrapped.
        const prose = lines.slice(0, lines.indexOf('Examples:') >= 0 ? lines.indexOf('Examples:') : lines.length);
        for (const [i, line] of prose.entries()) {
          // From 80 columns on, everything fits (below, commander keeps a table row whole when the
          // description column would be narrower than 20, and the usage line whole); prose always fits.
          if (columns >= 80 || !/^( |Usage: )/.test(line)) assert.ok(line.length <= columns, `sgn ${path} --help, ${columns} columns: too long: ${line}`);
          const next = prose[i + 1];
          // Within a paragraph (the next line continues it at the same indentation): a premature break.
          if (!line || !next || /^\s*$/.test(next)) continue;
          const indent = (s: string) => s.length - s.trimStart().length;
          if (indent(next) !== indent(line) || indent(line) > 0) continue;
          const firstWord = next.trimStart().split(/\s/)[0];
          assert.ok(line.length + 1 + firstWord.length > columns, `sgn ${path} --help, ${columns} columns: "${line}" breaks before "${firstWord}"`);
        }
      }
    });
  }
});
