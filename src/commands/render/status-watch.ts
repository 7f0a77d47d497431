import type { ExecutionView } from '../../services/status/model.js';
import type { WatchChange, WatchUpdate } from '../../services/status/watch.js';
import { formatAge, formatDuration } from '../../time.js';
import { executionLines, statusMark, type Paint } from './status.js';

/** "execution 1a2b3c4d of web: 3f9c2a1 Fix the cart (started 2m ago)". */
export function watchHeader(u: Pick<WatchUpdate, 'pipeline' | 'execution' | 'at'>, p: Paint): string {
  const e = u.execution;
  const commit = e.commit ? `${e.commit.short}${e.commit.summary ? ` ${e.commit.summary}` : ''}` : '(no commit)';
  const started = e.startedAt ? `, started ${formatAge(new Date(e.startedAt), new Date(u.at))}` : '';
  return `${p.bold(`Execution ${e.id}`)} of ${u.pipeline}: ${commit}${p.dim(started)}`;
}

/** One change as one line (two with the command that shows more about a failure). */
export function changeLines(c: WatchChange, e: ExecutionView, p: Paint): string[] {
  const took = c.durationMs !== undefined ? formatDuration(c.durationMs) : undefined;
  const what = c.stage ?? `Execution ${e.id.slice(0, 8)}`;
  const mark = statusMark(c.status, p);
  let text: string;
  switch (c.status) {
    case 'InProgress':
      text = `${what} running`;
      break;
    case 'Succeeded':
      text = `${what} succeeded${took ? ` in ${took}` : ''}`;
      break;
    case 'Failed':
      text = `${what} failed${took ? ` after ${took}` : ''}${c.message ? `: ${c.message}` : ''}`;
      break;
    case 'NotRun':
      text = `${what} did not run`;
      break;
    default:
      text = `${what} ${c.status.toLowerCase()}${c.message ? `: ${c.message}` : ''}`;
  }
  const lines = [`${mark} ${text}`];
  if (c.more) lines.push(`  ${p.dim('see:')} ${c.more}`);
  return lines;
}

const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex

/**
 * Prints watch updates: on a terminal, the execution as a block redrawn in place (running times
 * tick); piped, a header and then one line per change, each change once.
 */
export function watchPrinter(out: { write(s: string): unknown }, opts: { tty: boolean; columns: () => number; paint: Paint; intervalMs: number }) {
  const p = opts.paint;
  let drawn = 0;
  return (u: WatchUpdate): void => {
    if (!opts.tty) {
      const lines: string[] = [];
      if (u.first) lines.push(watchHeader(u, p));
      for (const c of u.changes) lines.push(...changeLines(c, u.execution, p));
      if (lines.length) out.write(lines.join('\n') + '\n');
      return;
    }
    const width = Math.max(20, opts.columns());
    const block = [watchHeader(u, p), ...executionLines(u.execution, new Date(u.at), width, p)];
    if (!u.done) block.push(p.dim(`  refreshing every ${formatDuration(opts.intervalMs)}; Ctrl-C stops watching (the pipeline keeps running)`));
    else block.push(...u.changes.filter((c) => !c.stage).flatMap((c) => changeLines(c, u.execution, p)));
    const rows = block.reduce((n, l) => n + Math.max(1, Math.ceil(visible(l).length / width)), 0);
    out.write((drawn ? `\x1b[${drawn}A\x1b[J` : '') + block.join('\n') + '\n');
    drawn = rows;
  };
}
