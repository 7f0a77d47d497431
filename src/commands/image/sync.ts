import { defineCommand, type Flags } from '../../cli/define.js';
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import { formatBytes } from '../../bytes.js';
import type { SyncResult } from '../../services/mirror/sync.js';
import { rateLimitWarning } from './mirror.js';

export interface SyncCommandOptions {
  file: string;
  dryRun: boolean;
  jobs: number;
  images: number;
}

const count = (flag: string, v: unknown, fallback: number, max: number): number => {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} takes a whole number from 1 to ${max}, not "${String(v)}".`);
  return n;
};

export function parseImageSync(args: string[], flags: Flags): SyncCommandOptions {
  const [file] = args;
  if (!file) throw new UsageError('Name the sync file.', 'Example: sgn image sync images.yml');
  return { file, dryRun: Boolean(flags.dryRun), jobs: count('--jobs', flags.jobs, 4, 32), images: count('--images', flags.images, 3, 16) };
}

const statusText: Record<SyncResult['items'][number]['status'], { text: string; role: 'good' | 'dim' | 'bad' | 'warn' }> = {
  'up-to-date': { text: 'up to date', role: 'dim' },
  copied: { text: 'copied', role: 'good' },
  'would-copy': { text: 'would copy', role: 'warn' },
  failed: { text: 'failed', role: 'bad' },
};

/** The summary for people: one row per image, the failures with their reason, the totals. */
export async function renderSync(ctx: Context, r: SyncResult): Promise<number> {
  const { printTable } = await import('../../table.js');
  await printTable(ctx.io, {
    columns: [{ header: 'line' }, { header: 'source' }, { header: 'target' }, { header: 'result' }, { header: 'copied' }],
    rows: r.items.map((i) => [String(i.line), i.source, i.target, statusText[i.status], i.status === 'copied' ? formatBytes(i.bytesCopied) + (i.blobs?.mounted ? ` (+${i.blobs.mounted} mounted)` : '') : '-']),
  });
  for (const i of r.items.filter((x) => x.error)) {
    ctx.io.failure(`line ${i.line}, ${i.source}: ${i.error!.message}`);
    if (i.error!.hint) ctx.io.info(ctx.io.err.dim(`  Hint: ${i.error!.hint}`));
  }
  for (const l of r.rateLimits) {
    const w = rateLimitWarning(l, l.host);
    if (w) ctx.io.warn(w);
  }
  const s = r.summary;
  const parts = [`${s.upToDate} up to date`, r.dryRun ? `${s.wouldCopy} to copy` : `${s.copied} copied (${formatBytes(s.bytesCopied)})`, `${s.failed} failed`];
  (s.failed ? ctx.io.failure.bind(ctx.io) : ctx.io.success.bind(ctx.io))(`${r.items.length} images: ${parts.join(', ')}${r.dryRun ? '; nothing was changed' : ''}.`);
  return s.failed ? 1 : 0;
}

export const imageSync = defineCommand<SyncCommandOptions, SyncResult>({
  name: 'sync',
  arguments: '<file>',
  summary: 'keep a list of images mirrored into your ECR (for a scheduled CI job)',
  description: [
    'Mirrors every image a YAML file lists, as `sgn image mirror` does each one: unchanged images cost two HEAD requests and no pull, changed ones are copied a few images and a bounded number of blobs at a time, and a blob two entries share is uploaded once and mounted into the other repository.',
    'The file:\n  images:\n    - source: nginx:1.27                 # target: <mirrorPrefix>library/nginx:1.27\n    - source: ghcr.io/org/tool:v2\n      target: tools/tool:v2             # repository[:tag], as --to\n      platforms: [linux/amd64]          # one platform, or all when left out\n    - source: bitnami/redis\n      tags: ["7.2", "7.4.*"]            # tags or patterns (* and ?)',
    'Prints a summary (up to date / copied / failed, bytes); exits 1 when any entry failed (the others are still done), 2 when the file is wrong (nothing is copied). Docker Hub\'s remaining anonymous pulls are reported when low.',
  ].join('\n\n'),
  examples: ['sgn image sync images.yml', 'sgn image sync images.yml --dry-run', 'sgn image sync images.yml --json | jq \'.items[] | select(.status == "failed")\''],
  options: (cmd) => {
    cmd.option('--dry-run', 'check every image and show what would be copied; change nothing');
    cmd.option('-j, --jobs <n>', 'blobs copied at a time, across all images (default 4)');
    cmd.option('--images <n>', 'images mirrored at a time (default 3)');
  },
  json: true,
  parse: parseImageSync,
  execute: async (ctx, opts) => {
    const [{ readFile }, { resolve }, { parseSyncFile }] = await Promise.all([import('node:fs/promises'), import('node:path'), import('../../services/mirror/sync-file.js')]);
    let text: string;
    try {
      text = await readFile(resolve(ctx.cwd, opts.file), 'utf8');
    } catch (e) {
      throw new UsageError(`The sync file ${opts.file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, 'Check the path; the file lists the images under "images:".');
    }
    const entries = parseSyncFile(text, opts.file);
    const [{ mirrorDeps }, { imageSync: run }] = await Promise.all([import('./deps.js'), import('../../services/mirror/sync.js')]);
    return run(await mirrorDeps(ctx), { entries, dryRun: opts.dryRun, jobs: opts.jobs, images: opts.images });
  },
  render: (ctx, result) => renderSync(ctx, result),
  exitCode: (result) => (result.summary.failed ? 1 : 0),
});
