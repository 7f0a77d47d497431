import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomicSync } from '../../files.js';
import { join } from 'node:path';
import type { EcrApi } from '../../aws/ecr.js';
import { ecrTarget, type EcrTarget } from './target.js';

/**
 * The ECR login, kept while valid in a private file (0600, as `docker login` keeps its
 * credentials), so that a mirror whose target is already up to date never loads the ECR SDK:
 * two HEADs are the whole run. A token the registry refuses is dropped and fetched again.
 */
export interface EcrLogin {
  /** The target and its credentials: from the cache when one is valid, else from ECR. */
  target(): Promise<EcrTarget & { cached: boolean }>;
  /** The cached login was refused: forget it; the next target() asks ECR. */
  invalidate(): void;
}

interface Cached {
  key: string;
  target: EcrTarget;
  /** Epoch ms after which the token is not used. */
  until: number;
}

/** Tokens are used until this long before ECR's own expiry (12 h after issue). */
const margin = 10 * 60_000;

/**
 * `identity` names everything that decides which registry and account a token is for
 * (profile, region, endpoints, access key id, the ecrRegistry setting): it is hashed into
 * the key, so that another identity never gets this one's token.
 */
export function ecrLogin(deps: {
  ecr: () => Promise<EcrApi>;
  cacheDir: string | undefined;
  identity: Record<string, string | undefined>;
  override?: string;
  sandboxRegistry?: string;
  now: () => Date;
}): EcrLogin {
  const key = createHash('sha256').update(JSON.stringify(deps.identity)).digest('hex');
  const path = deps.cacheDir ? join(deps.cacheDir, 'ecr-login.json') : undefined;
  let pending: Promise<EcrTarget & { cached: boolean }> | undefined;
  const fromCache = (): Cached | undefined => {
    if (!path) return undefined;
    try {
      const c = JSON.parse(readFileSync(path, 'utf8')) as Cached;
      if (c.key === key && c.until > deps.now().getTime() && c.target?.address?.host && c.target.credentials?.password) return c;
    } catch {
      // No usable cache: log in.
    }
    return undefined;
  };
  const login = async (): Promise<EcrTarget & { cached: boolean }> => {
    const hit = fromCache();
    if (hit) return { ...hit.target, cached: true };
    const { target, expiresAt } = await ecrTarget(await deps.ecr(), { override: deps.override, sandboxRegistry: deps.sandboxRegistry });
    if (path) {
      try {
        mkdirSync(deps.cacheDir!, { recursive: true, mode: 0o700 });
        // An expiry already past (moto answers a fixed date in 2015) or missing: an hour; a
        // token the registry refuses is fetched again anyway.
        const now = deps.now().getTime();
        const expiry = expiresAt && expiresAt.getTime() - margin > now ? expiresAt.getTime() - margin : now + 60 * 60_000;
        const until = Math.min(expiry, now + 12 * 60 * 60_000);
        writeFileAtomicSync(path, JSON.stringify({ key, target, until } satisfies Cached), { mode: 0o600 });
      } catch {
        // Not cached: the next run logs in again.
      }
    }
    return { ...target, cached: false };
  };
  return {
    target: () => (pending ??= login()),
    invalidate: () => {
      pending = undefined;
      if (path) rmSync(path, { force: true });
    },
  };
}
