import { createHash } from 'node:crypto';
import { SgnError } from '../errors.js';
import type { Platform } from './platform.js';
import { isSha256Digest } from './reference.js';

/** The manifest media types sgn copies, and the ones it refuses. */
export const MediaType = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  schema1: 'application/vnd.docker.distribution.manifest.v1+json',
  schema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/**
 * The Accept header of every manifest request. Without the list types a registry may answer
 * with one platform's manifest (or a converted schema 1), and the digests would not match.
 */
export const manifestAccept = [MediaType.ociIndex, MediaType.dockerList, MediaType.ociManifest, MediaType.dockerManifest].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  urls?: string[];
  annotations?: Record<string, string>;
}

/** A manifest as sgn needs it: an index (children) or an image (config and layers). */
export type ParsedManifest = { kind: 'index'; mediaType: string; manifests: Descriptor[] } | { kind: 'image'; mediaType: string; config: Descriptor; layers: Descriptor[] };

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

/** True for the two index types (Docker manifest list, OCI index). */
export function isIndexMediaType(t: string): boolean {
  return t === MediaType.ociIndex || t === MediaType.dockerList;
}

function isImageType(t: string): boolean {
  return t === MediaType.ociManifest || t === MediaType.dockerManifest;
}

function descriptor(value: unknown, where: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (!d || typeof d.digest !== 'string' || typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0 || typeof d.mediaType !== 'string') {
    throw new SgnError(`${where} has a malformed descriptor (it needs mediaType, digest and size).`);
  }
  if (!isSha256Digest(d.digest)) {
    throw new SgnError(`${where} references ${d.digest}, and sgn copies only sha256 digests.`);
  }
  return { mediaType: d.mediaType, digest: d.digest, size: d.size, ...(d.platform ? { platform: d.platform } : {}), ...(Array.isArray(d.urls) ? { urls: d.urls } : {}), ...(d.annotations ? { annotations: d.annotations } : {}) };
}

/**
 * Parses a manifest's bytes. The media type is the Content-Type the registry sent, else the
 * document's own `mediaType` (optional in OCI), else guessed from its shape as the OCI spec allows.
 * Schema 1 is refused: it is deprecated and signed over a form that registries rewrite.
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined, where: string): ParsedManifest {
  let doc: { schemaVersion?: number; mediaType?: string; manifests?: unknown[]; config?: unknown; layers?: unknown[] };
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new SgnError(`${where} is not a JSON manifest.`);
  }
  const known = (t: string) => isIndexMediaType(t) || isImageType(t) || t === MediaType.schema1 || t === MediaType.schema1Signed;
  const declared = [contentType?.split(';')[0].trim() ?? '', doc.mediaType ?? ''].find(known);
  if (doc.schemaVersion === 1 || declared === MediaType.schema1 || declared === MediaType.schema1Signed) {
    throw new SgnError(`${where} is in the Docker schema 1 format, which sgn does not copy.`, {
      hint: 'Schema 1 was deprecated in 2019 and registries no longer accept it; re-push the image with a current Docker or buildx, or pick a newer tag.',
    });
  }
  // OCI makes mediaType optional: the document's shape tells an index from an image.
  const mediaType = declared ?? (Array.isArray(doc.manifests) ? MediaType.ociIndex : doc.config ? MediaType.ociManifest : undefined);
  if (!mediaType) throw new SgnError(`${where} is neither an image manifest nor an index (media type "${contentType ?? doc.mediaType ?? 'none'}").`);
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new SgnError(`${where} is an index without a manifests list.`);
    return { kind: 'index', mediaType, manifests: doc.manifests.map((m) => descriptor(m, where)) };
  }
  if (!doc.config || !Array.isArray(doc.layers)) throw new SgnError(`${where} is an image manifest without config or layers.`);
  return { kind: 'image', mediaType, config: descriptor(doc.config, where), layers: doc.layers.map((l) => descriptor(l, where)) };
}

/**
 * Blobs a registry serves from elsewhere (Windows base layers): they carry `urls` and a
 * non-distributable media type, registries do not require them, and copying them is not allowed.
 */
export function isForeignLayer(d: Descriptor): boolean {
  return Boolean(d.urls?.length) && /foreign|nondistributable/.test(d.mediaType);
}
