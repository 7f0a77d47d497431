import { defineCommand, type Flags } from '../../cli/define.js';
import { UsageError } from '../../errors.js';
import { formatDuration } from '../../time.js';
import { shortDigest as short } from '../../services/mirror/progress.js';
import { formatBytes } from '../../bytes.js';
import { parsePlatform } from '../../registry/platform.js';
import { isRepositoryPath, isTag, parseImageReference } from '../../registry/reference.js';
import type { Context } from '../../context.js';
import type { MirrorRequest, MirrorResult } from '../../services/mirror/mirror.js';

export type MirrorOptions = MirrorRequest;

function parseTo(text: string): NonNullable<MirrorOptions['to']> {
  const m = /^([^:@]+)(?::([^:@]+))?$/.exec(text);
  if (!m || !isRepositoryPath(m[1]) || (m[2] !== undefined && !isTag(m[2]))) {
    throw new UsageError(`--to takes repository[:tag] in the target registry, not "${text}".`, 'Example: --to team/nginx:1.27 (no registry host: the target is always your ECR).');
  }
  return { repository: m[1], ...(m[2] ? { tag: m[2] } : {}) };
}

export function parseImageMirror(args: string[], flags: Flags): MirrorOptions {
  const [image] = args;
  if (!image) throw new UsageError('Name the image to mirror.', 'Example: sgn image mirror nginx:1.27');
  const source = parseImageReference(image);
  const to = flags.to === undefined ? undefined : parseTo(String(flags.to));
  let platform;
  if (flags.platform !== undefined) {
    platform = parsePlatform(String(flags.platform));
    if (!platform) throw new UsageError(`--platform takes os/arch[/variant], not "${String(flags.platform)}".`, 'Examples: linux/amd64, linux/arm64, linux/arm/v7.');
  }
  const jobs = flags.jobs === undefined ? 4 : Number(flags.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 32) throw new UsageError(`--jobs takes a whole number from 1 to 32, not "${String(flags.jobs)}".`);
  return { source, ...(to ? { to } : {}), ...(platform ? { platform } : {}), dryRun: Boolean(flags.dryRun), jobs, ...(flags.force ? { force: true } : {}) };
}

export const imageMirror = defineCommand<MirrorOptions, MirrorResult>({
  name: 'mirror',
  arguments: '<image>',
  summary: 'copy an image (all platforms) into your ECR, registry to registry',
  description: [
    "Copies an image from its registry into the team's ECR as <registry>/<mirrorPrefix><name>:<tag>, without a Docker daemon: every platform of a multi-arch image (or one with --platform), digests unchanged, blobs the target already has skipped, the rest streamed several at a time. Creates the ECR repository when missing (scan on push, and the mirrorLifecyclePolicy setting).",
    'When the target already holds the same digest, nothing is copied (HEAD requests only: no Docker Hub pull is spent). The pinned target reference (...@sha256:...) is printed on stdout.',
    'Private sources use the credentials of ~/.docker/config.json (auths, credHelpers, credsStore). The target is your account\'s ECR registry, or the ecrRegistry setting when set (host[:port]; https, except loopback hosts and an http:// prefix, which use plain http).',
  ].join('\n\n'),
  examples: [
    'sgn image mirror nginx:1.27',
    'sgn image mirror ghcr.io/org/tool:v2 --platform linux/arm64',
    'sgn image mirror bitnami/redis:7.2 --to cache/redis:7.2',
    'sgn image mirror nginx:1.27 --dry-run',
    'IMAGE=$(sgn image mirror quay.io/prometheus/node-exporter:v1.8.2)',
  ],
  options: (cmd) => {
    cmd.option('--to <repository[:tag]>', 'target repository (and tag) in ECR, instead of <mirrorPrefix><name>:<tag>');
    cmd.option('--platform <os/arch[/variant]>', 'copy only this platform\'s image');
    cmd.option('--dry-run', 'show what would be copied, change nothing');
    cmd.option('--force', 'with --platform: replace a target tag even if it holds more platforms (they are dropped)');
    cmd.option('-j, --jobs <n>', 'blobs copied at a time (default 4)');
  },
  json: true,
  parse: parseImageMirror,
  execute: async (ctx, opts) => {
    const [{ mirrorDeps }, { MirrorSession }, { mirrorImage }] = await Promise.all([import('./deps.js'), import('../../services/mirror/session.js'), import('../../services/mirror/mirror.js')]);
    return mirrorImage(new MirrorSession(await mirrorDeps(ctx), opts.jobs), opts);
  },
  render: (ctx, result) => renderMirror(ctx, result),
});

/** Docker Hub's allowance, when it runs low: a warning line, or nothing. */
export function rateLimitWarning(r: MirrorResult['rateLimit'], host: string): string | undefined {
  if (!r || r.remaining > Math.max(10, (r.limit ?? 100) / 10)) return undefined;
  const hours = r.windowSeconds ? ` per ${Math.round(r.windowSeconds / 3600)} h` : '';
  return `${host} allows ${r.remaining} more pulls${r.limit ? ` of ${r.limit}` : ''}${hours} from this address; \`docker login\` raises the limit.`;
}

/** The mirror for people: the plan (--dry-run), or one summary line; the pinned reference on stdout. */
export function renderMirror(ctx: Context, r: MirrorResult): number {
  const warning = rateLimitWarning(r.rateLimit, r.source.split('/')[0]);
  if (warning) ctx.io.warn(warning);
  if (r.dryRun && r.plan) {
    const p = (t: string) => ctx.io.print(t);
    const repository = r.target.replace(/^[^/]+\//, '').replace(/:[^:/]+$/, '');
    p(`Would mirror ${r.source} -> ${r.target}`);
    p(r.repository === 'missing' ? `  repository ${repository}: would be created (scan on push${ctx.settings().mirrorLifecyclePolicy ? ', lifecycle policy' : ''})` : `  repository ${repository}: exists`);
    p(`  ${r.plan.root.kind === 'index' ? 'index' : 'manifest'} ${short(r.plan.root.digest)}  ${r.plan.root.mediaType}  ${r.platforms.join(', ')}`);
    for (const c of r.plan.children) p(`  manifest ${short(c.digest)}  ${c.platform.padEnd(16)} ${c.push ? 'push' : 'already there'}`);
    for (const b of r.plan.blobs) p(`  blob     ${short(b.digest)}  ${b.kind.padEnd(6)} ${formatBytes(b.size).padStart(9)}  ${b.copy ? 'copy' : 'already there'}`);
    const toCopy = r.plan.blobs.filter((b) => b.copy);
    p(`  ${toCopy.length} of ${r.plan.blobs.length} blobs to copy (${formatBytes(toCopy.reduce((n, b) => n + b.size, 0))}); nothing was changed.`);
    return 0;
  }
  if (r.upToDate) {
    ctx.io.success(`${r.target} is up to date (${short(r.digest)}); nothing to copy.`);
  } else {
    const platforms = r.platforms.length ? ` (${r.platforms.join(', ')})` : '';
    const mounted = r.blobs.mounted ? `, ${r.blobs.mounted} mounted` : '';
    ctx.io.success(`Mirrored ${r.target}${platforms} in ${formatDuration(r.seconds * 1000)}: ${r.blobs.copied} blobs copied (${formatBytes(r.blobs.bytesCopied)})${mounted}${r.blobs.present ? `, ${r.blobs.present} already there` : ''}.`);
  }
  ctx.io.print(`${r.target}@${r.digest}`);
  return 0;
}
