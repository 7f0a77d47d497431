/**
 * How cfg shows problems and diffs to people (on stderr, coloured where it can be seen).
 * Problems name lines and keys only; diffs show the lines the user is editing anyway.
 */
import type { IO } from '../../io.js';
import type { Line } from './lines.js';
import { unifiedDiff } from './diff.js';
import { consequence, type Problem, type Validation } from './validate.js';

/** Prints errors (✗) and warnings (!) with their line numbers. */
export function printProblems(io: IO, v: Pick<Validation, 'errors' | 'warnings'>, title?: string): void {
  const c = io.err;
  if (title) io.info(title);
  const where = (p: Problem) => (p.line ? `line ${p.line}: ` : '');
  for (const p of v.errors) io.info(`  ${c.red('✗')} ${where(p)}${p.message}`);
  for (const p of v.warnings) io.info(`  ${c.yellow('!')} ${where(p)}${p.message}`);
  const then = consequence(v);
  if (then) io.info(c.dim(`  ${then}`));
}

const hidden = '•••';

/**
 * A config line with its value hidden: the key, the separator and the line's shape stay
 * (`DB_PASSWORD=•••`), comments and continuation lines are hidden whole (they may hold values).
 */
export function maskLine(text: string): string {
  if (text.trim() === '') return text;
  const lead = /^\s*/.exec(text)![0];
  const body = text.slice(lead.length);
  if (/^[#;]/.test(body)) return `${lead}${body[0]} ${hidden} (comment)`;
  if (lead) return `${lead}${hidden} (value continued)`;
  if (/^\[[^\]]*\]\s*$/.test(body)) return text;
  const m = /^([^=:]+?)(\s*[=:]\s*)(.*)$/.exec(body);
  if (!m) return hidden;
  return `${m[1]}${m[2]}${m[3] ? hidden : ''}`;
}

/**
 * Prints a coloured unified diff with two header lines; returns false when nothing differs.
 * Config values are secrets: unless `showValues`, each line shows its line number and key only
 * (on a terminal and in CI logs alike).
 */
export function printDiff(io: IO, before: readonly Line[], after: readonly Line[], labels: { before: string; after: string }, opts: { showValues: boolean }): boolean {
  const rows = unifiedDiff(before, after);
  if (rows.length === 0) return false;
  const c = io.err;
  io.info(c.bold(`--- ${labels.before}`));
  io.info(c.bold(`+++ ${labels.after}`));
  let oldLine = 0;
  let newLine = 0;
  const width = String(Math.max(before.length, after.length)).length;
  for (const r of rows) {
    switch (r.kind) {
      case 'hunk': {
        const m = /^@@ -(\d+),\d+ \+(\d+),\d+ @@/.exec(r.text);
        if (m) [oldLine, newLine] = [Number(m[1]), Number(m[2])];
        io.info(c.cyan(r.text));
        break;
      }
      case 'note':
        io.info(c.dim(`  (${r.text})`));
        break;
      default: {
        const sign = r.kind === 'insert' ? '+' : r.kind === 'delete' ? '-' : ' ';
        const paint = r.kind === 'insert' ? c.green : r.kind === 'delete' ? c.red : (s: string) => s;
        const number = r.kind === 'delete' ? oldLine : newLine;
        if (r.kind !== 'insert') oldLine++;
        if (r.kind !== 'delete') newLine++;
        io.info(paint(opts.showValues ? sign + r.text : `${sign} ${String(number).padStart(width)}  ${maskLine(r.text)}`));
        if (r.noNewline) io.info(c.dim('\\ No newline at end of file'));
      }
    }
  }
  if (!opts.showValues) io.info(c.dim('  (values hidden; add --show-values to see them)'));
  return true;
}

/** "DB_HOST changed, NEW_KEY added, OLD removed" (key names only, never values). */
export function describeKeyChanges(changes: { added: string[]; removed: string[]; changed: string[] }): string {
  const parts = [
    ...changes.changed.map((k) => `${k} changed`),
    ...changes.added.map((k) => `${k} added`),
    ...changes.removed.map((k) => `${k} removed`),
  ];
  return parts.length ? parts.join(', ') : 'no key or value changes (comments or layout only)';
}
