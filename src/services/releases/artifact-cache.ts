import { mkdir, readFile } from 'node:fs/promises';
import { cacheHome, writeFileAtomic } from '../../files.js';
import { join } from 'node:path';
import type { Deployspec } from './deployspec.js';

/** What sgn learnt from one artifact; valid for as long as its ETag (artifacts never change). */
export interface CachedArtifact {
  etag: string;
  size: number;
  /** S3 LastModified (ISO), when it was known. */
  lastModified?: string;
  status: 'ok' | 'unusable';
  deployspec?: Deployspec;
  reason?: string;
}

/** The artifact cache: per bucket, object key -> what its zip held at that ETag. */
export interface ArtifactCache {
  load(bucket: string): Promise<Map<string, CachedArtifact>>;
  /** Adds entries (merged with what other runs wrote meanwhile). Failing to write is not an error. */
  save(bucket: string, entries: Map<string, CachedArtifact>): Promise<void>;
}

/** `$XDG_CACHE_HOME/sgn/artifacts` (else `~/.cache/sgn/artifacts`). */
export function artifactCacheDir(env: NodeJS.ProcessEnv): string {
  return join(cacheHome(env), 'artifacts');
}

const fileVersion = 1;

/** A cache of one JSON file per bucket under `dir`, written atomically (temp file + rename). */
export function fileArtifactCache(dir: string): ArtifactCache {
  const fileOf = (bucket: string) => join(dir, `${encodeURIComponent(bucket)}.json`);
  const read = async (bucket: string): Promise<Map<string, CachedArtifact>> => {
    try {
      const doc = JSON.parse(await readFile(fileOf(bucket), 'utf8')) as { version?: number; entries?: Record<string, CachedArtifact> };
      if (doc.version !== fileVersion || typeof doc.entries !== 'object' || doc.entries === null) return new Map();
      return new Map(Object.entries(doc.entries).filter(([, v]) => typeof v?.etag === 'string'));
    } catch {
      // Missing or damaged: start empty (the cache only saves requests).
      return new Map();
    }
  };
  return {
    load: read,
    save: async (bucket, entries) => {
      if (entries.size === 0) return;
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const merged = await read(bucket);
        for (const [k, v] of entries) merged.set(k, v);
        const file = fileOf(bucket);
        await writeFileAtomic(file, JSON.stringify({ version: fileVersion, entries: Object.fromEntries(merged) }), { mode: 0o600 });
      } catch {
        // A read-only or full disk costs the next run some requests, nothing else.
      }
    },
  };
}

/** A cache that keeps nothing (tests, `--no-cache`). */
export const noArtifactCache: ArtifactCache = { load: async () => new Map(), save: async () => undefined };
