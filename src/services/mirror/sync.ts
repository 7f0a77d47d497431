import { InterruptedError, SgnError, explainError } from '../../errors.js';
import type { Progress, Reporter } from '../../io.js';
import type { RateLimit } from '../../registry/client.js';
import { familiarReference } from '../../registry/reference.js';
import { mirrorImage, type MirrorRequest, type MirrorResult } from './mirror.js';
import { mapLimit } from './pool.js';
import { formatBytes } from '../../bytes.js';
import { MirrorSession, type MirrorDeps } from './session.js';
import { isTagPattern, tagPattern, type SyncEntry } from './sync-file.js';

export interface SyncOptions {
  entries: SyncEntry[];
  dryRun: boolean;
  /** Blobs in flight at a time, across every image. */
  jobs: number;
  /** Images in flight at a time. */
  images: number;
}

export interface SyncItem {
  /** The line of the entry in the sync file. */
  line: number;
  source: string;
  target: string;
  status: 'up-to-date' | 'copied' | 'would-copy' | 'failed';
  digest?: string;
  bytesCopied: number;
  blobs?: { copied: number; mounted: number; present: number };
  seconds?: number;
  error?: { message: string; hint?: string };
}

export interface SyncResult {
  items: SyncItem[];
  summary: { upToDate: number; copied: number; wouldCopy: number; failed: number; bytesCopied: number };
  dryRun: boolean;
  /** The lowest pull allowance a source reported (Docker Hub), per host. */
  rateLimits: { host: string; remaining: number; limit?: number; windowSeconds?: number }[];
}

/** A reporter for one image among several: its messages become notes of the run's progress, its own progress stays quiet. */
function quietReporter(run: Progress): Reporter {
  return {
    emit: (e) => {
      if (e.level === 'warn' || e.level === 'error') run.note(e.message, 'warn');
    },
    progress: () => {
      const t0 = performance.now();
      return { update: () => undefined, note: (t, kind) => kind === 'warn' && run.note(t.trim(), 'warn'), lines: () => undefined, succeed: async () => undefined, fail: async () => undefined, elapsed: () => performance.now() - t0 };
    },
  };
}

/**
 * `sgn image sync`: keeps a list of images mirrored. Tag patterns are expanded from the source's
 * tag list; then every image is checked by HEAD (an unchanged one costs no pull) and what changed
 * is copied, a few images and a bounded number of blobs at a time, sharing one target client and
 * the blob-location cache (a blob two entries need is uploaded once and mounted into the other).
 * A failed entry does not stop the others; the result says which failed and why.
 */
export async function imageSync(deps: MirrorDeps, opts: SyncOptions): Promise<SyncResult> {
  const run = deps.report.progress(`${opts.dryRun ? 'Checking' : 'Syncing'} ${opts.entries.length} entries`);
  const session = new MirrorSession({ ...deps, report: quietReporter(run) }, opts.jobs);
  const items: SyncItem[] = [];
  const limits = new Map<string, RateLimit>();
  let done = 0;
  let total = 0;
  const label = () => `${opts.dryRun ? 'Checking' : 'Syncing'}: ${done} of ${total} images done, ${formatBytes(items.reduce((n, i) => n + i.bytesCopied, 0))} copied`;
  // In the words of the one reporting point (an AWS throttle or 5xx names the service and host).
  const failure = (e: unknown): SyncItem['error'] => {
    const known = explainError(e, 'mirroring');
    return known ? { message: known.message, ...(known.hint ? { hint: known.hint } : {}) } : { message: e instanceof Error ? e.message : String(e) };
  };

  try {
    // 1. Tag patterns become one request per matching tag (the tag list is no pull).
    const requests: { line: number; req: MirrorRequest; sourceText: string }[] = [];
    for (const entry of opts.entries) {
      const base = { dryRun: opts.dryRun, jobs: opts.jobs, ...(entry.platform ? { platform: entry.platform } : {}) };
      if (!entry.tags) {
        requests.push({ line: entry.line, sourceText: familiarReference(entry.source), req: { ...base, source: entry.source, ...(entry.target ? { to: entry.target } : {}) } });
        continue;
      }
      let tags = entry.tags.filter((t) => !isTagPattern(t));
      const patterns = entry.tags.filter(isTagPattern).map(tagPattern);
      if (patterns.length) {
        try {
          const all = await session.source(entry.source.domain).registry.listTags(entry.source.path);
          tags = [...new Set([...tags, ...all.filter((t) => patterns.some((p) => p.test(t)))])];
        } catch (e) {
          if (deps.signal.aborted) throw e;
          const text = familiarReference({ ...entry.source, tag: undefined });
          items.push({ line: entry.line, source: `${text}:${entry.tags.join(',')}`, target: entry.target?.repository ?? '-', status: 'failed', bytesCopied: 0, error: failure(new SgnError(`Listing the tags of ${text} failed: ${(e as Error).message}.`, { cause: e })) });
          continue;
        }
      }
      for (const tag of tags) {
        const source = { domain: entry.source.domain, path: entry.source.path, tag };
        requests.push({ line: entry.line, sourceText: familiarReference(source), req: { ...base, source, ...(entry.target ? { to: { repository: entry.target.repository } } : {}) } });
      }
    }
    total = requests.length;
    run.update(label());

    // 2. Each image: HEADs first, then the copy when it changed.
    const results = await mapLimit(requests, opts.images, async ({ line, req, sourceText }): Promise<SyncItem> => {
      let item: SyncItem;
      try {
        const r: MirrorResult = await mirrorImage(session, req);
        if (r.rateLimit) {
          const host = sourceText.includes('/') && /[.:]/.test(sourceText.split('/')[0]) ? sourceText.split('/')[0] : 'docker.io';
          const known = limits.get(host);
          if (!known || r.rateLimit.remaining < known.remaining) limits.set(host, r.rateLimit);
        }
        const status = r.upToDate ? 'up-to-date' : r.dryRun ? 'would-copy' : 'copied';
        item = { line, source: r.source, target: r.target, status, digest: r.digest, bytesCopied: r.blobs.bytesCopied, blobs: { copied: r.blobs.copied, mounted: r.blobs.mounted, present: r.blobs.present }, seconds: r.seconds };
        if (status === 'copied') run.note(`✓ ${r.target} (${r.blobs.copied} blobs copied, ${formatBytes(r.blobs.bytesCopied)}${r.blobs.mounted ? `, ${r.blobs.mounted} mounted` : ''})`);
      } catch (e) {
        if (deps.signal.aborted || e instanceof InterruptedError) throw e;
        item = { line, source: sourceText, target: req.to?.repository ?? '-', status: 'failed', bytesCopied: 0, error: failure(e) };
        run.note(`✗ ${sourceText}: ${item.error!.message}`, 'warn');
      }
      items.push(item);
      done++;
      run.update(label());
      return item;
    });
    // Entries in file order (failed tag listings first were pushed as they happened).
    const all = [...items.filter((i) => !results.includes(i)), ...results].sort((a, b) => a.line - b.line);
    const count = (s: SyncItem['status']) => all.filter((i) => i.status === s).length;
    const summary = { upToDate: count('up-to-date'), copied: count('copied'), wouldCopy: count('would-copy'), failed: count('failed'), bytesCopied: all.reduce((n, i) => n + i.bytesCopied, 0) };
    await run.succeed();
    return { items: all, summary, dryRun: opts.dryRun, rateLimits: [...limits].map(([host, l]) => ({ host, ...l })) };
  } catch (e) {
    await run.fail();
    throw e;
  } finally {
    deps.locations.save();
  }
}
