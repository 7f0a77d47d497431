import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { userAgent } from '../version.js';
import type { Credentials } from '../registry/auth.js';
import { Registry } from '../registry/client.js';
import { MediaType, sha256Digest } from '../registry/manifest.js';
import type { Platform } from '../registry/platform.js';
import { isLoopbackHost } from '../registry/reference.js';

/**
 * Builders for container images as a registry holds them: tar layers, configs, per-platform
 * manifests and an OCI index. The sandbox pushes its demo image with these; the tests write
 * OCI layouts with them for skopeo to push.
 */
export interface FixtureBlob {
  digest: string;
  size: number;
  mediaType: string;
  /** The bytes, or the file that holds them (large layers are never in memory). */
  data?: Buffer;
  path?: string;
}

export interface FixtureLayer {
  blob: FixtureBlob;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids). */
  diffId: string;
}

export interface FixtureManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  platform?: Platform;
}

export interface ImageFixture {
  index: FixtureManifest;
  manifests: FixtureManifest[];
  /** Every blob (configs and layers), once each. */
  blobs: FixtureBlob[];
}

const epoch = '2024-01-01T00:00:00Z';

function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (text: string, offset: number, length: number) => h.write(text, offset, length, 'ascii');
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0') + '\0';
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(Math.floor(Date.parse(epoch) / 1000), 12), 136, 12);
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

const padding = (size: number) => Buffer.alloc((512 - (size % 512)) % 512);
const tarEnd = Buffer.alloc(1024);

/** A tar archive of the given files, in order. */
export function tarOf(files: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    parts.push(tarHeader(name, data.length), data, padding(data.length));
  }
  parts.push(tarEnd);
  return Buffer.concat(parts);
}

function blobOf(data: Buffer, mediaType: string): FixtureBlob {
  return { digest: sha256Digest(data), size: data.length, mediaType, data };
}

/** A small gzip-compressed layer holding these files. */
export function gzipLayer(files: Record<string, string | Buffer>): FixtureLayer {
  const tar = tarOf(files);
  return { blob: blobOf(gzipSync(tar, { level: 6 }), 'application/vnd.oci.image.layer.v1.tar+gzip'), diffId: sha256Digest(tar) };
}

/**
 * A large layer of random bytes (one file in a tar), gzip-wrapped without compression (level 0:
 * random data does not shrink, and a gzip layer is what registry clients expect, so skopeo
 * pushes it unchanged) and written to `path` as it is generated: never held in memory.
 */
export async function randomLayerFile(path: string, bytes: number, name = 'random.bin'): Promise<FixtureLayer> {
  const tarHash = createHash('sha256');
  const gzHash = createHash('sha256');
  let size = 0;
  async function* tar() {
    yield tarHeader(name, bytes);
    for (let left = bytes; left > 0; left -= 1 << 20) yield randomBytes(Math.min(left, 1 << 20));
    yield padding(bytes);
    yield tarEnd;
  }
  const tap = (hash: ReturnType<typeof createHash>, count = false) =>
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        if (count) size += chunk.length;
        done(null, chunk);
      },
    });
  await pipeline(Readable.from(tar()), tap(tarHash), createGzip({ level: 0 }), tap(gzHash, true), createWriteStream(path));
  return { blob: { digest: 'sha256:' + gzHash.digest('hex'), size, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', path }, diffId: 'sha256:' + tarHash.digest('hex') };
}

function manifestOf(doc: object, mediaType: string, platform?: Platform): FixtureManifest {
  const bytes = Buffer.from(JSON.stringify(doc));
  return { digest: sha256Digest(bytes), mediaType, bytes, ...(platform ? { platform } : {}) };
}

const descriptorOf = (b: FixtureBlob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });

/**
 * A multi-platform image as buildx makes one: an OCI index over one OCI manifest per platform.
 * Every platform gets `shared` layers first, then a small layer of its own, then its `extra`.
 */
export function multiArchImage(opts: { name: string; platforms: Platform[]; shared?: FixtureLayer[]; extra?: Record<string, FixtureLayer[]> }): ImageFixture {
  const blobs = new Map<string, FixtureBlob>();
  const manifests: FixtureManifest[] = [];
  for (const platform of opts.platforms) {
    const key = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
    const own = gzipLayer({ 'etc/demo-platform': `${opts.name} ${key}\n` });
    const layers = [...(opts.shared ?? []), own, ...(opts.extra?.[key] ?? [])];
    const config = blobOf(
      Buffer.from(
        JSON.stringify({
          created: epoch,
          architecture: platform.architecture,
          os: platform.os,
          ...(platform.variant ? { variant: platform.variant } : {}),
          config: { Cmd: ['/bin/sh', '-c', `echo ${opts.name}`] },
          rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        }),
      ),
      'application/vnd.oci.image.config.v1+json',
    );
    for (const b of [config, ...layers.map((l) => l.blob)]) blobs.set(b.digest, b);
    manifests.push(manifestOf({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: descriptorOf(config), layers: layers.map((l) => descriptorOf(l.blob)) }, MediaType.ociManifest, platform));
  }
  const index = manifestOf({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: manifests.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, platform: m.platform })) }, MediaType.ociIndex);
  return { index, manifests, blobs: [...blobs.values()] };
}

/** Writes an image as an OCI image layout (for `skopeo copy oci:DIR:TAG ...`). */
export function writeOciLayout(dir: string, image: ImageFixture, tag: string): void {
  const blobDir = join(dir, 'blobs', 'sha256');
  mkdirSync(blobDir, { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const b of image.blobs) {
    const path = join(blobDir, b.digest.slice('sha256:'.length));
    if (b.path) copyFileSync(b.path, path);
    else writeFileSync(path, b.data!);
  }
  for (const m of [...image.manifests, image.index]) writeFileSync(join(blobDir, m.digest.slice('sha256:'.length)), m.bytes);
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: image.index.mediaType, digest: image.index.digest, size: image.index.bytes.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
}

/** Pushes an image to a registry (blobs it lacks, manifests by digest, then each tag). */
export async function pushImage(registry: Registry, repository: string, image: ImageFixture, tags: string[]): Promise<void> {
  for (const b of image.blobs) {
    if (await registry.hasBlob(repository, b.digest)) continue;
    const location = await registry.startUpload(repository);
    if (location === 'mounted') continue;
    const body = b.path ? createReadStream(b.path) : Readable.from([b.data!]);
    await registry.commitUpload(repository, await registry.patchUpload(repository, location, body, b.size), b.digest);
  }
  for (const m of image.manifests) await registry.putManifest(repository, m.digest, m.bytes, m.mediaType);
  for (const tag of tags) await registry.putManifest(repository, tag, image.index.bytes, image.index.mediaType);
}

/** The sandbox's demo image: small, two platforms, a shared base layer. */
export function demoImage(name = 'hello'): ImageFixture {
  const base = gzipLayer({ 'etc/os-release': 'NAME="sgn demo"\nID=sgn-demo\n', 'bin/hello': '#!/bin/sh\necho "hello from the sgn sandbox"\n' });
  return multiArchImage({ name, platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }], shared: [base] });
}

/**
 * Seeds the sandbox's local registry with the demo image (`demo/hello:1.0` and `latest` unless
 * told otherwise), so that `sgn --sandbox image mirror <host>/demo/hello:1.0` has something to
 * copy. Returns the index digest.
 */
export async function seedDemoImages(opts: { host: string; credentials?: Credentials; images?: { repository: string; tags: string[] }[] }): Promise<string> {
  const registry = new Registry({
    host: opts.host,
    insecure: isLoopbackHost(opts.host),
    actions: 'pull,push',
    userAgent,
    credentials: async () => opts.credentials,
  });
  const image = demoImage();
  for (const { repository, tags } of opts.images ?? [{ repository: 'demo/hello', tags: ['1.0', 'latest'] }]) await pushImage(registry, repository, image, tags);
  return image.index.digest;
}
