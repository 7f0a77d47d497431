import type { EcrApi } from '../../aws/ecr.js';
import type { Reporter } from '../../io.js';
import type { ProxyEnv } from '../../net-proxy.js';
import type { Credentials } from '../../registry/auth.js';
import { Registry } from '../../registry/client.js';
import type { BlobLocations } from '../../registry/locations.js';
import { isLoopbackHost, registryApiHost } from '../../registry/reference.js';
import type { EcrLogin } from './login.js';
import type { EcrTarget } from './target.js';

/** What a mirror needs from outside: narrow, so that sync and mirror share one of each. */
export interface MirrorDeps {
  login: EcrLogin;
  /** ECR's API, loaded only when a repository must be looked up or created. */
  ecr(): Promise<EcrApi>;
  /** Credentials of a source registry (docker's config.json), looked up on its first challenge. */
  sourceCredentials(domain: string): Promise<Credentials | undefined>;
  locations: BlobLocations;
  /** Messages and progress; never data. */
  report: Reporter;
  signal: AbortSignal;
  userAgent: string;
  debug(line: string): void;
  now(): Date;
  /** Where docker's credentials are read from (named in errors). */
  dockerConfig: string;
  mirrorPrefix: string;
  /** The ecrRegistry setting's host, when set: a source on it may need the ECR token. */
  targetHint?: string;
  /** The lifecycle policy new repositories get (already checked). */
  lifecyclePolicy?: string;
  /** The proxies of the environment, when any is set (registries are reached through them). */
  proxy?: ProxyEnv;
}

/** At most `n` calls at once, across every image of a run. */
export class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly n: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * What the images of one run share: the login and one client of the target (its tokens and
 * keep-alive sockets), one client per source registry, the blob slots, and the blobs in flight
 * (a blob two images need is uploaded once, then mounted into the other repository).
 */
export class MirrorSession {
  private target?: Promise<{ target: EcrTarget & { cached: boolean }; registry: Registry }>;
  private readonly sources = new Map<string, { registry: Registry; found?: Promise<boolean> }>();
  /** Target blobs being copied now, by digest: a second copy waits, then mounts. */
  readonly inflight = new Map<string, Promise<unknown>>();
  readonly large: Slots;
  readonly small = new Slots(8);
  /** Retry notices go to the live progress while there is one. */
  note?: (message: string) => void;

  constructor(
    readonly deps: MirrorDeps,
    jobs: number,
  ) {
    this.large = new Slots(jobs);
  }

  private common() {
    return {
      userAgent: this.deps.userAgent,
      signal: this.deps.signal,
      ...(this.deps.proxy ? { proxy: this.deps.proxy } : {}),
      debug: (line: string) => this.deps.debug(line),
      onRetry: (message: string) => (this.note ? this.note(message) : this.deps.report.emit({ level: 'warn', code: 'mirror.retry', message })),
    };
  }

  /** The target registry and a client of it (login on first use, from the cache when valid). */
  targetRegistry(): Promise<{ target: EcrTarget & { cached: boolean }; registry: Registry }> {
    return (this.target ??= (async () => {
      const target = await this.deps.login.target();
      const registry = new Registry({ ...this.common(), role: 'target', host: target.address.host, insecure: target.address.insecure, actions: 'pull,push', basicFirst: true, credentials: async () => target.credentials });
      return { target, registry };
    })());
  }

  /** The cached login was refused: log in again on the next use. */
  resetTarget(): void {
    this.deps.login.invalidate();
    this.target = undefined;
  }

  /** One client per source registry (its tokens and sockets reused by every image from it). */
  source(domain: string): { registry: Registry; found(): Promise<boolean> } {
    const host = registryApiHost(domain);
    let s = this.sources.get(host);
    if (!s) {
      const entry: { registry: Registry; found?: Promise<boolean> } = {
        registry: new Registry({
          ...this.common(),
          role: 'source',
          host,
          insecure: isLoopbackHost(host),
          actions: 'pull',
          credentials: () => {
            // The ECR token also opens the source when both are the same registry (ECR to ECR);
            // only a host that may be the target waits for the login.
            const mayBeTarget = isLoopbackHost(host) || /\.dkr\.ecr\./.test(host) || host === this.deps.targetHint;
            const creds = mayBeTarget
              ? this.targetRegistry().then(({ target }) => (target.address.host === host ? target.credentials : this.deps.sourceCredentials(domain)))
              : this.deps.sourceCredentials(domain);
            entry.found = creds.then(Boolean, () => false);
            return creds;
          },
        }),
      };
      this.sources.set(host, entry);
      s = entry;
    }
    const found = s;
    return { registry: found.registry, found: async () => (await found.found) ?? false };
  }
}
