/**
 * What went wrong on the wire, in words a user can act on, naming the host that failed. One
 * classification for every client sgn has (registries over node:http, the AWS SDK's handler),
 * so that a refused connection reads the same whatever was being talked to.
 */
export type NetFaultKind = 'refused' | 'dns' | 'connect-timeout' | 'reset' | 'idle' | 'slow' | 'truncated' | 'not-http' | 'tls' | 'proxy' | 'proxy-auth';

/** A network fault, its sentence already naming the host ("connection refused by 127.0.0.1:9"). */
export class NetworkError extends Error {
  constructor(
    readonly kind: NetFaultKind,
    readonly host: string,
    message: string,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NetworkError';
  }

  /** A fresh attempt may well succeed: the fault was quick and probably a blip. Timeouts are not retried. */
  get retryable(): boolean {
    return isRetryableFault(this.kind, this.code);
  }
}

/** The one rule of which network faults are worth another attempt: the quick ones (not timeouts, not a name that does not exist). */
export function isRetryableFault(kind: NetFaultKind, code: string | undefined): boolean {
  return kind === 'refused' || kind === 'reset' || kind === 'truncated' || (kind === 'dns' && code === 'EAI_AGAIN');
}

const tlsCodes = /^(CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|ERR_TLS_|ERR_SSL_|EPROTO$|HOSTNAME_MISMATCH|ERR_OSSL)/;

/**
 * The one list of socket-level error codes sgn knows (Node's net/dns/stream and undici's), and
 * what each means. Every client and service asks here instead of keeping its own copy.
 */
const codeKinds: Record<string, NetFaultKind> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  ETIMEDOUT: 'connect-timeout',
  ECONNABORTED: 'connect-timeout',
  EHOSTUNREACH: 'connect-timeout',
  ENETUNREACH: 'connect-timeout',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  ERR_STREAM_PREMATURE_CLOSE: 'truncated',
};

/** Codes of a connection that broke off once a request was under way (the peer may have acted on it). */
const droppedCodes = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Codes meaning no byte of the request reached the server: nothing can have happened there. */
const notSentCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function errorCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; cause?: { code?: unknown } } | null;
  if (typeof err?.code === 'string') return err.code;
  if (typeof err?.cause?.code === 'string') return err.cause.code;
  return undefined;
}

/** The socket-level code of an error (its own or its cause's) when it is one sgn knows; undefined otherwise. */
export function networkErrorCode(e: unknown): string | undefined {
  const code = errorCode(e);
  return code !== undefined && (code in codeKinds || tlsCodes.test(code)) ? code : undefined;
}

/** True when a transfer broke off midway (reset, timed out, closed early): a fresh attempt may succeed. */
export function isDroppedConnection(e: unknown): boolean {
  if (e instanceof NetworkError) return e.kind === 'reset' || e.kind === 'truncated';
  const err = e as { code?: unknown; message?: unknown } | null;
  return (typeof err?.code === 'string' && droppedCodes.has(err.code)) || err?.message === 'aborted';
}

/** True when the request cannot have reached the server (refused, no DNS answer, no route, TLS refused). */
export function neverSent(e: unknown): boolean {
  if (e instanceof NetworkError) return e.kind === 'refused' || e.kind === 'dns' || e.kind === 'tls' || (e.kind === 'connect-timeout' && e.code !== 'ETIMEDOUT' && e.code !== 'ECONNABORTED');
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (notSentCodes.has(code) || tlsCodes.test(code));
}

/** The hint for a TLS failure: a corporate proxy or private CA is the usual cause. */
export const tlsHint = 'If a corporate proxy or a private CA signs the certificate, point NODE_EXTRA_CA_CERTS at its PEM file (export NODE_EXTRA_CA_CERTS=/path/to/ca.pem).';

/**
 * Classifies a socket-level error of a request to `host`; undefined when it is no network fault
 * (an answer was read and judged, or a bug). `midAnswer`: the status line had arrived already.
 */
export function classifyNetworkError(e: unknown, host: string, opts: { midAnswer?: boolean } = {}): NetworkError | undefined {
  if (e instanceof NetworkError) return e;
  const code = errorCode(e);
  const message = (e as Error | undefined)?.message ?? '';
  const make = (kind: NetFaultKind, text: string) => new NetworkError(kind, host, text, code, { cause: e });
  if (code === 'ECONNREFUSED') return make('refused', `connection refused by ${host}`);
  if (code === 'ENOTFOUND') return make('dns', `the name ${host.replace(/:\d+$/, '')} could not be resolved (DNS)`);
  if (code === 'EAI_AGAIN') return make('dns', `the DNS lookup of ${host.replace(/:\d+$/, '')} failed for now (EAI_AGAIN)`);
  const kind = code === undefined ? undefined : codeKinds[code];
  if (kind === 'connect-timeout') {
    return make('connect-timeout', code === 'ETIMEDOUT' || code === 'ECONNABORTED' ? `no connection to ${host} could be made (timed out)` : `${host} cannot be reached from this network (${code})`);
  }
  if (code && tlsCodes.test(code)) return make('tls', `the TLS connection to ${host} failed: ${message || code}`);
  if (code?.startsWith('HPE_') || /Parse Error/i.test(message)) return make('not-http', `${host} answered with something that is not HTTP`);
  if (kind === 'reset' || kind === 'truncated' || message === 'aborted' || message === 'socket hang up') {
    return opts.midAnswer || message === 'aborted' || code === 'ERR_STREAM_PREMATURE_CLOSE'
      ? make('truncated', `${host} broke off its answer midway (the connection closed before the whole body arrived)`)
      : make('reset', `${host} closed the connection without answering`);
  }
  return undefined;
}

/** What a ProxyError says of the proxy (never its password). */
export interface ProxyRef {
  /** host:port of the proxy. */
  host: string;
  /** The variable that named it (HTTPS_PROXY, http_proxy, ...). */
  from: string;
  /** True when the variable carried user:password. */
  credentials: boolean;
}

/**
 * The proxy failed, not the host behind it: it could not be reached, asked for credentials
 * (`proxy-auth`, 407), or refused the tunnel (403, 502, ...). `host` is the target the request
 * was for (so callers still know which side failed); the sentence and the hint name the proxy.
 */
export class ProxyError extends NetworkError {
  constructor(
    kind: 'proxy' | 'proxy-auth',
    host: string,
    message: string,
    readonly proxy: ProxyRef,
    readonly hint: string,
    /** Set when the proxy answered the CONNECT. */
    readonly status?: number,
    code?: string,
    options?: { cause?: unknown },
  ) {
    super(kind, host, message, code, options);
    this.name = 'ProxyError';
  }

  /** Only a proxy that refused or dropped the connection may do better on another attempt. */
  override get retryable(): boolean {
    return this.kind === 'proxy' && this.status === undefined && (this.code === 'ECONNREFUSED' || this.code === 'ECONNRESET');
  }

  /** The proxy could not be reached (or broke the connection) on the way to `target`. */
  static unreachable(proxy: ProxyRef, target: string, e: unknown): ProxyError {
    const why = classifyNetworkError(e, proxy.host);
    const what = why ? why.message.replace(new RegExp(`( by| to| from)? ${proxy.host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), '') : ((e as Error)?.message ?? String(e));
    return new ProxyError(
      'proxy',
      target,
      `could not reach the proxy ${proxy.host} (from ${proxy.from}): ${what}`,
      proxy,
      `Check that the proxy in ${proxy.from} is running and reachable, or unset ${proxy.from} (or list the host in NO_PROXY) to connect directly.`,
      undefined,
      errorCode(e) ?? why?.code,
      { cause: e },
    );
  }

  /** The proxy answered the CONNECT for `target` with a status other than 2xx. */
  static refused(proxy: ProxyRef, target: string, status: number, statusText: string): ProxyError {
    const targetName = target.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (status === 407) {
      return new ProxyError(
        'proxy-auth',
        target,
        proxy.credentials
          ? `the proxy ${proxy.host} (from ${proxy.from}) refused the user and password given in ${proxy.from} (407 Proxy Authentication Required)`
          : `the proxy ${proxy.host} (from ${proxy.from}) asks for a user and password (407 Proxy Authentication Required)`,
        proxy,
        `Put the proxy's user and password in ${proxy.from}: export ${proxy.from}=http://user:password@${proxy.host} (percent-encode special characters).`,
        status,
        'ERR_PROXY_AUTH',
      );
    }
    return new ProxyError(
      'proxy',
      target,
      `the proxy ${proxy.host} (from ${proxy.from}) refused to connect to ${target}: ${status}${statusText ? ` ${statusText}` : ''}`,
      proxy,
      `The proxy does not let sgn through to ${targetName}: ask its administrators, or add ${targetName} to NO_PROXY if it can be reached directly.`,
      status,
      'ERR_PROXY_REFUSED',
    );
  }
}
