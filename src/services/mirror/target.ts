import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { EcrApi } from '../../aws/ecr.js';
import { AuthError, SgnError, UsageError, awsErrorName, explainAwsError } from '../../errors.js';
import type { Credentials } from '../../registry/auth.js';
import { isLoopbackHost } from '../../registry/reference.js';

/** Where a registry answers, and whether over plain http. */
export interface RegistryAddress {
  host: string;
  insecure: boolean;
}

/**
 * Reads a registry endpoint setting. `http://host:port` means plain http, `https://host` TLS;
 * a bare `host[:port]` is TLS except on loopback (localhost, 127.0.0.0/8, ::1), which Docker
 * also treats as an insecure registry: that is how the sandbox's and the tests' registries run.
 */
export function registryAddress(text: string, where = 'ecrRegistry'): RegistryAddress {
  const m = /^(?:(https?):\/\/)?([^/\s]+)\/?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${where} must be host[:port], optionally with http:// or https://, not "${text}".`, 'Example: sgn config set ecrRegistry 127.0.0.1:5000');
  const host = m[2].toLowerCase();
  return { host, insecure: m[1] ? m[1].toLowerCase() === 'http' : isLoopbackHost(host) };
}

/** The ECR registry to push to and the credentials for it. */
export interface EcrTarget {
  address: RegistryAddress;
  credentials: Credentials;
}

/**
 * The target registry: the ECR registry of the account (its host from the login token's
 * proxyEndpoint, so no STS call is needed), or the `ecrRegistry` override, or the sandbox's
 * registry. The credentials always come from GetAuthorizationToken: the override stands in for
 * ECR, so the real ECR login path is the one exercised.
 */
export async function ecrTarget(ecr: EcrApi, opts: { override?: string; sandboxRegistry?: string }): Promise<{ target: EcrTarget; expiresAt?: Date }> {
  let out;
  try {
    out = await ecr.getAuthorizationToken({});
  } catch (e) {
    throw explainAwsError(e, 'getting an ECR login token (ecr:GetAuthorizationToken)') ?? e;
  }
  const data = out.authorizationData?.[0];
  const decoded = Buffer.from(data?.authorizationToken ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (!data?.proxyEndpoint || colon <= 0) throw new SgnError('ECR answered GetAuthorizationToken without a usable token.', { hint: 'Retry; if it persists, check the region (--region) and the ECR endpoint.' });
  const credentials = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  const expiresAt = data.expiresAt instanceof Date && !Number.isNaN(data.expiresAt.getTime()) ? data.expiresAt : undefined;
  if (opts.override) return { target: { address: registryAddress(opts.override), credentials }, expiresAt };
  if (opts.sandboxRegistry) return { target: { address: { host: opts.sandboxRegistry, insecure: isLoopbackHost(opts.sandboxRegistry) }, credentials }, expiresAt };
  return { target: { address: registryAddress(new URL(data.proxyEndpoint).host), credentials }, expiresAt };
}

/** ECR's repository name rule: lowercase parts separated by one of `._-`, joined by `/`, 2-256 long. */
export function isEcrRepositoryName(name: string): boolean {
  return name.length >= 2 && name.length <= 256 && /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(name);
}

/**
 * The lifecycle policy text of the `mirrorLifecyclePolicy` setting: JSON, or `@file` (relative to
 * the settings file that names it, else the current directory). Checked before anything is created.
 */
export function loadLifecyclePolicy(value: string, baseFile: string | undefined, cwd: string): string {
  let text = value;
  if (value.startsWith('@')) {
    const path = resolve(baseFile ? dirname(baseFile) : cwd, value.slice(1));
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new UsageError(`The lifecycle policy file ${path} (setting mirrorLifecyclePolicy) cannot be read.`, 'Fix the path, or set the policy JSON itself: sgn config set mirrorLifecyclePolicy --unset');
    }
  }
  let doc: { rules?: unknown };
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`The setting mirrorLifecyclePolicy is not valid JSON (${(e as Error).message}).`, 'It takes an ECR lifecycle policy document, or @path/to/policy.json.');
  }
  if (!doc || !Array.isArray(doc.rules)) throw new UsageError('The setting mirrorLifecyclePolicy has no "rules" list, so it is not an ECR lifecycle policy.', 'See "Lifecycle policy parameters" in the ECR user guide.');
  return text;
}

/** True when the ECR repository exists. */
export async function repositoryExists(ecr: EcrApi, name: string): Promise<boolean> {
  try {
    await ecr.describeRepositories({ repositoryNames: [name] });
    return true;
  } catch (e) {
    if (awsErrorName(e) === 'RepositoryNotFoundException') return false;
    throw explainAwsError(e, `looking up ECR repository ${name}`) ?? e;
  }
}

/**
 * Creates an ECR repository with scan on push, and the lifecycle policy when one is set.
 * 'exists' when someone created it meanwhile (theirs stands, as it is).
 */
export async function createRepository(ecr: EcrApi, name: string, lifecyclePolicy: string | undefined): Promise<'exists' | 'created'> {
  try {
    await ecr.createRepository({ repositoryName: name, imageScanningConfiguration: { scanOnPush: true }, imageTagMutability: 'MUTABLE' });
  } catch (e) {
    if (awsErrorName(e) === 'RepositoryAlreadyExistsException') return 'exists';
    throw explainAwsError(e, `creating ECR repository ${name}`) ?? e;
  }
  if (lifecyclePolicy) {
    try {
      await ecr.putLifecyclePolicy({ repositoryName: name, lifecyclePolicyText: lifecyclePolicy });
    } catch (e) {
      const known = explainAwsError(e, `setting the lifecycle policy of ${name}`);
      if (known instanceof AuthError) throw known;
      throw new SgnError(`Repository ${name} was created, but ECR refused its lifecycle policy: ${(e as Error).message}`, {
        hint: `Fix the setting mirrorLifecyclePolicy, then apply it with \`aws ecr put-lifecycle-policy --repository-name ${name} --lifecycle-policy-text file://policy.json\`.`,
      });
    }
  }
  return 'created';
}
