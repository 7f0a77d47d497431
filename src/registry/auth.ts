/** Username and password (or token) for a registry; never logged. */
export interface Credentials {
  username: string;
  password: string;
}

/** A parsed `WWW-Authenticate` challenge. */
export interface Challenge {
  scheme: 'bearer' | 'basic';
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header: `Bearer realm="...",service="...",scope="..."` (Docker Hub,
 * ghcr, quay, docker-registry with token auth) or `Basic realm="..."` (htpasswd, ECR).
 * Quoted values may hold commas (`scope="repository:a:pull,push"`).
 */
export function parseChallenge(value: string | undefined): Challenge | undefined {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(value ?? '');
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'basic') return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  }
  return { scheme, params };
}

/** The `Authorization` value of HTTP Basic auth. */
export function basicAuthorization(c: Credentials): string {
  return 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64');
}

/** The token-service scope of a repository: `repository:library/nginx:pull`. */
export function repositoryScope(repo: string, actions: string): string {
  return `repository:${repo}:${actions}`;
}
