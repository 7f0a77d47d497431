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

/** Prints a coloured unified diff with two header lines; returns false when nothing differs. */
export function printDiff(io: IO, before: readonly Line[], after: readonly Line[], labels: { before: string; after: string }): boolean {
  const rows = unifiedDiff(before, after);
  if (rows.length === 0) return false;
  const c = io.err;
  io.info(c.bold(`--- ${labels.before}`));
  io.info(c.bold(`+++ ${labels.after}`));
  for (const r of rows) {
    switch (r.kind) {
      case 'hunk':
        io.info(c.cyan(r.text));
        break;
      case 'note':
        io.info(c.dim(`  (${r.text})`));
        break;
      default: {
        const sign = r.kind === 'insert' ? '+' : r.kind === 'delete' ? '-' : ' ';
        const paint = r.kind === 'insert' ? c.green : r.kind === 'delete' ? c.red : (s: string) => s;
        io.info(paint(sign + r.text));
        if (r.noNewline) io.info(c.dim('\\ No newline at end of file'));
      }
    }
  }
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
