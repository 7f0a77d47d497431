import { UsageError } from '../errors.js';

/**
 * Image references parsed and normalised the way Docker does (distribution/reference:
 * ParseNormalizedNamed + TagNameOnly): `nginx` -> `docker.io/library/nginx:latest`.
 */
export interface ImageReference {
  /** Registry as written in the reference (`docker.io` for Docker Hub, `localhost:5000`, ...). */
  domain: string;
  /** Repository path inside the registry (`library/nginx`). */
  path: string;
  /** The tag; `latest` when the reference names neither a tag nor a digest. */
  tag?: string;
  /** `sha256:<64 hex>` when the reference pins a digest (it wins over the tag when pulling). */
  digest?: string;
}

const dockerHub = 'docker.io';
const legacyDockerHub = 'index.docker.io';
const officialPrefix = 'library/';

// The grammar of distribution/reference (regexp.go), written out once.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainAndPort = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const referenceRe = new RegExp(`^((?:${domainAndPort}/)?${remoteName})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
const nameRe = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const repositoryRe = new RegExp(`^${remoteName}$`);
const tagRe = new RegExp(`^${tagPattern}$`);
const identifierRe = /^[a-f0-9]{64}$/;
const sha256Re = /^sha256:[a-f0-9]{64}$/;
const maxPathLength = 255;

const examples = 'Examples: nginx, nginx:1.27, bitnami/redis:7.2, ghcr.io/org/app:v1, localhost:5000/team/app@sha256:<64 hex digits>.';

/** A reference that Docker would refuse; the message says why, the hint shows valid forms. */
export class InvalidReferenceError extends UsageError {
  constructor(text: string, reason: string) {
    super(`"${text}" is not a valid image reference: ${reason}.`, examples);
    this.name = 'InvalidReferenceError';
  }
}

// distribution/reference's splitDockerDomain: the first component is a registry when it is
// `localhost`, has a "." or ":", or has upper case; anything else is a Docker Hub path.
function splitDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash === -1) return { domain: dockerHub, remainder: officialPrefix + name };
  const first = name.slice(0, slash);
  let domain = dockerHub;
  let remainder = name;
  if (first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first) {
    domain = first === legacyDockerHub ? dockerHub : first;
    remainder = name.slice(slash + 1);
  }
  if (domain === dockerHub && !remainder.includes('/')) remainder = officialPrefix + remainder;
  return { domain, remainder };
}

/** Parses and normalises an image reference like `docker pull` does; throws InvalidReferenceError. */
export function parseImageReference(text: string): ImageReference {
  const s = text;
  if (s.trim() === '') throw new InvalidReferenceError(text, 'it is empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) throw new InvalidReferenceError(text, 'write it without a URL scheme (no docker:// or https://)');
  if (identifierRe.test(s)) throw new InvalidReferenceError(text, 'a bare 64-digit hexadecimal string is an image id, not a repository name');
  const { domain, remainder } = splitDomain(s);
  const at = remainder.indexOf('@');
  const nameAndTag = at === -1 ? remainder : remainder.slice(0, at);
  const colon = nameAndTag.indexOf(':');
  const remote = colon === -1 ? nameAndTag : nameAndTag.slice(0, colon);
  if (remote.toLowerCase() !== remote) throw new InvalidReferenceError(text, `the repository name (${remote}) must be lowercase`);
  const m = referenceRe.exec(`${domain}/${remainder}`);
  if (!m) {
    const tagPart = /:([^/@]*)(?:@|$)/.exec(nameAndTag)?.[1];
    if (tagPart !== undefined && !tagRe.test(tagPart)) throw new InvalidReferenceError(text, `"${tagPart}" is not a valid tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`);
    if (at !== -1 && !new RegExp(`^${digestPattern}$`).test(remainder.slice(at + 1))) throw new InvalidReferenceError(text, 'the digest must be algorithm:hex, such as sha256:<64 hex digits>');
    throw new InvalidReferenceError(text, 'the repository name may only have lowercase letters, digits and separators (".", "_", "__", "-") between "/"-separated parts');
  }
  const name = nameRe.exec(m[1])!;
  const path = name[2];
  if (path.length > maxPathLength) throw new InvalidReferenceError(text, `the repository name must not be more than ${maxPathLength} characters`);
  const digest = m[3];
  if (digest !== undefined && !sha256Re.test(digest)) {
    throw new InvalidReferenceError(text, digest.startsWith('sha256:') ? 'a sha256 digest has exactly 64 lowercase hexadecimal digits' : `only sha256 digests are supported, not ${digest.split(':')[0]}`);
  }
  const tag = m[2] ?? (digest ? undefined : 'latest');
  return { domain: name[1], path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The full normalised form: `docker.io/library/nginx:1.27`, `host:5000/app@sha256:...`. */
export function formatReference(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The short form people type: `nginx:1.27`, `bitnami/redis:7`, `ghcr.io/org/app:v1`. */
export function familiarReference(ref: ImageReference): string {
  const name = ref.domain === dockerHub ? familiarPath(ref) : `${ref.domain}/${ref.path}`;
  return `${name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The repository path without Docker Hub's `library/` (`nginx`, `bitnami/redis`, `org/app`). */
export function familiarPath(ref: ImageReference): string {
  if (ref.domain === dockerHub && ref.path.startsWith(officialPrefix) && !ref.path.slice(officialPrefix.length).includes('/')) return ref.path.slice(officialPrefix.length);
  return ref.path;
}

/** True for a valid repository path (`team/app`): lowercase components separated by "/". */
export function isRepositoryPath(text: string): boolean {
  return repositoryRe.test(text) && text.length <= maxPathLength;
}

/** True for a valid tag. */
export function isTag(text: string): boolean {
  return tagRe.test(text);
}

/** True for `sha256:<64 lowercase hex>`, the only digest form sgn copies. */
export function isSha256Digest(text: string): boolean {
  return sha256Re.test(text);
}

/** Where a registry's API answers: Docker Hub's API host is registry-1.docker.io. */
export function registryApiHost(domain: string): string {
  return domain === dockerHub ? 'registry-1.docker.io' : domain;
}

/** Loopback hosts (localhost, 127.0.0.0/8, ::1), with or without a port. */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
