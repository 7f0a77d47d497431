import type { Reporter } from '../../io.js';
import type { PlannedBlob } from './plan.js';
import { formatBytes } from '../../bytes.js';

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

/** `sha256:0123456789ab`: enough of a digest to tell blobs apart in a list. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}

function bar(fraction: number, width: number): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/**
 * Progress of the blob copies of one image, through the Reporter's one progress renderer: the
 * label carries the totals and the largest blob in flight (bytes and a bar; redrawn by the
 * spinner on a terminal), and each finished blob is a line that stays.
 */
export function blobProgress(report: Reporter, totals: { blobs: number; bytes: number; image: string }): MirrorProgress {
  const p = report.progress(`Copying ${totals.blobs} blobs (${formatBytes(totals.bytes)}) to ${totals.image}`);
  const active = new Map<string, { blob: PlannedBlob; done: number }>();
  let doneBlobs = 0;
  let doneBytes = 0;
  let last = 0;
  const label = () => {
    const inFlight = [...active.values()];
    const bytesNow = doneBytes + inFlight.reduce((n, a) => n + a.done, 0);
    const big = inFlight.sort((a, b) => b.blob.size - a.blob.size)[0];
    const blob = big ? `  ${big.blob.kind.padEnd(6)} ${shortDigest(big.blob.digest)}  ${formatBytes(big.done).padStart(9)} / ${formatBytes(big.blob.size).padEnd(9)} ${bar(big.blob.size ? big.done / big.blob.size : 1, 16)}` : '';
    return `${doneBlobs}/${totals.blobs} blobs, ${formatBytes(bytesNow)} / ${formatBytes(totals.bytes)}${blob}`;
  };
  const refresh = (force = false) => {
    // The label is rebuilt at most every 100 ms: bytes arrive in 16-64 KiB chunks.
    const now = p.elapsed();
    if (!force && now - last < 100) return;
    last = now;
    p.update(label());
  };
  return {
    start: (blob) => {
      active.set(blob.digest, { blob, done: 0 });
      refresh(true);
    },
    bytes: (digest, n) => {
      const a = active.get(digest);
      if (a) a.done += n;
      refresh();
    },
    finish: (blob, outcome) => {
      active.delete(blob.digest);
      doneBlobs++;
      doneBytes += outcome === 'copied' ? blob.size : 0;
      p.note(`  ${outcome === 'mounted' ? 'mounted' : 'copied '} ${blob.kind.padEnd(6)} ${shortDigest(blob.digest)}  ${formatBytes(blob.size)}`);
      refresh(true);
    },
    note: (text) => p.note(`  ${text}`, 'warn'),
    stop: () => void p.succeed(),
  };
}
