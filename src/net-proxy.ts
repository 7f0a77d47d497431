/**
 * The proxy settings of the environment, read as curl reads them: HTTPS_PROXY for https targets,
 * HTTP_PROXY for http ones, NO_PROXY for the hosts that go direct; the lowercase spelling of each
 * wins over the uppercase one. Pure (no sockets): the agent that uses it is src/proxy-agent.ts,
 * loaded only when a proxy is set.
 */
import { ExitCode, SgnError } from './errors.js';

/** One proxy, as a variable names it. */
export interface ProxyServer {
  /** http: or https: (the protocol spoken to the proxy itself). */
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number;
  /** host:port, for messages. */
  host: string;
  /** The variable it came from (HTTPS_PROXY, http_proxy, ...). */
  from: string;
  /** The URL with its password masked, for messages and doctor. */
  display: string;
  /** `Basic ...` from `user:pass@` in the URL, when given. Never print it. */
  authorization?: string;
}

export interface ProxyEnv {
  https?: ProxyServer;
  http?: ProxyServer;
  /** The NO_PROXY entries, parsed. */
  noProxy: NoProxyRule[];
  /** The NO_PROXY variable as given (for doctor). */
  noProxyText?: string;
}

export type NoProxyRule = { kind: 'all' } | { kind: 'name'; name: string; port?: number } | { kind: 'ip'; address: string; port?: number };

/** The value of a variable, lowercase spelling first (curl's order). */
function variable(env: NodeJS.ProcessEnv, upper: string): { name: string; value: string } | undefined {
  for (const name of [upper.toLowerCase(), upper]) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/** True when any proxy variable is set: the one check made before loading any proxy code. */
export function proxyConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.https_proxy?.trim() || env.HTTPS_PROXY?.trim() || env.http_proxy?.trim() || env.HTTP_PROXY?.trim());
}

/** A proxy URL with its password (and a lone user token) replaced by ****. */
export function maskProxyUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)?([^@/]*)@/i, (_, scheme: string | undefined, userinfo: string) => {
    const user = userinfo.includes(':') ? userinfo.slice(0, userinfo.indexOf(':')) : userinfo;
    return `${scheme ?? ''}${userinfo.includes(':') ? `${user}:****` : '****'}@`;
  });
}

/** A proxy variable sgn cannot use (exit 2): its sentence never holds the password. */
export class ProxyVariableError extends SgnError {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable} is not a proxy URL sgn can use: ${reason}.`, { hint: `Set it as http://host:port (or http://user:password@host:port), or unset ${variable}.`, exitCode: ExitCode.usage, code: 'proxy.invalid' });
    this.name = 'ProxyVariableError';
  }
}

/** Parses one proxy URL (`http://user:pass@host:port`, scheme optional as in curl). */
export function parseProxyUrl(value: string, from: string): ProxyServer {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ProxyVariableError(from, `"${maskProxyUrl(value)}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ProxyVariableError(from, `the scheme ${url.protocol.replace(/:$/, '')} is not supported (http or https)`);
  if (!url.hostname) throw new ProxyVariableError(from, 'it names no host');
  // URL drops a port that is the scheme's default (:80): read the one written. Without one, curl's defaults.
  const written = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)/i.exec(withScheme)?.[1];
  const port = Number(url.port || written || (url.protocol === 'https:' ? 443 : 1080));
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  return {
    protocol: url.protocol,
    hostname,
    port,
    host: `${url.hostname}:${port}`,
    from,
    display: maskProxyUrl(`${url.protocol}//${url.username ? `${url.username}${url.password ? ':x' : ''}@` : ''}${url.hostname}:${port}`),
    ...(user || pass ? { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` } : {}),
  };
}

const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Parses NO_PROXY: entries split on commas and spaces; `*`, names (a leading dot or `*.` is dropped), IP literals, each with an optional `:port`. */
export function parseNoProxy(text: string | undefined): NoProxyRule[] {
  const rules: NoProxyRule[] = [];
  for (const raw of (text ?? '').split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') {
      rules.push({ kind: 'all' });
      continue;
    }
    let port: number | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1];
      port = bracketed[2] ? Number(bracketed[2]) : undefined;
    } else if ((entry.match(/:/g) ?? []).length === 1) {
      const m = /^(.*):(\d+)$/.exec(entry);
      if (m) {
        entry = m[1];
        port = Number(m[2]);
      }
    }
    if (entry.includes(':') || ipv4.test(entry)) {
      rules.push({ kind: 'ip', address: entry, ...(port !== undefined ? { port } : {}) });
      continue;
    }
    const name = entry.replace(/^\*?\.+/, '').replace(/\.$/, '');
    if (name) rules.push({ kind: 'name', name, ...(port !== undefined ? { port } : {}) });
  }
  return rules;
}

/** Reads the proxy variables; throws ProxyVariableError for one that cannot be used. */
export function proxyFromEnv(env: NodeJS.ProcessEnv): ProxyEnv {
  const https = variable(env, 'HTTPS_PROXY');
  const http = variable(env, 'HTTP_PROXY');
  const noProxy = variable(env, 'NO_PROXY');
  return {
    ...(https ? { https: parseProxyUrl(https.value, https.name) } : {}),
    ...(http ? { http: parseProxyUrl(http.value, http.name) } : {}),
    noProxy: parseNoProxy(noProxy?.value),
    ...(noProxy ? { noProxyText: noProxy.value } : {}),
  };
}

/** True when NO_PROXY sends `hostname:port` direct. Loopback is not exempt unless listed (as in curl). */
export function bypassesProxy(rules: NoProxyRule[], hostname: string, port: number): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  return rules.some((r) => {
    if (r.kind === 'all') return true;
    if (r.port !== undefined && r.port !== port) return false;
    if (r.kind === 'ip') return r.address === host;
    return host === r.name || host.endsWith(`.${r.name}`);
  });
}

/** The proxy a request to `url` goes through, or undefined when it goes direct. */
export function proxyFor(env: ProxyEnv, url: URL): ProxyServer | undefined {
  const proxy = url.protocol === 'https:' ? env.https : env.http;
  if (!proxy) return undefined;
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return bypassesProxy(env.noProxy, url.hostname, port) ? undefined : proxy;
}

/** One line for people (doctor): which proxy serves which scheme, passwords masked, and what goes direct. */
export function describeProxies(p: ProxyEnv): string {
  const parts: string[] = [];
  if (p.https && p.http && p.https.display === p.http.display) parts.push(`${p.https.display} (${p.https.from}, ${p.http.from})`);
  else {
    if (p.https) parts.push(`https via ${p.https.display} (${p.https.from})`);
    if (p.http) parts.push(`http via ${p.http.display} (${p.http.from})`);
  }
  if (p.noProxyText) parts.push(`direct: ${p.noProxyText.trim()}`);
  return parts.join('; ');
}

/** The same settings with `host:port` sent direct (the sandbox's own registry). */
export function withDirectHost(p: ProxyEnv, host: string): ProxyEnv {
  return { ...p, noProxy: [...parseNoProxy(host), ...p.noProxy] };
}
