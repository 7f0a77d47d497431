import { setMaxListeners } from 'node:events';
import type { Readable } from 'node:stream';
import { NetworkError, isRetryableFault, type NetFaultKind } from '../net-errors.js';
import type { ProxyEnv } from '../net-proxy.js';
import { withRetry } from '../retry.js';
import { basicAuthorization, parseChallenge, repositoryScope, type Challenge, type Credentials } from './auth.js';
import { BodyStreamError, discard, header, httpRequest, readBody, type HttpResponse, type NetLimits } from './http.js';
import { manifestAccept, sha256Digest } from './manifest.js';
import { isSha256Digest } from './reference.js';

/**
 * A client of one registry that speaks the OCI distribution API: manifests, blobs, uploads.
 * It answers auth challenges itself (anonymous or credentialed bearer tokens, basic auth),
 * retries idempotent requests on 429/5xx and dropped connections (honouring Retry-After), and
 * checks that what it reads matches the digest it asked for.
 */
export interface RegistryOptions {
  /** host[:port] of the registry API. */
  host: string;
  /** Plain http instead of https. */
  insecure?: boolean;
  /** Looked up once, on the first challenge. */
  credentials?: () => Promise<Credentials | undefined>;
  /**
   * Send Basic credentials with the first request instead of waiting for the 401 that asks for
   * them (ECR takes Basic): one round trip less. A registry that wants a token still answers 401
   * with its challenge, and the client follows that.
   */
  basicFirst?: boolean;
  /** Token scope actions for this client's repositories: `pull` for a source, `pull,push` for a target. */
  actions: string;
  /** Named in errors, so that a message can say which side failed. */
  role?: 'source' | 'target';
  userAgent: string;
  signal?: AbortSignal;
  /** Attempts beyond the first for idempotent requests (default 4). */
  retries?: number;
  /** No retry starts after this long since the first attempt (default 30 s). */
  retryBudgetMs?: number;
  /** Connect, idle and throughput limits (default: netLimits). */
  limits?: Partial<NetLimits>;
  /** The proxies of the environment, when any is set. */
  proxy?: ProxyEnv;
  /** Longest Retry-After honoured before giving up (default 60 s). */
  maxRetryAfterMs?: number;
  /** Debug lines (method, URL without query, status). Never secrets. */
  debug?: (line: string) => void;
  /** Told before each retry after the first ("retrying in 2 s (2/4): connection refused by host"). */
  onRetry?: (message: string) => void;
}

/** A registry answered with an error status, or could not be reached (status 0). */
export class RegistryError extends Error {
  constructor(
    readonly status: number,
    /** The first OCI error code (MANIFEST_UNKNOWN, DENIED, ...) or a socket error code. */
    readonly code: string | undefined,
    readonly detail: string,
    readonly host: string,
    readonly role?: 'source' | 'target',
    /** For status 0: what happened on the wire (its sentence is `detail`). */
    readonly network?: NetFaultKind,
    /** The wait the registry asked for (Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(status ? `${host}: ${status} ${code ?? ''}${detail ? ` ${detail}` : ''}`.trim() : detail || `${host}: ${code ?? 'network error'}`);
    this.name = 'RegistryError';
  }

  /** How many attempts were made before this error stood (more than 1: retries are spent). */
  attempts = 1;

  /** True for faults worth another attempt: throttling, server errors, quick network faults (not timeouts). */
  get retryable(): boolean {
    if (this.status === 0) return this.network === undefined || isRetryableFault(this.network, this.code) || this.code === 'EAI_AGAIN';
    return this.status === 429 || this.status >= 500;
  }

  /** The reason a retry gives, naming the host. */
  get reason(): string {
    if (this.status === 0) return this.message;
    if (this.status === 429) return `${this.host} is limiting requests (429)`;
    return `${this.host} answered ${this.status}`;
  }

  /** For status 0: the network fault itself (a ProxyError carries its own hint). */
  fault?: NetworkError;

  static fromNetwork(e: NetworkError, role?: 'source' | 'target'): RegistryError {
    const err = new RegistryError(0, e.code ?? e.kind, e.message, e.host, role, e.kind);
    err.fault = e;
    return err;
  }
}

/** The registry sent bytes whose sha256 is not the digest it claimed. */
export class DigestMismatchError extends Error {
  constructor(
    readonly what: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${what} should have digest ${expected} but its content has ${actual}`);
    this.name = 'DigestMismatchError';
  }
}

/** Docker Hub's pull allowance (`ratelimit-limit: 100;w=21600`, `ratelimit-remaining: 76;w=21600`). */
export interface RateLimit {
  remaining: number;
  limit?: number;
  /** The window, in seconds. */
  windowSeconds?: number;
}

export interface ManifestHead {
  digest?: string;
  mediaType?: string;
  rateLimit?: RateLimit;
}

/** Reads Docker Hub's rate-limit headers; undefined when the registry sends none. */
export function rateLimitOf(headers: Record<string, string | string[] | undefined>): RateLimit | undefined {
  const one = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const remaining = /^\s*(\d+)(?:;w=(\d+))?/.exec(one('ratelimit-remaining') ?? '');
  if (!remaining) return undefined;
  const limit = /^\s*(\d+)/.exec(one('ratelimit-limit') ?? '');
  return { remaining: Number(remaining[1]), ...(limit ? { limit: Number(limit[1]) } : {}), ...(remaining[2] ? { windowSeconds: Number(remaining[2]) } : {}) };
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string | undefined;
  digest: string;
}

/** The longest a cancelled upload's DELETE may take (an interrupted mirror waits for it before exiting). */
export const cancelUploadMs = 2500;

const retryStatus = (s: number) => s === 429 || s === 502 || s === 503 || s === 504 || s === 500;

interface RequestSpec {
  method: string;
  /** Aborts this request alone (the client's own signal aborts every request). */
  signal?: AbortSignal;
  /** An absolute URL (upload locations) or a path under /v2/. */
  url: URL | string;
  repo: string;
  extraScopes?: string[];
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  expect: number[];
  /** Follow 3xx (blob downloads may redirect to a CDN or S3). */
  redirects?: boolean;
  /** Instead of the run's signal (a cancel must still go out after Ctrl-C); sent once, never retried. */
  ownSignal?: AbortSignal;
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export class Registry {
  readonly host: string;
  private readonly base: string;
  private challenge?: Challenge;
  private credentials?: Promise<Credentials | undefined>;
  private readonly tokens = new Map<string, Promise<{ value: string; expires: number }>>();

  constructor(private readonly opts: RegistryOptions) {
    this.host = opts.host;
    // Every request in flight listens to the signal (a dozen at once is normal): not a leak.
    if (opts.signal) setMaxListeners(256, opts.signal);
    this.base = `${opts.insecure ? 'http' : 'https'}://${opts.host}`;
    if (opts.basicFirst) this.challenge = { scheme: 'basic', params: {} };
  }

  private creds(): Promise<Credentials | undefined> {
    return (this.credentials ??= this.opts.credentials?.() ?? Promise.resolve(undefined));
  }

  private async authorization(scopes: string[]): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') {
      const creds = await this.creds();
      return creds ? basicAuthorization(creds) : undefined;
    }
    const key = scopes.join(' ');
    let entry = this.tokens.get(key);
    if (entry) {
      const t = await entry.catch(() => undefined);
      if (!t || t.expires <= Date.now()) entry = undefined;
    }
    if (!entry) {
      entry = this.fetchToken(c, scopes);
      this.tokens.set(key, entry);
      entry.catch(() => this.tokens.delete(key));
    }
    return (await entry).value;
  }

  // The token dance of the distribution spec: GET realm?service=&scope=, anonymous or with
  // Basic credentials; the answer carries `token` (or OAuth's `access_token`) and a lifetime.
  private async fetchToken(c: Challenge, scopes: string[]): Promise<{ value: string; expires: number }> {
    if (!c.params.realm) throw new RegistryError(401, 'UNAUTHORIZED', 'the bearer challenge has no realm', this.host, this.opts.role);
    const url = new URL(c.params.realm);
    if (c.params.service) url.searchParams.set('service', c.params.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const creds = await this.creds();
    const res = await this.send({ method: 'GET', url, headers: creds ? { Authorization: basicAuthorization(creds) } : {} }, true);
    if (res.status === 401 || res.status === 403) {
      await discard(res);
      throw new RegistryError(401, 'UNAUTHORIZED', creds ? 'the token service refused the credentials' : 'the token service refused an anonymous token', this.host, this.opts.role);
    }
    if (res.status !== 200) throw await this.errorFrom(res);
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse((await this.read(res, 1 << 20)).toString('utf8')) as typeof body;
    } catch (e) {
      if (e instanceof RegistryError) throw e;
      throw new RegistryError(0, 'MALFORMED', `${url.host} answered the token request with something that is not JSON`, url.host, this.opts.role, 'not-http');
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(res.status, 'UNAUTHORIZED', 'the token service answered without a token', this.host, this.opts.role);
    // Renew a little before the registry would refuse it (the spec's default lifetime is 60 s).
    return { value: `Bearer ${token}`, expires: Date.now() + Math.max(10, (body.expires_in ?? 60) - 10) * 1000 };
  }

  /**
   * One HTTP exchange with the one retry policy (src/retry.ts) when replayable: throttling, 5xx
   * and quick network faults are retried within a budget, honouring Retry-After; what is left
   * is thrown as a RegistryError naming the host that failed.
   */
  private async send(r: { method: string; url: URL; headers: Record<string, string>; body?: Buffer | Readable; signal?: AbortSignal; ownSignal?: AbortSignal }, replayable: boolean): Promise<HttpResponse> {
    const maxRetryAfter = this.opts.maxRetryAfterMs ?? 60_000;
    const signal = r.ownSignal ?? (r.signal && this.opts.signal ? AbortSignal.any([this.opts.signal, r.signal]) : (r.signal ?? this.opts.signal));
    let attempts = 0;
    try {
      return await withRetry(
        async () => {
          attempts++;
          let res: HttpResponse;
          const sent = performance.now();
          try {
            res = await httpRequest({ method: r.method, url: r.url, headers: { 'User-Agent': this.opts.userAgent, ...r.headers }, body: r.body, signal, limits: this.opts.limits, proxy: this.opts.proxy });
          } catch (e) {
            // The body's own failure (its source broke off, a digest check) is the caller's to judge.
            if (e instanceof BodyStreamError) throw e.cause;
            if (!r.ownSignal && this.opts.signal?.aborted) throw this.opts.signal.reason ?? e;
            if (e instanceof NetworkError) throw RegistryError.fromNetwork(e, this.opts.role);
            throw e;
          }
          // A timeline: when the request was sent (ms since start) and how long its answer took.
          this.opts.debug?.(`${r.method} ${r.url.origin}${r.url.pathname} -> ${res.status} (at ${Math.round(sent)} ms, ${Math.round(performance.now() - sent)} ms)`);
          if (retryStatus(res.status)) throw await this.errorFrom(res, r.url.host);
          return res;
        },
        {
          policy: { retries: replayable && !r.ownSignal ? (this.opts.retries ?? 4) : 0, ...(this.opts.retryBudgetMs !== undefined ? { budgetMs: this.opts.retryBudgetMs } : {}) },
          classify: (e) => {
            if (!(e instanceof RegistryError) || !e.retryable || e.code === 'ENOTFOUND') return undefined;
            if (e.retryAfterMs !== undefined && e.retryAfterMs > maxRetryAfter) return undefined;
            return { reason: e.reason, afterMs: e.retryAfterMs };
          },
          announce: (m) => this.opts.onRetry?.(m),
          signal: r.ownSignal ?? this.opts.signal,
        },
      );
    } catch (e) {
      if (e instanceof RegistryError) e.attempts = attempts;
      throw e;
    }
  }

  /** Sends a request of the distribution API, answering one auth challenge and following redirects. */
  private async request(spec: RequestSpec): Promise<HttpResponse> {
    const scopes = [repositoryScope(spec.repo, this.opts.actions), ...(spec.extraScopes ?? [])];
    const replayable = !(spec.body && typeof (spec.body as Readable).pipe === 'function');
    let url = typeof spec.url === 'string' ? new URL(spec.url, this.base) : spec.url;
    let challenged = false;
    for (let hops = 0; ; ) {
      const sameOrigin = url.origin === this.base;
      // Never send the registry's credentials to another host (a CDN or S3 signs its own URLs).
      const auth = sameOrigin ? await this.authorization(scopes) : undefined;
      const res = await this.send({ method: spec.method, url, headers: { ...spec.headers, ...(auth ? { Authorization: auth } : {}) }, body: spec.body, signal: spec.signal, ownSignal: spec.ownSignal }, replayable);
      if (res.status === 401 && sameOrigin && !challenged) {
        const c = parseChallenge(header(res, 'www-authenticate'));
        if (c) {
          challenged = true;
          this.challenge = c;
          this.tokens.clear();
          if (replayable) {
            await discard(res);
            continue;
          }
        }
      }
      if (spec.redirects && res.status >= 300 && res.status < 400 && header(res, 'location') && hops < 5) {
        await discard(res);
        url = new URL(header(res, 'location')!, url);
        hops++;
        continue;
      }
      if (spec.expect.includes(res.status)) return res;
      throw await this.errorFrom(res);
    }
  }

  /** Reads a small body whole; a body that breaks off or stalls names the host that sent it. */
  private async read(res: HttpResponse, limit: number): Promise<Buffer> {
    try {
      return await readBody(res, limit);
    } catch (e) {
      if (e instanceof NetworkError) throw RegistryError.fromNetwork(e, this.opts.role);
      throw e;
    }
  }

  private async errorFrom(res: HttpResponse, host = this.host): Promise<RegistryError> {
    let code: string | undefined;
    let detail = '';
    const retryAfter = retryAfterMs(header(res, 'retry-after'));
    try {
      const text = (await readBody(res, 1 << 16)).toString('utf8');
      const doc = JSON.parse(text) as { errors?: { code?: string; message?: string }[]; details?: string };
      code = doc.errors?.[0]?.code;
      detail = doc.errors?.[0]?.message ?? doc.details ?? '';
    } catch {
      // Not an OCI error document: the status says enough.
    }
    if (!code && res.status === 401) code = 'UNAUTHORIZED';
    if (!code && res.status === 404) code = 'NOT_FOUND';
    if (!code && res.status === 429) code = 'TOOMANYREQUESTS';
    return new RegistryError(res.status, code, detail, host, this.opts.role, undefined, retryAfter);
  }

  /** Ensures the auth challenge is known and credentials work for `repo` (one cheap request). */
  async ping(repo: string): Promise<void> {
    await discard(await this.request({ method: 'GET', url: '/v2/', repo, expect: [200] }));
  }

  /** HEAD of a manifest: its digest without a pull (Docker Hub does not count HEADs). Undefined when absent. */
  async headManifest(repo: string, ref: string): Promise<ManifestHead | undefined> {
    const res = await this.request({ method: 'HEAD', url: `/v2/${repo}/manifests/${ref}`, repo, headers: { Accept: manifestAccept }, expect: [200, 404] });
    await discard(res);
    if (res.status === 404) return undefined;
    const rateLimit = rateLimitOf(res.headers);
    return { digest: header(res, 'docker-content-digest'), mediaType: header(res, 'content-type'), ...(rateLimit ? { rateLimit } : {}) };
  }

  /** Every tag of a repository (`GET /v2/<repo>/tags/list`, following the `Link` pages). Reads no manifest. */
  async listTags(repo: string): Promise<string[]> {
    const tags: string[] = [];
    let url: URL | undefined = new URL(`/v2/${repo}/tags/list?n=1000`, this.base);
    for (let page = 0; url && page < 100; page++) {
      const res: HttpResponse = await this.request({ method: 'GET', url, repo, expect: [200] });
      const doc = JSON.parse((await readBody(res, 16 << 20)).toString('utf8')) as { tags?: string[] | null };
      tags.push(...(doc.tags ?? []));
      const next = /<([^>]+)>;\s*rel="?next"?/.exec(header(res, 'link') ?? '')?.[1];
      url = next ? new URL(next, this.base) : undefined;
    }
    return tags;
  }

  /** GET of a manifest, checked against the digest asked for (or the one the registry claims). */
  async getManifest(repo: string, ref: string): Promise<FetchedManifest> {
    const res = await this.request({ method: 'GET', url: `/v2/${repo}/manifests/${ref}`, repo, headers: { Accept: manifestAccept }, expect: [200] });
    const bytes = await this.read(res, 4 << 20);
    const digest = sha256Digest(bytes);
    const claimed = isSha256Digest(ref) ? ref : header(res, 'docker-content-digest');
    if (claimed && claimed !== digest) throw new DigestMismatchError(`The manifest ${repo}:${ref} from ${this.host}`, claimed, digest);
    return { bytes, mediaType: header(res, 'content-type'), digest };
  }

  /** PUT of a manifest's exact bytes under a tag or its digest; returns the digest the registry stored. */
  async putManifest(repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<string | undefined> {
    const res = await this.request({ method: 'PUT', url: `/v2/${repo}/manifests/${ref}`, repo, headers: { 'Content-Type': mediaType, 'Content-Length': String(bytes.length) }, body: bytes, expect: [200, 201, 202] });
    await discard(res);
    return header(res, 'docker-content-digest');
  }

  /** True when the repository already holds the blob. */
  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.request({ method: 'HEAD', url: `/v2/${repo}/blobs/${digest}`, repo, expect: [200, 307, 404] });
    await discard(res);
    return res.status !== 404;
  }

  /** A blob's bytes as a stream, with the length the registry announced (Content-Length), if any. */
  async openBlob(repo: string, digest: string): Promise<{ body: Readable; length?: number }> {
    const res = await this.request({ method: 'GET', url: `/v2/${repo}/blobs/${digest}`, repo, expect: [200], redirects: true });
    const length = Number(header(res, 'content-length'));
    return { body: res.body, ...(header(res, 'content-length') && Number.isSafeInteger(length) ? { length } : {}) };
  }

  /** A small blob (an image config) read whole and checked against its digest. */
  async getSmallBlob(repo: string, digest: string, limit = 4 << 20): Promise<Buffer> {
    const res = await this.request({ method: 'GET', url: `/v2/${repo}/blobs/${digest}`, repo, expect: [200], redirects: true });
    const bytes = await this.read(res, limit);
    const actual = sha256Digest(bytes);
    if (actual !== digest) throw new DigestMismatchError(`The blob ${digest} from ${this.host}`, digest, actual);
    return bytes;
  }

  /**
   * Starts an upload; with `mount`, first asks the registry to link a blob it holds in another
   * repository (no bytes move). Returns 'mounted', or the upload's location.
   */
  async startUpload(repo: string, mount?: { digest: string; from: string }): Promise<'mounted' | URL> {
    const url = new URL(`/v2/${repo}/blobs/uploads/`, this.base);
    if (mount) {
      url.searchParams.set('mount', mount.digest);
      url.searchParams.set('from', mount.from);
    }
    const res = await this.request({
      method: 'POST',
      url,
      repo,
      extraScopes: mount ? [repositoryScope(mount.from, 'pull')] : [],
      headers: { 'Content-Length': '0' },
      expect: [201, 202],
    });
    await discard(res);
    if (res.status === 201) return 'mounted';
    return this.location(res);
  }

  private location(res: HttpResponse): URL {
    const loc = header(res, 'location');
    if (!loc) throw new RegistryError(res.status, 'BLOB_UPLOAD_INVALID', 'the registry gave no upload location', this.host, this.opts.role);
    return new URL(loc, this.base);
  }

  /**
   * Sends a whole blob as one PATCH with an exact Content-Length (what skopeo and crane do, and
   * what ECR and docker-registry accept), streamed as it is read. Returns the next location.
   */
  async patchUpload(repo: string, location: URL, body: Readable, size: number): Promise<URL> {
    const res = await this.request({
      method: 'PATCH',
      url: location,
      repo,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
      body,
      expect: [202, 204],
    });
    await discard(res);
    return this.location(res);
  }

  /**
   * False once this registry refused a monolithic upload (see putUpload): the rest of the run
   * sends PATCH then PUT.
   */
  monolithicUploads = true;

  /**
   * Sends a whole blob with the PUT that completes its upload (the OCI spec's monolithic upload,
   * after the POST that opened the session): one request instead of PATCH then PUT, and one less
   * upload state for the registry to save and reload. The registry checks the digest itself
   * before it links the blob. `signal` aborts the request before its last byte is sent, so
   * that the registry never gets (and never commits) a complete body whose digest sgn refused.
   */
  async putUpload(repo: string, location: URL, body: Readable, size: number, digest: string, signal?: AbortSignal): Promise<void> {
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    const res = await this.request({
      method: 'PUT',
      url,
      repo,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
      body,
      expect: [201, 204],
      ...(signal ? { signal } : {}),
    });
    await discard(res);
  }

  /** Completes an upload: the registry checks the digest itself before it links the blob. */
  async commitUpload(repo: string, location: URL, digest: string): Promise<void> {
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    const res = await this.request({ method: 'PUT', url, repo, headers: { 'Content-Length': '0' }, expect: [201, 204] });
    await discard(res);
  }

  /**
   * Abandons an upload (the distribution spec's DELETE of its location), best effort and within
   * `cancelUploadMs`: registries also purge stale uploads, but only days later. It runs on its
   * own time limit, not the run's signal, because after Ctrl-C that signal is aborted and this
   * is exactly when the half-sent upload must be dropped. True when the registry took it.
   */
  async cancelUpload(repo: string, location: URL): Promise<boolean> {
    try {
      await discard(await this.request({ method: 'DELETE', url: location, repo, expect: [202, 204, 404], ownSignal: AbortSignal.timeout(cancelUploadMs) }));
      return true;
    } catch {
      // Nothing more to do: the upload expires on its own.
      return false;
    }
  }
}
