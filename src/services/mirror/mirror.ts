import { AuthError, ExitCode, InterruptedError, SgnError, UsageError } from '../../errors.js';
import { DigestMismatchError, RegistryError, type RateLimit, type Registry } from '../../registry/client.js';
import { parseManifest } from '../../registry/manifest.js';
import { formatPlatform, type Platform } from '../../registry/platform.js';
import { ProxyError, tlsHint } from '../../net-errors.js';
import { familiarPath, familiarReference, type ImageReference } from '../../registry/reference.js';
import { BlobSizeError } from '../../registry/verify.js';
import { copyBlob } from './copy.js';
import { planCopy, type MirrorPlan, type PlannedBlob } from './plan.js';
import { mapLimit } from './pool.js';
import { blobProgress } from './progress.js';
import type { MirrorSession } from './session.js';
import { createRepository, isEcrRepositoryName, repositoryExists } from './target.js';

export interface MirrorRequest {
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
  blobs: { total: number; copied: number; mounted: number; present: number; bytesCopied: number; toCopy?: { digest: string; size: number; kind: string }[] };
  manifests: { pushed: number; present: number; toPush?: string[] };
  seconds: number;
  /** Docker Hub's anonymous pull allowance, when the source said. */
  rateLimit?: RateLimit;
  /** With --dry-run: what the copy would do, for the renderer. */
  plan?: {
    root: { digest: string; kind: 'index' | 'image'; mediaType: string };
    children: { digest: string; platform: string; push: boolean }[];
    blobs: { digest: string; kind: string; size: number; copy: boolean }[];
  };
}

interface Sides {
  srcText: string;
  dstText: string;
  sourceDomain: string;
  dockerConfig: string;
  /** Whether credentials were found for the source (known once it challenged). */
  sourceCredentials: () => Promise<boolean>;
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
    const text = `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)} while mirroring ${where}; nothing was tagged.`;
    // The proxy failed, not the registry: its hint; credentials it asked for are exit 4.
    if (e.fault instanceof ProxyError) {
      return new SgnError(text, { hint: e.fault.hint, exitCode: e.fault.kind === 'proxy-auth' ? ExitCode.auth : ExitCode.failure, code: e.fault.kind === 'proxy-auth' ? 'proxy.auth' : 'proxy.failed', cause: e });
    }
    const hint =
      e.network === 'tls'
        ? tlsHint
        : e.network === 'idle' || e.network === 'slow'
          ? `${e.host} (the ${source ? 'source' : 'target'}) is too slow or stuck; try again later, or from another network. A rerun resumes where this stopped.`
          : e.network === 'not-http' || e.network === 'truncated'
            ? `Something between sgn and ${e.host} (a proxy, a captive portal) or the registry itself sent a broken answer; a rerun resumes where this stopped.`
            : `Check the registry name, your network and proxy${source ? '' : ' (for the target, the ecrRegistry setting)'}; a rerun resumes where this stopped.`;
    return new SgnError(text, { hint, cause: e });
  }
  if (e.status === 401 || e.status === 403) {
    if (source) {
      const status = `${e.status}${e.code ? ` ${e.code}` : ''}`;
      if (await s.sourceCredentials()) {
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
  return new SgnError(`${e.host} failed while mirroring ${where}: ${e.status}${e.code ? ` ${e.code}` : ''}${e.detail ? ` (${e.detail})` : ''}.`, { hint: e.retryable ? 'It kept failing after retries; try again later.' : 'Re-run with --debug to see the requests.', cause: e });
}

/** The target repository of a request: `--to`, or `<mirrorPrefix><name>`; checked against ECR's rule. */
export function targetRepository(req: Pick<MirrorRequest, 'source' | 'to'>, mirrorPrefix: string): { repository: string; tag?: string } {
  const repository = req.to?.repository ?? `${mirrorPrefix}${familiarPath(req.source)}`;
  if (!isEcrRepositoryName(repository)) {
    throw new UsageError(`"${repository}" is not a valid ECR repository name.`, req.to ? 'Use lowercase letters, digits and single "._-" between them, parts joined by "/".' : `Check the mirrorPrefix setting ("${mirrorPrefix}"), or name the target with --to.`);
  }
  return { repository, tag: req.to?.tag ?? req.source.tag };
}

/**
 * Copies one image, registry to registry, into the team's ECR. Compares digests by HEAD first
 * (no pull when the target is up to date), then mounts or copies the missing blobs (streamed and
 * verified, several at a time), then the child manifests, and the tag last, so that an
 * interrupted copy never leaves a tag pointing at something incomplete. A cached ECR login the
 * registry refuses is dropped and the mirror runs once more with a fresh one.
 */
export async function mirrorImage(session: MirrorSession, req: MirrorRequest): Promise<MirrorResult> {
  try {
    return await mirrorOnce(session, req);
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    const refused = cause instanceof RegistryError && cause.role === 'target' && (cause.status === 401 || cause.status === 403);
    if (!refused || !(await session.targetRegistry().then((t) => t.target.cached, () => false))) throw e;
    session.deps.debug('the cached ECR login was refused; logging in again');
    session.resetTarget();
    return mirrorOnce(session, req);
  }
}

async function mirrorOnce(session: MirrorSession, req: MirrorRequest): Promise<MirrorResult> {
  const { deps } = session;
  const started = deps.now().getTime();
  const { repository, tag } = targetRepository(req, deps.mirrorPrefix);
  const source = session.source(req.source.domain);
  const src = source.registry;
  const sides: Sides = { srcText: familiarReference(req.source), dstText: repository, sourceDomain: req.source.domain, dockerConfig: deps.dockerConfig, sourceCredentials: source.found };
  let rateLimit: RateLimit | undefined;
  const result = (plan: { digest: string; mediaType: string; platforms: string[] }, extra: Partial<MirrorResult>): MirrorResult => ({
    source: sides.srcText,
    target: sides.dstText,
    digest: plan.digest,
    mediaType: plan.mediaType,
    platforms: plan.platforms,
    upToDate: false,
    dryRun: req.dryRun,
    repository: 'exists',
    blobs: { total: 0, copied: 0, mounted: 0, present: 0, bytesCopied: 0 },
    manifests: { pushed: 0, present: 0 },
    seconds: Math.round((deps.now().getTime() - started) / 10) / 100,
    ...(rateLimit ? { rateLimit } : {}),
    ...extra,
  });

  try {
    // 1. Digests by HEAD, source and target at once: an up-to-date target costs no pull, and
    // with a cached login no ECR call either.
    const srcRef = req.source.digest ?? req.source.tag!;
    const srcHead = req.source.digest ? undefined : src.headManifest(req.source.path, srcRef);
    srcHead?.catch(() => undefined);
    const { target, registry: dst } = await session.targetRegistry();
    const sameRegistry = src.host === target.address.host;
    sides.dstText = `${target.address.host}/${repository}${tag ? `:${tag}` : ''}`;
    const dstHeadP = dst.headManifest(repository, tag ?? req.source.digest ?? srcRef);
    dstHeadP.catch(() => undefined);
    const head = await srcHead;
    if (!req.source.digest && !head) throw new RegistryError(404, 'MANIFEST_UNKNOWN', '', src.host, 'source');
    rateLimit = head?.rateLimit;
    // A registry that sends no Docker-Content-Digest: the plan reads the tag and hashes it.
    const srcDigest = req.source.digest ?? head?.digest;
    const dstHead = await dstHeadP;
    deps.report.emit({ level: 'info', code: 'mirror.start', message: `${req.dryRun ? 'Checking' : 'Mirroring'} ${sides.srcText} -> ${sides.dstText}` });
    const upToDate = (digest: string, plan: { mediaType: string; platforms: string[] }) => result({ digest, ...plan }, { upToDate: true });
    if (!req.platform && srcDigest && dstHead?.digest === srcDigest) return upToDate(srcDigest, { mediaType: dstHead.mediaType ?? '', platforms: [] });
    // One platform: the tag points at that platform's manifest, known from an earlier run's read of the index.
    const platformText = req.platform ? formatPlatform(req.platform) : undefined;
    const knownChild = platformText && srcDigest ? deps.locations.child(srcDigest, platformText) : undefined;
    if (knownChild && dstHead?.digest === knownChild) return upToDate(knownChild, { mediaType: dstHead.mediaType ?? '', platforms: [platformText!] });

    // 2. What the copy needs, read from the source by digest, while ECR (its SDK loaded only
    // now) makes sure of the repository: a tag there means it exists; a copy of a source known
    // to exist creates it at once (one call, beside the plan, "already exists" is fine); a dry
    // run or one platform (which may not exist) only looks.
    const createNow = !req.dryRun && !req.platform && !dstHead;
    const repo: Promise<'exists' | 'created' | 'missing'> = dstHead
      ? Promise.resolve('exists')
      : deps.ecr().then(async (ecr) => {
          if (!createNow) return (await repositoryExists(ecr, repository)) ? 'exists' : 'missing';
          try {
            return await createRepository(ecr, repository, deps.lifecyclePolicy);
          } catch (e) {
            // May not create repositories, but this one may exist already.
            if (e instanceof AuthError && (await repositoryExists(ecr, repository))) return 'exists';
            throw e;
          }
        });
    repo.catch(() => undefined);
    const plan = await planCopy(src, req.source.path, srcDigest ?? srcRef, sides.srcText, req.platform);
    if (platformText && srcDigest && plan.root.digest !== srcDigest) deps.locations.rememberChild(srcDigest, platformText, plan.root.digest);
    if (dstHead?.digest === plan.root.digest) return upToDate(plan.root.digest, { mediaType: plan.root.mediaType, platforms: plan.platforms });
    if (req.platform && tag && dstHead && !req.force) await refuseNarrowing(dst, repository, tag, plan, sides.dstText);

    // 3. The repository (created only now that the copy is known to be possible), then what the
    // target already has: nothing, when the repository is new.
    let repoState = await repo;
    if (repoState === 'missing' && !req.dryRun) repoState = await createRepository(await deps.ecr(), repository, deps.lifecyclePolicy);
    if (repoState === 'created') deps.report.emit({ level: 'info', code: 'mirror.repository.created', message: `  created repository ${repository} (scan on push${deps.lifecyclePolicy ? ', lifecycle policy' : ''})`, data: { repository } });
    const check = repoState === 'exists';
    const [blobThere, childThere] = await Promise.all([
      check ? mapLimit(plan.blobs, 8, (b) => dst.hasBlob(repository, b.digest)) : plan.blobs.map(() => false),
      check ? mapLimit(plan.children, 8, async (c) => (await dst.headManifest(repository, c.digest)) !== undefined) : plan.children.map(() => false),
    ]);
    const present = plan.blobs.filter((_, i) => blobThere[i]);
    deps.locations.add(target.address.host, repository, present.map((b) => b.digest));
    const missing = plan.blobs.filter((_, i) => !blobThere[i]);
    const missingChildren = plan.children.filter((_, i) => !childThere[i]);
    const counts = { total: plan.blobs.length, present: present.length };
    const summary = { digest: plan.root.digest, mediaType: plan.root.mediaType, platforms: plan.platforms };

    if (req.dryRun) {
      const copy = new Set(missing.map((b) => b.digest));
      const push = new Set(missingChildren.map((c) => c.digest));
      return result(summary, {
        repository: repoState,
        blobs: { ...counts, copied: 0, mounted: 0, bytesCopied: 0, toCopy: missing.map((b) => ({ digest: b.digest, size: b.size, kind: b.kind })) },
        manifests: { pushed: 0, present: plan.children.length - missingChildren.length, toPush: [...missingChildren.map((c) => c.digest), plan.root.digest] },
        plan: {
          root: { digest: plan.root.digest, kind: plan.root.kind, mediaType: plan.root.mediaType },
          children: plan.children.map((c) => ({ digest: c.digest, platform: c.platform ? [c.platform.os, c.platform.architecture, c.platform.variant].filter(Boolean).join('/') : 'unknown', push: push.has(c.digest) })),
          blobs: plan.blobs.map((b) => ({ digest: b.digest, kind: b.kind, size: b.size, copy: copy.has(b.digest) })),
        },
      });
    }

    // 4. Blobs: mounted from another repository of the target when one is known to hold them,
    // else streamed from the source, several at a time.
    if (counts.present) deps.report.emit({ level: 'info', code: 'mirror.blobs.present', message: `  ${counts.present} of ${counts.total} blobs already in the target` });
    const outcomes = await copyBlobs(session, { src, srcRepo: req.source.path, dst, dstHost: target.address.host, dstRepo: repository, sameRegistry, image: sides.dstText }, missing);

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
    return result(summary, {
      repository: repoState,
      blobs: { ...counts, copied: outcomes.copied.length, mounted: outcomes.mounted.length, bytesCopied },
      manifests: { pushed: missingChildren.length + 1, present: plan.children.length - missingChildren.length },
    });
  } catch (e) {
    throw await explain(e, sides, deps.signal);
  } finally {
    deps.locations.save();
  }
}

interface CopySpec {
  src: Registry;
  srcRepo: string;
  dst: Registry;
  dstHost: string;
  dstRepo: string;
  sameRegistry: boolean;
  image: string;
}

/**
 * Copies the missing blobs of one image. Large ones share the run's `jobs` slots, small ones
 * (configs, small layers: a few round trips each and no bandwidth) a lane of their own beside
 * them instead of queueing behind. A blob another image of the run is copying now is waited
 * for, then mounted. After the first failure no new blob starts; the running ones finish.
 */
async function copyBlobs(session: MirrorSession, c: CopySpec, missing: PlannedBlob[]): Promise<Record<'copied' | 'mounted', PlannedBlob[]>> {
  const { deps } = session;
  const outcomes: Record<'copied' | 'mounted', PlannedBlob[]> = { copied: [], mounted: [] };
  if (!missing.length) return outcomes;
  const progress = blobProgress(deps.report, { blobs: missing.length, bytes: missing.reduce((n, b) => n + b.size, 0), image: c.image });
  session.note = (m) => progress.note(m);
  let failed = false;
  const copy = async (blob: PlannedBlob) => {
    if (failed) return;
    const key = `${c.dstHost} ${blob.digest}`;
    const earlier = session.inflight.get(key);
    if (earlier) await earlier.catch(() => undefined);
    // The source's own repository when both are one registry, else the last place the cache saw it.
    const known = deps.locations.where(c.dstHost, blob.digest).filter((r) => r !== c.dstRepo);
    const mountFrom = c.sameRegistry ? c.srcRepo : known[0];
    const running = copyBlob({ src: c.src, srcRepo: c.srcRepo, dst: c.dst, dstRepo: c.dstRepo, mountFrom, progress, debug: deps.debug }, blob);
    session.inflight.set(key, running);
    try {
      const done = await running;
      if (done.refused && !c.sameRegistry) deps.locations.forget(c.dstHost, done.refused, blob.digest);
      deps.locations.add(c.dstHost, c.dstRepo, [blob.digest]);
      outcomes[done.outcome].push(blob);
      progress.finish(blob, done.outcome);
    } finally {
      if (session.inflight.get(key) === running) session.inflight.delete(key);
    }
  };
  try {
    const guarded = (blob: PlannedBlob) =>
      (blob.size < smallBlob ? session.small : session.large).run(() =>
        copy(blob).catch((e: unknown) => {
          failed = true;
          throw e;
        }),
      );
    const all = await Promise.allSettled(missing.map(guarded));
    for (const r of all) if (r.status === 'rejected') throw r.reason;
  } finally {
    progress.stop();
    session.note = undefined;
  }
  return outcomes;
}
