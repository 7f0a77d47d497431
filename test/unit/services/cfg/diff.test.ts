import assert from 'node:assert/strict';
import fc from 'fast-check';
import { conflictMarkerLines, diffLines, keepLineEndings, merge3, unifiedDiff } from '../../../../src/services/cfg/diff.js';
import { joinLines, splitLines } from '../../../../src/services/cfg/lines.js';

const L = (t: string) => splitLines(t);
const merge = (base: string, ours: string, theirs: string) => {
  const r = merge3(L(base), L(ours), L(theirs), { ours: 'ours', theirs: 'theirs' });
  return { text: joinLines(r.lines), conflicts: r.conflicts };
};

describe('cfg line diff, merge and line endings', () => {
  describe('splitLines', () => {
    it('given \\r\\n, \\r and \\n, then each is one line break (Python\'s universal newlines), kept per line', () => {
      assert.deepEqual(splitLines('a\r\nb\rc\nd'), [
        { text: 'a', eol: '\r\n' },
        { text: 'b', eol: '\r' },
        { text: 'c', eol: '\n' },
        { text: 'd', eol: '' },
      ]);
      fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', '\r', '\n', ' ') }), (s) => joinLines(splitLines(s)) === s));
    });
  });

  describe('diffLines', () => {
    it('given any two files, then applying the changes to the first gives the second', () => {
      const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd', ''), { maxLength: 30 });
      fc.assert(
        fc.property(lines, lines, (a, b) => {
          const out: string[] = [];
          let i = 0;
          for (const ch of diffLines(a, b)) {
            out.push(...a.slice(i, ch.aStart), ...b.slice(ch.bStart, ch.bEnd));
            i = ch.aEnd;
          }
          out.push(...a.slice(i));
          assert.deepEqual(out, b);
        }),
        { numRuns: 2000 },
      );
    });

    it('given one changed line among many, then exactly one change of one line', () => {
      const a = Array.from({ length: 100 }, (_, i) => `K${i}=${i}`);
      const b = [...a];
      b[50] = 'K50=changed';
      assert.deepEqual(diffLines(a, b), [{ aStart: 50, aEnd: 51, bStart: 50, bEnd: 51 }]);
    });
  });

  describe('unifiedDiff', () => {
    it('given a change, then a hunk with 3 lines of context and a note for a missing final newline', () => {
      const rows = unifiedDiff(L('1\n2\n3\n4\n5\n6\n7'), L('1\n2\n3\n4\n5\n6\nseven'));
      assert.deepEqual(rows, [
        { kind: 'hunk', text: '@@ -4,4 +4,4 @@' },
        { kind: 'context', text: '4' },
        { kind: 'context', text: '5' },
        { kind: 'context', text: '6' },
        { kind: 'delete', text: '7', noNewline: true },
        { kind: 'insert', text: 'seven', noNewline: true },
      ]);
    });
    it('given only line endings differ, then a note says so', () => {
      assert.deepEqual(unifiedDiff(L('a\r\n'), L('a\n')), [{ kind: 'note', text: 'only line endings differ' }]);
    });
  });

  describe('keepLineEndings', () => {
    it('given an editor turned CRLF into LF and added a final newline, then the original bytes come back', () => {
      assert.equal(joinLines(keepLineEndings(L('A=1\r\nB=2'), L('A=1\nB=2\n'))), 'A=1\r\nB=2');
    });
    it('given a changed and an added line, then they take the file\'s line ending; unchanged lines keep theirs', () => {
      assert.equal(joinLines(keepLineEndings(L('A=1\r\nB=2\nC=3\r\n'), L('A=1\nB=20\nC=3\nD=4\n'))), 'A=1\r\nB=20\r\nC=3\r\nD=4\r\n');
    });
    it('given any edit, then the content is the edited content and the final newline is the original\'s', () => {
      const text = fc.string({ unit: fc.constantFrom('a', 'b', '\n', '\r\n'), maxLength: 20 });
      fc.assert(
        fc.property(text, text, (a, b) => {
          const kept = keepLineEndings(L(a), L(b));
          assert.deepEqual(
            kept.map((l) => l.text),
            L(b).map((l) => l.text),
          );
          if (a.length && kept.length) assert.equal(kept[kept.length - 1].eol === '', !/[\r\n]$/.test(a));
        }),
        { numRuns: 2000 },
      );
    });
  });

  describe('merge3', () => {
    it('given changes to different lines, then both apply', () => {
      assert.deepEqual(merge('A=1\nB=2\nC=3\n', 'A=1\nB=2\nC=30\n', 'A=10\nB=2\nC=3\n'), { text: 'A=10\nB=2\nC=30\n', conflicts: 0 });
    });
    it('given both add different lines at the end, then both are kept, theirs first', () => {
      assert.deepEqual(merge('A=1\n', 'A=1\nMINE=1\n', 'A=1\nTHEIRS=1\n'), { text: 'A=1\nTHEIRS=1\nMINE=1\n', conflicts: 0 });
    });
    it('given both make the same change, then it appears once', () => {
      assert.deepEqual(merge('A=1\nB=2\n', 'A=2\nB=2\n', 'A=2\nB=2\n'), { text: 'A=2\nB=2\n', conflicts: 0 });
    });
    it('given changes to the same line, then a conflict with both versions marked', () => {
      const r = merge('A=1\nB=2\n', 'A=mine\nB=2\n', 'A=theirs\nB=2\n');
      assert.equal(r.conflicts, 1);
      assert.equal(r.text, '<<<<<<< ours\nA=mine\n=======\nA=theirs\n>>>>>>> theirs\nB=2\n');
      assert.deepEqual(conflictMarkerLines(L(r.text)), [1, 3, 5]);
    });
    it('given CRLF theirs without final newline, then the merge keeps their line endings', () => {
      assert.equal(merge('A=1\r\nB=2', 'A=1\r\nB=20', 'A=10\r\nB=2').text, 'A=10\r\nB=20');
    });
    it('given one side left the file as it was, then the merge is the other side', () => {
      const text = fc.string({ unit: fc.constantFrom('a', 'b', '\n'), maxLength: 16 }).map((t) => (t.endsWith('\n') || !t ? t : t + '\n'));
      fc.assert(
        fc.property(text, text, (base, other) => {
          assert.deepEqual(merge(base, base, other), { text: other, conflicts: 0 });
          assert.deepEqual(merge(base, other, base), { text: other, conflicts: 0 });
        }),
        { numRuns: 1000 },
      );
    });
    it('given any edits that touch different parts, then the merge contains both sides\' lines', () => {
      // ours edits the first half, theirs the second: never a conflict, and each side's result is kept.
      const half = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 6 });
      fc.assert(
        fc.property(half, half, half, half, (b1, b2, o1, t2) => {
          const base = [...b1, '--middle--', ...b2];
          const r = merge3(L(base.join('\n') + '\n'), L([...o1, '--middle--', ...b2].join('\n') + '\n'), L([...b1, '--middle--', ...t2].join('\n') + '\n'), { ours: 'o', theirs: 't' });
          assert.equal(r.conflicts, 0);
          assert.equal(joinLines(r.lines), [...o1, '--middle--', ...t2].join('\n') + '\n');
        }),
        { numRuns: 1000 },
      );
    });
  });
});
