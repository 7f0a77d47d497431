import type { Context } from '../../context.js';
import { userAgent } from '../../aws/clients.js';
import { AuthError, InterruptedError, SgnError, UsageError } from '../../errors.js';
import { DigestMismatchError, Registry, RegistryError } from '../../registry/client.js';
import { dockerConfigPath, dockerCredentials } from '../../registry/docker-config.js';
import { formatPlatform, type Platform } from '../../registry/platform.js';
import { familiarPath, familiarReference, isLoopbackHost, registryApiHost, type ImageReference } from '../../registry/reference.js';
import { parseManifest } from '../../registry/manifest.js';
import { BlobSizeError } from '../../registry/verify.js';
import { tlsHint } from '../../net-errors.js';
import { formatDuration } from '../../time.js';
import { copyBlob } from './copy.js';
import { planCopy, type MirrorPlan, type PlannedBlob } from './plan.js';
import { mapLimit } from './pool.js';
import { formatBytes, mirrorProgress, shortDigest } from './progress.js';
import { createRepository, ecrTarget, isEcrRepositoryName, loadLifecyclePolicy, repositoryExists } from './target.js';

export interface MirrorOptions {
  source: ImageReference;
  /** Target repository (and tag) instead of `<mirrorPrefix><name>:<source tag>`. */
  to?: { repository: string; tag?: string };
  /** Copy only this platform's manifest (the target tag then points at it). */
  platform?: Platform;
  /** Replace a target tag even when that drops platforms it holds now. */
  force?: boolean;
  dryRun: boolean;
  /** Blobs copied at a time. */
  jobs: number;
  json: boolean;
}

/** Blobs below this size are copied in a lane of their own (see the copy step). */
const smallBlob = 1 << 20;

/** The result of a mirror, as `--json` prints it. */
export interface MirrorResult {
  source: string;
  target: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  upToDate: boolean;
  dryRun: boolean;
  repository: 'exists' | 'created' | 'missing';
  blobs: { total: number; copied: number; mounted: number; present: number; bytesCopied: number };
  manifests: { pushed: number; present: number };
  seconds: number;
}

interface Sides {
  srcText: string;
  dstText: string;
  sourceDomain: string;
  dockerConfig: string;
  /** Whether credentials were found for the source (known once it challenged). */
  sourceCredentials?: Promise<boolean>;
}

/** Turns registry faults into one sentence that says which side failed and what to do. */
async function explain(e: unknown, s: Sides, signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return new InterruptedError('Interrupted; the tag was not pushed.', 'Run the same command again: the blobs already copied are kept and skipped.');
  if (e instanceof DigestMismatchError || e instanceof BlobSizeError) {
    return new SgnError(`${e.message.charAt(0).toUpperCase()}${e.message.slice(1)}; nothing was tagged.`, {
      hint: 'The registry (or a proxy on the way) served different content than it announced. Try again later; if it persists, report it to the registry.',
      cause: e,
    });
  }
  if (!(e instanceof RegistryError)) return e;
  const source = e.role === 'source';
  const where = source ? s.srcText : s.dstText;
  if (e.status === 0) {
    const sentence = e.detail || `the connection to ${e.host} failed (${e.code ?? 'network error'})`;
    const hint =
      e.network === 'tls'
        ? tlsHint
        : e.network === 'idle' || e.network === 'slow'
          ? `${e.host} (the ${source ? 'source' : 'target'}) is too slow or stuck; try again later, or from another network. A rerun resumes where this stopped.`
          : e.network === 'not-http' || e.network === 'truncated'
            ? `Something between sgn and ${e.host} (a proxy, a captive portal) or the registry itself sent a broken answer; a rerun resumes where this stopped.`
            : `Check the registry name, your network and proxy${source ? '' : ' (for the target, the ecrRegistry setting)'}; a rerun resumes where this stopped.`;
    return new SgnError(`${sentence.charAt(0).toUpperCase()}${sentence.slice(1)} while mirroring ${where}; nothing was tagged.`, { hint, cause: e });
  }
  if (e.status === 401 || e.status === 403) {
    if (source) {
      const status = `${e.status}${e.code ? ` ${e.code}` : ''}`;
      if (await s.sourceCredentials) {
        return new AuthError(`Pulling ${s.srcText} was denied (${status}): ${e.host} refused the credentials in ${s.dockerConfig}, or they may not read this repository.`, `Log in again with \`docker login ${s.sourceDomain}\`.`, e);
      }
      return new AuthError(
        `Pulling ${s.srcText} was denied (${status}): the repository does not exist, or it needs credentials.`,
        `Check the name; for a private image run \`docker login ${s.sourceDomain}\` (sgn reads ${s.dockerConfig}).`,
        e,
      );
    }
    return new AuthError(`Pushing to ${s.dstText} was denied (${e.status}${e.code ? ` ${e.code}` : ''}): ${e.host} refused the ECR credentials.`, 'Check that your AWS identity may push to this repository (ecr:InitiateLayerUpload, ecr:PutImage, ...) and that ecrRegistry names the right registry.', e);
  }
  if (e.status === 404 && source && e.code === 'BLOB_UNKNOWN') {
    return new SgnError(`${e.host} lacks a blob that ${s.srcText} references; nothing was tagged.`, { hint: 'The source image is incomplete on its registry; try another tag or tell its maintainers.', cause: e });
  }
  if (e.status === 404 && source) {
    const what = e.code === 'NAME_UNKNOWN' ? 'the repository does not exist' : 'no such tag or digest';
    return new SgnError(`${s.srcText} was not found on ${e.host}: ${what}.`, { hint: 'Check the image name and tag (`skopeo list-tags docker://<repository>` lists the tags).', cause: e });
  }
  if (e.status === 429) {
    return new SgnError(`${e.host} is limiting requests (429 Too Many Requests) and kept doing so after retries.`, { hint: source && s.sourceDomain === 'docker.io' ? 'Docker Hub limits anonymous pulls per IP; `docker login` raises the limit, or try again later.' : 'Try again later.', cause: e });
  }
  return new SgnError(`${e.host} failed while mirroring ${where}: ${e.status} ${e.code ?? ''}${e.detail ? ` (${e.detail})` : ''}.`, { hint: e.retryable ? 'It kept failing after retries; try again later.' : 'Re-run with --debug to see the requests.', cause: e });
}

/**
 * `--platform` onto a tag that holds a multi-platform index would replace the index with one
 * platform's manifest: nodes of the other platforms would then pull the wrong image. Refused
 * (saying what would be lost) unless --force.
 */
async function refuseNarrowing(dst: Registry, repository: string, tag: string, plan: MirrorPlan, dstText: string): Promise<void> {
  const current = await dst.getManifest(repository, tag);
  const parsed = parseManifest(current.bytes, current.mediaType, dstText);
  if (parsed.kind !== 'index') return;
  const held = parsed.manifests.filter((d) => d.platform && d.platform.os !== 'unknown').map((d) => formatPlatform(d.platform));
  const lost = held.filter((p) => !plan.platforms.includes(p));
  if (lost.length === 0) return;
  throw new SgnError(`${dstText} holds a multi-platform image (${held.join(', ')}); mirroring only ${plan.platforms.join(', ') || 'one platform'} onto it would drop ${lost.join(', ')}. Nothing was changed.`, {
    hint: `Mirror every platform (leave out --platform), pick another target tag with --to ${repository}:<tag>, or add --force to replace it.`,
  });
}

function result(opts: MirrorOptions, s: Sides, plan: { digest: string; mediaType: string; platforms: string[] }, extra: Partial<MirrorResult>, started: number): MirrorResult {
  return {
    source: s.srcText,
    target: s.dstText,
    digest: plan.digest,
    mediaType: plan.mediaType,
    platforms: plan.platforms,
    upToDate: false,
    dryRun: opts.dryRun,
    repository: 'exists',
    blobs: { total: 0, copied: 0, mounted: 0, present: 0, bytesCopied: 0 },
    manifests: { pushed: 0, present: 0 },
    seconds: Math.round((performance.now() - started) / 10) / 100,
    ...extra,
  };
}

function printPlan(ctx: Context, s: Sides, plan: MirrorPlan, missing: Set<string>, childMissing: Set<string>, repository: string, repoState: string): void {
  const p = (t: string) => ctx.io.print(t);
  p(`Would mirror ${s.srcText} -> ${s.dstText}`);
  p(repoState === 'missing' ? `  repository ${repository}: would be created (scan on push${ctx.settings().mirrorLifecyclePolicy ? ', lifecycle policy' : ''})` : `  repository ${repository}: exists`);
  p(`  ${plan.root.kind === 'index' ? 'index' : 'manifest'} ${shortDigest(plan.root.digest)}  ${plan.root.mediaType}  ${plan.platforms.join(', ')}`);
  for (const c of plan.children) p(`  manifest ${shortDigest(c.digest)}  ${formatPlatform(c.platform).padEnd(16)} ${childMissing.has(c.digest) ? 'push' : 'already there'}`);
  for (const b of plan.blobs) p(`  blob     ${shortDigest(b.digest)}  ${b.kind.padEnd(6)} ${formatBytes(b.size).padStart(9)}  ${missing.has(b.digest) ? 'copy' : 'already there'}`);
  const bytes = plan.blobs.filter((b) => missing.has(b.digest)).reduce((n, b) => n + b.size, 0);
  p(`  ${missing.size} of ${plan.blobs.length} blobs to copy (${formatBytes(bytes)}); nothing was changed.`);
}

/**
 * `sgn image mirror`: copies an image, registry to registry, into the team's ECR. Compares
 * digests by HEAD first (no pull when the target is up to date), then copies the missing blobs
 * streamed and verified, several at a time, then the child manifests, and the tag last, so that
 * an interrupted copy never leaves a tag pointing at something incomplete.
 */
export async function imageMirror(ctx: Context, opts: MirrorOptions): Promise<number> {
  const started = performance.now();
  const settings = ctx.settings();
  const resolved = ctx.resolvedSettings();
  const policySource = resolved.sources.mirrorLifecyclePolicy?.file;
  const lifecyclePolicy = settings.mirrorLifecyclePolicy ? loadLifecyclePolicy(settings.mirrorLifecyclePolicy, policySource, ctx.cwd) : undefined;
  const repository = opts.to?.repository ?? `${settings.mirrorPrefix}${familiarPath(opts.source)}`;
  if (!isEcrRepositoryName(repository)) {
    throw new UsageError(`"${repository}" is not a valid ECR repository name.`, opts.to ? 'Use lowercase letters, digits and single "._-" between them, parts joined by "/".' : `Check the mirrorPrefix setting ("${settings.mirrorPrefix}"), or name the target with --to.`);
  }
  const tag = opts.to?.tag ?? opts.source.tag;

  const { sandbox } = await ctx.target();
  if (sandbox && !sandbox.registryHost && !settings.ecrRegistry) {
    throw new SgnError('The sandbox has no local registry to mirror into.', { hint: 'Install docker-registry (Debian/Ubuntu: `sudo apt-get install docker-registry`), then `sgn sandbox stop && sgn sandbox start`.' });
  }
  const ecrReady = ctx.api.ecr();
  // The ECR login (SDK import, one API call) runs while the source answers its HEAD.
  const targetReady = ecrReady.then((ecr) => ecrTarget(ecr, { override: settings.ecrRegistry, sandboxRegistry: sandbox?.registryHost }));
  targetReady.catch(() => undefined);
  const sourceHost = registryApiHost(opts.source.domain);
  let progressNote: ((text: string) => void) | undefined;
  const common = {
    userAgent,
    signal: ctx.signal,
    debug: (line: string) => ctx.debug(line),
    onRetry: (message: string) => (progressNote ? progressNote(message) : ctx.io.warn(message)),
  };
  const sides: Sides = { srcText: familiarReference(opts.source), dstText: repository, sourceDomain: opts.source.domain, dockerConfig: dockerConfigPath(ctx.env) };
  const src = new Registry({
    ...common,
    role: 'source',
    host: sourceHost,
    insecure: isLoopbackHost(sourceHost),
    actions: 'pull',
    credentials: () => {
      // The ECR token also opens the source when both are the same registry (ECR to ECR).
      const found = targetReady.then((t) => (t.address.host === sourceHost ? t.credentials : dockerCredentials(opts.source.domain, ctx.env)));
      sides.sourceCredentials = found.then(Boolean, () => false);
      return found;
    },
  });

  try {
    // 1. Digests by HEAD: an up-to-date target costs no pull.
    const srcRef = opts.source.digest ?? opts.source.tag!;
    const srcHead = opts.source.digest ? undefined : src.headManifest(opts.source.path, srcRef);
    srcHead?.catch(() => undefined);
    const target = await targetReady;
    const [ecr, head] = await Promise.all([ecrReady, srcHead]);
    if (!opts.source.digest && !head) throw new RegistryError(404, 'MANIFEST_UNKNOWN', '', src.host, 'source');
    // A registry that sends no Docker-Content-Digest: the plan reads the tag and hashes it.
    const srcDigest = opts.source.digest ?? head?.digest;
    const sameRegistry = sourceHost === target.address.host;
    sides.dstText = `${target.address.host}/${repository}${tag ? `:${tag}` : ''}`;
    if (!opts.json) ctx.io.info(`${opts.dryRun ? 'Checking' : 'Mirroring'} ${sides.srcText} -> ${sides.dstText}`);
    const dst = new Registry({ ...common, role: 'target', host: target.address.host, insecure: target.address.insecure, actions: 'pull,push', credentials: async () => target.credentials });
    const dstHead = await dst.headManifest(repository, tag ?? srcDigest ?? srcRef);
    const upToDate = (digest: string, plan: { mediaType: string; platforms: string[] }) => {
      const r = result(opts, sides, { digest, ...plan }, { upToDate: true }, started);
      if (opts.json) ctx.io.json(r);
      else {
        ctx.io.success(`${sides.dstText} is up to date (${shortDigest(digest)}); nothing to copy.`);
        ctx.io.print(`${sides.dstText}@${digest}`);
      }
      return 0;
    };
    if (!opts.platform && srcDigest && dstHead?.digest === srcDigest) return upToDate(srcDigest, { mediaType: dstHead.mediaType ?? '', platforms: [] });

    // 2. What the copy needs, read from the source by digest, while ECR says whether the repository exists.
    const exists = repositoryExists(ecr, repository);
    exists.catch(() => undefined);
    const plan = await planCopy(src, opts.source.path, srcDigest ?? srcRef, sides.srcText, opts.platform);
    if (dstHead?.digest === plan.root.digest) return upToDate(plan.root.digest, { mediaType: plan.root.mediaType, platforms: plan.platforms });
    if (opts.platform && tag && dstHead && !opts.force) await refuseNarrowing(dst, repository, tag, plan, sides.dstText);

    // 3. The repository (created only now that the copy is known to be possible), then what the
    // target already has: nothing, when the repository is new.
    let repoState: 'exists' | 'created' | 'missing' = (await exists) ? 'exists' : 'missing';
    if (repoState === 'missing' && !opts.dryRun) {
      repoState = await createRepository(ecr, repository, lifecyclePolicy);
      if (repoState === 'created' && !opts.json) ctx.io.info(`  created repository ${repository} (scan on push${lifecyclePolicy ? ', lifecycle policy' : ''})`);
    }
    const check = repoState === 'exists';
    const [blobThere, childThere] = await Promise.all([
      check ? mapLimit(plan.blobs, 8, (b) => dst.hasBlob(repository, b.digest)) : plan.blobs.map(() => false),
      check ? mapLimit(plan.children, 8, async (c) => (await dst.headManifest(repository, c.digest)) !== undefined) : plan.children.map(() => false),
    ]);
    const missing = plan.blobs.filter((_, i) => !blobThere[i]);
    const missingChildren = plan.children.filter((_, i) => !childThere[i]);
    const counts = { total: plan.blobs.length, present: plan.blobs.length - missing.length };

    if (opts.dryRun) {
      if (opts.json) {
        ctx.io.json({
          ...result(opts, sides, { digest: plan.root.digest, mediaType: plan.root.mediaType, platforms: plan.platforms }, { repository: repoState }, started),
          blobs: { ...counts, copied: 0, mounted: 0, bytesCopied: 0, toCopy: missing.map((b) => ({ digest: b.digest, size: b.size, kind: b.kind })) },
          manifests: { pushed: 0, present: plan.children.length - missingChildren.length, toPush: [...missingChildren.map((c) => c.digest), plan.root.digest] },
        });
      } else {
        printPlan(ctx, sides, plan, new Set(missing.map((b) => b.digest)), new Set(missingChildren.map((c) => c.digest)), repository, repoState);
      }
      return 0;
    }

    // 4. Blobs, streamed, several at a time.
    if (!opts.json && counts.present) ctx.io.info(`  ${counts.present} of ${counts.total} blobs already in the target`);
    const totalBytes = missing.reduce((n, b) => n + b.size, 0);
    const progress = mirrorProgress(ctx.io, { blobs: missing.length, bytes: totalBytes }, { lines: !opts.json });
    progressNote = (m) => progress.note(m);
    const outcomes: Record<'copied' | 'mounted', PlannedBlob[]> = { copied: [], mounted: [] };
    try {
      const copy = async (blob: PlannedBlob) => {
        const outcome = await copyBlob({ src, srcRepo: opts.source.path, dst, dstRepo: repository, mount: sameRegistry, progress }, blob);
        outcomes[outcome].push(blob);
        progress.finish(blob, outcome);
      };
      // Configs and small layers take a few round trips each and no bandwidth: they go in a lane
      // of their own beside the large ones, instead of queueing behind them.
      const small = missing.filter((b) => b.size < smallBlob);
      const lanes = await Promise.allSettled([mapLimit(missing.filter((b) => b.size >= smallBlob), opts.jobs, copy), mapLimit(small, 8, copy)]);
      for (const lane of lanes) if (lane.status === 'rejected') throw lane.reason;
    } finally {
      progress.stop();
      progressNote = undefined;
    }

    // 5. Child manifests by digest, then the tag: only now can it point at something complete.
    // Image manifests at once; nested indexes after them, in the plan's order (deepest first).
    const put = (child: MirrorPlan['children'][number]) => dst.putManifest(repository, child.digest, child.bytes, child.mediaType);
    await mapLimit(missingChildren.filter((c) => c.kind === 'image'), 8, put);
    for (const index of missingChildren.filter((c) => c.kind === 'index')) await put(index);
    const stored = await dst.putManifest(repository, tag ?? plan.root.digest, plan.root.bytes, plan.root.mediaType);
    if (stored && stored !== plan.root.digest) {
      throw new SgnError(`${target.address.host} stored the manifest under ${stored}, not ${plan.root.digest}.`, { hint: 'The registry rewrote the manifest; its digest is not preserved. Report this to the registry operator.' });
    }
    const bytesCopied = outcomes.copied.reduce((n, b) => n + b.size, 0);
    const r = result(opts, sides, { digest: plan.root.digest, mediaType: plan.root.mediaType, platforms: plan.platforms }, {
      repository: repoState,
      blobs: { ...counts, copied: outcomes.copied.length, mounted: outcomes.mounted.length, bytesCopied },
      manifests: { pushed: missingChildren.length + 1, present: plan.children.length - missingChildren.length },
    }, started);
    if (opts.json) {
      ctx.io.json(r);
    } else {
      const platforms = plan.platforms.length ? ` (${plan.platforms.join(', ')})` : '';
      const mounted = outcomes.mounted.length ? `, ${outcomes.mounted.length} mounted` : '';
      ctx.io.success(`Mirrored ${sides.dstText}${platforms} in ${formatDuration(performance.now() - started)}: ${outcomes.copied.length} blobs copied (${formatBytes(bytesCopied)})${mounted}${counts.present ? `, ${counts.present} already there` : ''}.`);
      ctx.io.print(`${sides.dstText}@${plan.root.digest}`);
    }
    return 0;
  } catch (e) {
    throw await explain(e, sides, ctx.signal);
  }
}
