import { mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../files.js';
import { dirname, join } from 'node:path';

export { cacheHome } from '../files.js';

/**
 * Where blobs are known to live: per registry host, per digest, the repositories that held it
 * when sgn last pushed, mounted or found it there (most recent first). A mirror asks the target
 * registry to mount a blob from one of them before uploading it (no bytes move); a stale entry
 * costs one refused mount, which turns into the upload session the copy needed anyway.
 */
export interface BlobLocations {
  /** Repositories of `host` known to hold `digest`, most recent first. */
  where(host: string, digest: string): string[];
  /** `repo` on `host` holds these blobs (or manifests). */
  add(host: string, repo: string, digests: readonly string[]): void;
  /** `repo` on `host` turned out not to hold `digest` (a refused mount). */
  forget(host: string, repo: string, digest: string): void;
  /** The manifest of `platform` in the index `index`, when an earlier run read it. */
  child(index: string, platform: string): string | undefined;
  rememberChild(index: string, platform: string, digest: string): void;
  /** Writes the cache back (merged with what other runs wrote meanwhile). Never throws. */
  save(): void;
}

interface CacheFile {
  version: 1;
  registries: Record<string, Record<string, string[]>>;
  /** `<index digest> <platform>` -> that platform's manifest digest (content-addressed: never stale). */
  children?: Record<string, string>;
}

/** Repositories remembered per blob: enough to find a mount source, small enough to stay fast. */
const perDigest = 4;
/** Digests remembered per registry; the oldest entries go first. */
const perRegistry = 20_000;

function read(path: string): CacheFile {
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
    if (doc?.version === 1 && doc.registries && typeof doc.registries === 'object') return doc;
  } catch {
    // Missing or damaged: a cache starts empty.
  }
  return { version: 1, registries: {} };
}

/** An in-memory list that never touches the disk (tests, --dry-run). */
export function memoryLocations(): BlobLocations {
  return fileLocations(undefined);
}

/**
 * The cache in `<dir>/blob-locations.json` (private: 0600 in a 0700 folder; it names the
 * repositories you mirror into). Read once on creation; `save()` re-reads and merges before
 * an atomic rename, so two runs at once lose at most each other's newest entries.
 */
export function fileLocations(dir: string | undefined): BlobLocations {
  const path = dir ? join(dir, 'blob-locations.json') : undefined;
  const doc = path ? read(path) : { version: 1 as const, registries: {} };
  const added: { host: string; repo: string; digest: string }[] = [];
  const children: Record<string, string> = {};
  const forgotten: { host: string; repo: string; digest: string }[] = [];
  const put = (d: CacheFile, host: string, repo: string, digest: string) => {
    const reg = (d.registries[host] ??= {});
    const list = (reg[digest] ?? []).filter((r) => r !== repo);
    delete reg[digest]; // re-inserted last: key order is the age order
    reg[digest] = [repo, ...list].slice(0, perDigest);
  };
  const drop = (d: CacheFile, host: string, repo: string, digest: string) => {
    const reg = d.registries[host];
    const list = reg?.[digest]?.filter((r) => r !== repo);
    if (!reg || !list) return;
    if (list.length) reg[digest] = list;
    else delete reg[digest];
  };
  return {
    where: (host, digest) => [...(doc.registries[host]?.[digest] ?? [])],
    add: (host, repo, digests) => {
      for (const digest of digests) {
        put(doc, host, repo, digest);
        added.push({ host, repo, digest });
      }
    },
    child: (index, platform) => doc.children?.[`${index} ${platform}`],
    rememberChild: (index, platform, digest) => {
      (doc.children ??= {})[`${index} ${platform}`] = digest;
      children[`${index} ${platform}`] = digest;
    },
    forget: (host, repo, digest) => {
      drop(doc, host, repo, digest);
      forgotten.push({ host, repo, digest });
    },
    save: () => {
      if (!path || (!added.length && !forgotten.length && !Object.keys(children).length)) return;
      try {
        const fresh = read(path);
        for (const a of added) put(fresh, a.host, a.repo, a.digest);
        for (const f of forgotten) drop(fresh, f.host, f.repo, f.digest);
        fresh.children = { ...fresh.children, ...children };
        const kids = Object.keys(fresh.children);
        for (const k of kids.slice(0, Math.max(0, kids.length - 2000))) delete fresh.children[k];
        for (const reg of Object.values(fresh.registries)) {
          const keys = Object.keys(reg);
          for (const k of keys.slice(0, Math.max(0, keys.length - perRegistry))) delete reg[k];
        }
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        writeFileAtomicSync(path, JSON.stringify(fresh), { mode: 0o600 });
        added.length = 0;
        forgotten.length = 0;
        for (const k of Object.keys(children)) delete children[k];
      } catch {
        // A cache that cannot be written only costs the next run its mounts.
      }
    },
  };
}
