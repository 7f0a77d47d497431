/**
 * Line diffs for config files, small enough to own: Myers' O(ND) diff, unified hunks for people,
 * a three-way merge for "someone changed the file while you were editing", and the rule that
 * keeps a file's line endings and final newline when an editor rewrote them.
 */
import { dominantEol, endsWithNewline, normalizeEnds, type Eol, type Line } from './lines.js';

/** A changed region: lines [aStart, aEnd) of A became lines [bStart, bEnd) of B. */
export interface Change {
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
}

/** Beyond this many differing lines, the diff stops looking for the shortest script. */
const maxEditDistance = 4000;

/** The changes that turn `a` into `b` (a shortest edit script; lines compared as strings). */
export function diffLines(a: readonly string[], b: readonly string[]): Change[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const n = endA - start;
  const m = endB - start;
  if (n === 0 && m === 0) return [];
  if (n === 0 || m === 0) return [{ aStart: start, aEnd: endA, bStart: start, bEnd: endB }];

  // Myers: v[k] is the furthest x on diagonal k; keep each round's v to walk back the path.
  const max = Math.min(n + m, maxEditDistance);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[start + x] === b[start + y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  // Too different to be worth a minimal script: one change covering everything in between.
  if (found < 0) return [{ aStart: start, aEnd: endA, bStart: start, bEnd: endB }];

  // Walk back from (n, m), collecting matched (snake) lines.
  const matches: [number, number][] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && prev[offset + k - 1] < prev[offset + k + 1]) ? k + 1 : k - 1;
    const prevX = prev[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      matches.push([x - 1, y - 1]);
      x--;
      y--;
    }
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    matches.push([x - 1, y - 1]);
    x--;
    y--;
  }
  matches.reverse();

  const changes: Change[] = [];
  let ai = 0;
  let bi = 0;
  for (const [ma, mb] of [...matches, [n, m] as [number, number]]) {
    if (ma > ai || mb > bi) changes.push({ aStart: start + ai, aEnd: start + ma, bStart: start + bi, bEnd: start + mb });
    ai = ma + 1;
    bi = mb + 1;
  }
  return changes;
}

/** One line of a unified diff, for rendering. */
export type DiffRow =
  | { kind: 'hunk'; text: string }
  | { kind: 'context' | 'delete' | 'insert'; text: string; noNewline?: boolean }
  | { kind: 'note'; text: string };

/** A unified diff (3 lines of context) from `before` to `after`, lines compared by content. */
export function unifiedDiff(before: readonly Line[], after: readonly Line[], context = 3): DiffRow[] {
  const changes = diffLines(
    before.map((l) => l.text),
    after.map((l) => l.text),
  );
  const rows: DiffRow[] = [];
  const lastA = before.length - 1;
  const lastB = after.length - 1;
  const row = (kind: 'context' | 'delete' | 'insert', l: Line, isLast: boolean): DiffRow => ({ kind, text: l.text, ...(isLast && !l.eol ? { noNewline: true } : {}) });
  let i = 0;
  while (i < changes.length) {
    // Group changes whose context overlaps into one hunk.
    let j = i;
    while (j + 1 < changes.length && changes[j + 1].aStart - changes[j].aEnd <= 2 * context) j++;
    const aFrom = Math.max(0, changes[i].aStart - context);
    const aTo = Math.min(before.length, changes[j].aEnd + context);
    const bFrom = changes[i].bStart - (changes[i].aStart - aFrom);
    const bTo = changes[j].bEnd + (aTo - changes[j].aEnd);
    rows.push({ kind: 'hunk', text: `@@ -${aFrom + 1},${aTo - aFrom} +${bFrom + 1},${bTo - bFrom} @@` });
    let a = aFrom;
    for (let c = i; c <= j; c++) {
      const ch = changes[c];
      for (; a < ch.aStart; a++) rows.push(row('context', before[a], a === lastA));
      for (let d = ch.aStart; d < ch.aEnd; d++) rows.push(row('delete', before[d], d === lastA));
      for (let n = ch.bStart; n < ch.bEnd; n++) rows.push(row('insert', after[n], n === lastB));
      a = ch.aEnd;
    }
    for (; a < aTo; a++) rows.push(row('context', before[a], a === lastA));
    i = j + 1;
  }
  if (changes.length === 0 && before.some((l, k) => l.eol !== after[k]?.eol)) rows.push({ kind: 'note', text: 'only line endings differ' });
  return rows;
}

/**
 * The edited file with the original's line endings and final newline restored: an editor that
 * turned CRLF into LF, or added a final newline, changed no content, so nothing of that reaches
 * S3. Unchanged lines keep their bytes; new lines get the file's dominant line ending.
 */
export function keepLineEndings(original: readonly Line[], edited: readonly Line[]): Line[] {
  if (original.length === 0) return [...edited];
  const changes = diffLines(
    original.map((l) => l.text),
    edited.map((l) => l.text),
  );
  const eol = original.some((l) => l.eol) ? dominantEol(original) : dominantEol(edited);
  const out: Line[] = [];
  let a = 0;
  for (const ch of [...changes, { aStart: original.length, aEnd: original.length, bStart: edited.length, bEnd: edited.length }]) {
    for (; a < ch.aStart; a++) out.push(original[a]);
    for (let b = ch.bStart; b < ch.bEnd; b++) out.push({ text: edited[b].text, eol });
    a = ch.aEnd;
  }
  return normalizeEnds(out, eol, endsWithNewline(original));
}

export interface MergeResult {
  lines: Line[];
  /** Regions both sides changed differently; marked in `lines` with <<<<<<< ======= >>>>>>>. */
  conflicts: number;
}

interface SideChange extends Change {
  side: 'ours' | 'theirs';
  lines: Line[];
}

/**
 * Three-way merge of lines: `ours` and `theirs` both started from `base`. Changes to different
 * lines combine; lines both sides added at the same place are kept, theirs first; changes to the
 * same lines conflict unless identical. The result follows theirs' final newline.
 */
export function merge3(base: readonly Line[], ours: readonly Line[], theirs: readonly Line[], labels: { ours: string; theirs: string }): MergeResult {
  const texts = (ls: readonly Line[]) => ls.map((l) => l.text);
  const side = (name: 'ours' | 'theirs', ls: readonly Line[]): SideChange[] =>
    diffLines(texts(base), texts(ls)).map((c) => ({ ...c, side: name, lines: ls.slice(c.bStart, c.bEnd) }));
  const all = [...side('theirs', theirs), ...side('ours', ours)].sort((x, y) => x.aStart - y.aStart || x.aEnd - y.aEnd || (x.side === 'theirs' ? -1 : 1));

  const clash = (x: SideChange, y: SideChange) => {
    if (x.side === y.side) return false;
    const xEmpty = x.aStart === x.aEnd;
    const yEmpty = y.aStart === y.aEnd;
    if (xEmpty && yEmpty) return false; // both insert at one place: keep both
    if (xEmpty) return y.aStart < x.aStart && x.aStart < y.aEnd;
    if (yEmpty) return x.aStart < y.aStart && y.aStart < x.aEnd;
    return x.aStart < y.aEnd && y.aStart < x.aEnd;
  };
  const same = (x: SideChange, y: SideChange) => x.aStart === y.aStart && x.aEnd === y.aEnd && x.lines.length === y.lines.length && x.lines.every((l, i) => l.text === y.lines[i].text);

  const samePointInserts = (x: SideChange, y: SideChange) => x.side !== y.side && x.aStart === x.aEnd && y.aStart === y.aEnd && x.aStart === y.aStart;

  const eol = dominantEol(theirs.length ? theirs : base);
  const out: Line[] = [];
  let conflicts = 0;
  let pos = 0;
  let i = 0;
  while (i < all.length) {
    // A group: changes that clash with each other (transitively), or insert at the same place.
    const group = [all[i]];
    let j = i + 1;
    while (j < all.length && group.some((g) => clash(g, all[j]) || samePointInserts(g, all[j]))) group.push(all[j++]);
    const from = Math.min(...group.map((g) => g.aStart));
    const end = Math.max(...group.map((g) => g.aEnd));
    for (; pos < from; pos++) out.push(base[pos]);
    if (group.length === 1 || (group.length === 2 && same(group[0], group[1]))) {
      out.push(...group[0].lines);
    } else if (group.every((g) => g.aStart === g.aEnd)) {
      for (const g of group) out.push(...g.lines); // theirs first (sorted so)
    } else {
      conflicts++;
      const version = (name: 'ours' | 'theirs') => {
        const lines: Line[] = [];
        let p = from;
        for (const g of group.filter((c) => c.side === name)) {
          for (; p < g.aStart; p++) lines.push(base[p]);
          lines.push(...g.lines);
          p = Math.max(p, g.aEnd);
        }
        for (; p < end; p++) lines.push(base[p]);
        return lines;
      };
      out.push(
        { text: `<<<<<<< ${labels.ours}`, eol },
        ...normalizeEnds(version('ours'), eol, true),
        { text: '=======', eol },
        ...normalizeEnds(version('theirs'), eol, true),
        { text: `>>>>>>> ${labels.theirs}`, eol },
      );
    }
    pos = Math.max(pos, end);
    i = j;
  }
  for (; pos < base.length; pos++) out.push(base[pos]);
  return { lines: normalizeEnds(out, eol, endsWithNewline(theirs)), conflicts };
}

/** Line numbers (1-based) of conflict markers left in a file. */
export function conflictMarkerLines(lines: readonly Line[]): number[] {
  const out: number[] = [];
  lines.forEach((l, i) => {
    if (/^(<{7}|>{7}|={7})( |$)/.test(l.text)) out.push(i + 1);
  });
  return out;
}

export type { Eol };
