import type { CommandDef, Flags } from '../../cli/define.js';
import { UsageError } from '../../errors.js';
import { parsePlatform } from '../../registry/platform.js';
import { isRepositoryPath, isTag, parseImageReference } from '../../registry/reference.js';
import type { MirrorOptions } from '../../services/mirror/mirror.js';

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
  return { source, ...(to ? { to } : {}), ...(platform ? { platform } : {}), dryRun: Boolean(flags.dryRun), jobs, json: Boolean(flags.json), ...(flags.force ? { force: true } : {}) };
}

export const imageMirror: CommandDef = {
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
    cmd.option('--json', 'print the result as JSON on stdout');
  },
  run: async (ctx, args, flags) => {
    const opts = parseImageMirror(args, flags);
    const { imageMirror: run } = await import('../../services/mirror/mirror.js');
    return run(ctx, opts);
  },
};
