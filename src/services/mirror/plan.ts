import { SgnError } from '../../errors.js';
import type { FetchedManifest, Registry } from '../../registry/client.js';
import { isForeignLayer, parseManifest, type Descriptor } from '../../registry/manifest.js';
import { formatPlatform, platformMatches, type Platform } from '../../registry/platform.js';
import { mapLimit } from './pool.js';

export interface PlannedManifest {
  digest: string;
  mediaType: string;
  /** The exact bytes: pushed as they are, so that the digest stays the same. */
  bytes: Buffer;
  kind: 'index' | 'image';
  platform?: Platform;
}

export interface PlannedBlob extends Descriptor {
  kind: 'config' | 'layer';
}

/** Everything one mirror copies, in the order it must arrive: blobs, children, then the root. */
export interface MirrorPlan {
  /** What the target tag will point at: the source's index, or one platform's manifest. */
  root: PlannedManifest;
  /** Manifests the root references, pushed by digest before it (nested ones first). */
  children: PlannedManifest[];
  /** Every blob of every copied manifest, once each, largest first. */
  blobs: PlannedBlob[];
  /** The platforms copied (`linux/amd64`, ...); attestation manifests are not counted. */
  platforms: string[];
}

function planned(m: FetchedManifest, where: string, platform?: Platform): { manifest: PlannedManifest; parsed: ReturnType<typeof parseManifest> } {
  const parsed = parseManifest(m.bytes, m.mediaType, where);
  return { manifest: { digest: m.digest, mediaType: parsed.mediaType, bytes: m.bytes, kind: parsed.kind, ...(platform ? { platform } : {}) }, parsed };
}

function blobsOf(parsed: ReturnType<typeof parseManifest>): PlannedBlob[] {
  if (parsed.kind !== 'image') return [];
  return [{ ...parsed.config, kind: 'config' as const }, ...parsed.layers.filter((l) => !isForeignLayer(l)).map((l) => ({ ...l, kind: 'layer' as const }))];
}

// Buildx adds attestation manifests (platform unknown/unknown) to an index; they are copied
// with the index (its digest covers them) but are not a platform anyone pulls.
function isAttestation(d: Descriptor): boolean {
  return d.platform?.os === 'unknown' || d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest';
}

async function configPlatform(src: Registry, repo: string, config: Descriptor): Promise<Platform | undefined> {
  try {
    const doc = JSON.parse((await src.getSmallBlob(repo, config.digest)).toString('utf8')) as { os?: string; architecture?: string; variant?: string };
    return doc.os && doc.architecture ? { os: doc.os, architecture: doc.architecture, ...(doc.variant ? { variant: doc.variant } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the source's manifests (by digest, each checked) and lists what a copy needs. With a
 * platform, the plan is that platform's manifest alone; without, the whole index.
 */
export async function planCopy(src: Registry, repo: string, ref: string, where: string, platform?: Platform): Promise<MirrorPlan> {
  const top = planned(await src.getManifest(repo, ref), where);
  if (top.parsed.kind === 'image') {
    const parsed = top.parsed;
    const actual = await configPlatform(src, repo, parsed.config);
    if (platform && actual && !platformMatches(platform, actual)) {
      throw new SgnError(`${where} is a single-platform image for ${formatPlatform(actual)}, not ${formatPlatform(platform)}.`, { hint: 'Drop --platform to copy it as it is.' });
    }
    return { root: { ...top.manifest, ...(actual ? { platform: actual } : {}) }, children: [], blobs: sortBlobs(blobsOf(parsed)), platforms: actual ? [formatPlatform(actual)] : [] };
  }
  const entries = top.parsed.manifests;
  if (platform) {
    const match = entries.find((d) => platformMatches(platform, d.platform));
    if (!match) {
      const available = entries.filter((d) => !isAttestation(d)).map((d) => formatPlatform(d.platform));
      throw new SgnError(`${where} has no ${formatPlatform(platform)} image.`, { hint: `Its platforms: ${available.join(', ') || 'none'}.` });
    }
    const child = planned(await src.getManifest(repo, match.digest), `${where} (${formatPlatform(match.platform)})`, match.platform);
    if (child.parsed.kind !== 'image') throw new SgnError(`${where} nests an index for ${formatPlatform(platform)}; copy it without --platform.`);
    return { root: child.manifest, children: [], blobs: sortBlobs(blobsOf(child.parsed)), platforms: [formatPlatform(match.platform)] };
  }
  const children: PlannedManifest[] = [];
  const blobs: PlannedBlob[] = [];
  const visit = async (list: Descriptor[], depth: number): Promise<void> => {
    const fetched = await mapLimit(list, 8, async (d) => planned(await src.getManifest(repo, d.digest), `${where} (${formatPlatform(d.platform)})`, d.platform));
    for (const f of fetched) {
      if (f.parsed.kind === 'index') {
        if (depth > 2) throw new SgnError(`${where} nests indexes more than three deep.`);
        await visit(f.parsed.manifests, depth + 1);
      }
      blobs.push(...blobsOf(f.parsed));
      children.push(f.manifest);
    }
  };
  await visit(entries, 1);
  const platforms = entries.filter((d) => !isAttestation(d) && d.platform).map((d) => formatPlatform(d.platform));
  return { root: top.manifest, children, blobs: sortBlobs(blobs), platforms };
}

function sortBlobs(blobs: PlannedBlob[]): PlannedBlob[] {
  const unique = new Map<string, PlannedBlob>();
  for (const b of blobs) if (!unique.has(b.digest)) unique.set(b.digest, b);
  // Largest first: the long transfers start at once and the small ones fill in around them.
  return [...unique.values()].sort((a, b) => b.size - a.size);
}
