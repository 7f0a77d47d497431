/**
 * How cfg shows problems and diffs to people (on stderr, coloured where it can be seen).
 * Problems name lines and keys only; diffs show the lines the user is editing anyway.
 */
import type { IO, Reporter } from '../../io.js';
import type { CfgDiffEvent, CfgProblemsEvent, CfgWriteResult } from '../../services/cfg/events.js';
import type { Line } from '../../services/cfg/lines.js';
import { unifiedDiff } from '../../services/cfg/diff.js';
import { consequence, describeKeyChanges, type Problem, type Validation } from '../../services/cfg/validate.js';

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

/** Events of the cfg write services whose messages are hints, shown dimmed. */
const dimmed = new Set(['cfg.keys', 'cfg.edit.open', 'cfg.env.only']);

/** The cfg write services' events for people: problems and diffs drawn, the rest as io renders them. */
export function cfgReporter(io: IO): Reporter {
  return {
    emit: (e) => {
      if (e.code === 'cfg.problems') {
        const d = e.data as CfgProblemsEvent;
        const paint = d.tone === 'error' ? io.err.red : d.tone === 'warn' ? io.err.yellow : (t: string) => t;
        return printProblems(io, d.validation, d.title === undefined ? undefined : paint(d.title));
      }
      if (e.code === 'cfg.diff') {
        const d = e.data as CfgDiffEvent;
        if (d.gap) io.info('');
        printDiff(io, d.before, d.after, d.labels, { showValues: d.showValues });
        return;
      }
      if (dimmed.has(e.code)) return io.info(io.err.dim(e.message));
      io.emit(e);
    },
    progress: (label) => io.progress(label),
  };
}

/** The last line of a cfg write (edit, restore, set, unset), for people; exit 0. */
export function renderCfgWrite(io: IO, result: CfgWriteResult, verb: 'edit' | 'restore' | 'set' | 'unset'): number {
  const url = `s3://${result.bucket}/${result.key}`;
  const version = (how: string) => (result.versionId ? ` (${how}${result.versionId})` : '');
  switch (result.status) {
    case 'updated':
    case 'created': {
      const did = result.status === 'created' ? 'Created' : verb === 'edit' ? 'Uploaded' : 'Updated';
      if (verb === 'edit') io.success(`${did} ${url}${version('version ')}.`);
      else io.success(`${did} ${url}: ${describeKeyChanges(result.changes)}${version('version ')}.`);
      break;
    }
    case 'restored':
      io.success(`Restored version ${result.restoredVersionId} of ${url}${result.versionId ? ` as version ${result.versionId}` : ''}.`);
      break;
    case 'unchanged':
      if (verb === 'edit') io.info('No changes; nothing was uploaded.');
      else if (verb === 'restore') io.info(`Version ${result.restoredVersionId} is what ${url} holds now; nothing to restore.`);
      else io.info(`No change: ${url} already ${verb === 'unset' ? 'lacks those keys' : 'has those values'}; nothing was uploaded.`);
      break;
    case 'not-created':
      io.info('No changes; the file was not created.');
      break;
    case 'absent':
      io.info(`There is no config file for ${result.project} in ${result.env} (${url}); nothing to unset.`);
      break;
    case 'already-applied':
      io.info('Their version already has your change; nothing was uploaded.');
      break;
  }
  return 0;
}

/** The --json document of a cfg write: what was written where, never a value. */
export function cfgWriteJson(result: CfgWriteResult): object {
  return {
    project: result.project,
    env: result.env,
    bucket: result.bucket,
    key: result.key,
    status: result.status,
    versionId: result.versionId ?? null,
    changes: result.changes,
    ...(result.restoredVersionId ? { restoredVersionId: result.restoredVersionId } : {}),
  };
}
