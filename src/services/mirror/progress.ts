import type { IO } from '../../io.js';
import type { PlannedBlob } from './plan.js';

/** What the copy reports as it goes; drawn live on a terminal, as plain lines otherwise. */
export interface MirrorProgress {
  /** A blob transfer started (or restarted after a retry: its count goes back to zero). */
  start(blob: PlannedBlob): void;
  bytes(digest: string, n: number): void;
  finish(blob: PlannedBlob, outcome: 'copied' | 'mounted'): void;
  /** A line that stays (retries, pushed manifests). */
  note(text: string): void;
  /** Stops redrawing and clears the live lines. */
  stop(): void;
}

/** `28.2 MB`, in decimal units as docker and skopeo print them. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** `sha256:0123456789ab`: enough of a digest to tell blobs apart in a list. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}

function bar(fraction: number, width: number): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/**
 * Progress of the blob copies. On a terminal: one live line per blob in flight (bytes, a bar)
 * under the lines that stay, redrawn ten times a second. Elsewhere: one line per finished blob.
 * Without `lines` (--json), no line per blob: only the live display on a terminal, and retries.
 */
export function mirrorProgress(io: IO, totals: { blobs: number; bytes: number }, opts: { lines: boolean } = { lines: true }): MirrorProgress {
  const err = io.err;
  const line = (blob: PlannedBlob, outcome: string) => `  ${outcome === 'mounted' ? 'mounted' : 'copied '} ${blob.kind.padEnd(6)} ${shortDigest(blob.digest)}  ${formatBytes(blob.size)}`;
  if (!io.stderrIsTTY) {
    return {
      start: () => undefined,
      bytes: () => undefined,
      finish: (blob, outcome) => opts.lines && io.info(line(blob, outcome)),
      note: (text) => io.info(`  ${text}`),
      stop: () => undefined,
    };
  }
  const stream = io.streams.stderr;
  const active = new Map<string, { blob: PlannedBlob; done: number }>();
  const pending: string[] = [];
  let drawn = 0;
  let doneBlobs = 0;
  let doneBytes = 0;
  let dirty = true;
  const draw = () => {
    if (!dirty) return;
    dirty = false;
    const width = Math.max(40, (stream.columns ?? 80) - 1);
    const live = [...active.values()].map(({ blob, done }) => {
      const text = `  ${blob.kind.padEnd(6)} ${shortDigest(blob.digest)}  ${formatBytes(done).padStart(9)} / ${formatBytes(blob.size).padEnd(9)} `;
      return text + err.cyan(bar(blob.size ? done / blob.size : 1, Math.max(0, Math.min(24, width - text.length))));
    });
    const bytesNow = doneBytes + [...active.values()].reduce((s, a) => s + a.done, 0);
    live.push(err.dim(`  ${doneBlobs}/${totals.blobs} blobs, ${formatBytes(bytesNow)} / ${formatBytes(totals.bytes)}`));
    // Up to the first live line, clear to the end of the screen, then the lines that stay and the live ones.
    stream.write((drawn ? `\x1b[${drawn}F\x1b[J` : '') + pending.splice(0).map((l) => l + '\n').join('') + live.join('\n') + '\n');
    drawn = live.length;
  };
  const timer = setInterval(draw, 100);
  timer.unref();
  return {
    start: (blob) => {
      active.set(blob.digest, { blob, done: 0 });
      dirty = true;
    },
    bytes: (digest, n) => {
      const a = active.get(digest);
      if (a) a.done += n;
      dirty = true;
    },
    finish: (blob, outcome) => {
      active.delete(blob.digest);
      doneBlobs++;
      doneBytes += outcome === 'copied' ? blob.size : 0;
      if (opts.lines) pending.push(`${err.green('✓')}${line(blob, outcome).slice(1)}`);
      dirty = true;
    },
    note: (text) => {
      pending.push(`  ${text}`);
      dirty = true;
    },
    stop: () => {
      clearInterval(timer);
      dirty = true;
      active.clear();
      draw();
      // Remove the totals line: the summary that follows says it better.
      if (drawn) stream.write(`\x1b[${drawn}F\x1b[J`);
      drawn = 0;
    },
  };
}
