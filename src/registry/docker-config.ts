import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ExternalCommandError, SgnError } from '../errors.js';
import type { Credentials } from './auth.js';

/** Runs a credential helper: `docker-credential-<name> get` with the server on stdin. */
export type HelperRunner = (program: string, input: string) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

// Docker Hub's credentials live under its v1 index URL, for historical reasons.
const dockerHubKey = 'https://index.docker.io/v1/';
const dockerHubAliases = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** `https://ghcr.io/v2/` -> `ghcr.io`: the registry a config key names. */
function keyHost(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return dockerHubAliases.has(host) ? 'docker.io' : host;
}

/** The path of Docker's client config: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigPath(env: NodeJS.ProcessEnv): string {
  return join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json');
}

const execaRunner: HelperRunner = async (program, input) => {
  const { execa } = await import('execa');
  const r = await execa(program, ['get'], { input, reject: false, timeout: 30_000 });
  if (r.failed && (r as { code?: string }).code === 'ENOENT') throw Object.assign(new Error(`${program} not found`), { code: 'ENOENT' });
  return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
};

async function fromHelper(helper: string, server: string, configPath: string, run: HelperRunner): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`;
  let r;
  try {
    r = await run(program, server);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ExternalCommandError(`${configPath} names the credential helper "${helper}", but ${program} is not on PATH.`, `Install ${program}, or remove "${helper}" from credsStore/credHelpers in ${configPath}.`);
    }
    throw e;
  }
  if (r.exitCode !== 0) {
    // The helper protocol's "not found" answer: carry on without credentials.
    if (/credentials not found/i.test(r.stdout + r.stderr)) return undefined;
    throw new ExternalCommandError(`The credential helper ${program} failed for ${server} (exit ${r.exitCode}).`, r.stderr.trim().split('\n').slice(-1)[0] || `Run \`echo ${server} | ${program} get\` to see why.`);
  }
  let doc: { Username?: string; Secret?: string };
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new ExternalCommandError(`The credential helper ${program} did not answer with JSON.`);
  }
  if (!doc.Secret) return undefined;
  if (doc.Username === '<token>') {
    throw new SgnError(`The credentials for ${server} are an identity token, which sgn cannot use yet.`, { hint: 'Log in with a username and a password or access token (`docker login -u <user>`).' });
  }
  return { username: doc.Username ?? '', password: doc.Secret };
}

/**
 * Credentials for a registry from Docker's client config, as `docker pull` finds them:
 * `credHelpers[registry]`, else `credsStore`, else the base64 `auth` of `auths[registry]`.
 * `domain` is the registry as written in the image reference (`docker.io`, `ghcr.io`, `host:5000`).
 */
export async function dockerCredentials(domain: string, env: NodeJS.ProcessEnv, run: HelperRunner = execaRunner): Promise<Credentials | undefined> {
  const path = dockerConfigPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  let config: DockerConfig;
  try {
    config = JSON.parse(text) as DockerConfig;
  } catch {
    throw new SgnError(`${path} is not valid JSON.`, { hint: 'Fix the file (or move it away) so that registry credentials can be read.' });
  }
  const host = keyHost(domain);
  const server = host === 'docker.io' ? dockerHubKey : host;
  const helper = Object.entries(config.credHelpers ?? {}).find(([k]) => keyHost(k) === host)?.[1];
  if (helper) return fromHelper(helper, server, path, run);
  if (config.credsStore) {
    const found = await fromHelper(config.credsStore, server, path, run);
    if (found) return found;
  }
  const entry = Object.entries(config.auths ?? {}).find(([k]) => keyHost(k) === host)?.[1];
  if (!entry) return undefined;
  if (entry.identitytoken) {
    throw new SgnError(`The credentials for ${host} in ${path} are an identity token, which sgn cannot use yet.`, { hint: 'Log in with a username and a password or access token (`docker login -u <user>`).' });
  }
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new SgnError(`The "auth" entry for ${host} in ${path} is not base64 of user:password.`, { hint: `Run \`docker login ${host}\` again.` });
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  return undefined;
}
