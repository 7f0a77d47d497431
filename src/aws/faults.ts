/**
 * What can go wrong between sgn and AWS before a service judges a request: no region, a profile
 * that does not exist, credentials that cannot be had (SSO expired, credential_process failed, an
 * MFA code nobody can type), and the network (refused, DNS, timeouts, resets, TLS, answers that
 * are not AWS's). Classified once, at the client, into one sentence that names the service and
 * the endpoint; and one retry strategy (the policy of src/retry.ts) that announces its retries.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AuthError, ExitCode, SgnError } from '../errors.js';
import { NetworkError, ProxyError, classifyNetworkError, tlsHint } from '../net-errors.js';
import { proxyFor, type ProxyEnv } from '../net-proxy.js';
import { regionPattern } from '../settings/validate.js';

/** How the services sgn calls are called in messages. */
export const serviceNames: Record<string, string> = {
  dynamodb: 'DynamoDB',
  s3: 'S3',
  logs: 'CloudWatch Logs',
  lambda: 'Lambda',
  ecr: 'ECR',
  codebuild: 'CodeBuild',
  codepipeline: 'CodePipeline',
  sts: 'STS',
};

/** A region, profile or credentials problem: exit 4, like every credentials problem. */
export class AwsSetupError extends SgnError {
  constructor(message: string, hint: string, code: string, cause?: unknown) {
    super(message, { hint, exitCode: ExitCode.auth, code, cause });
    this.name = 'AwsSetupError';
  }
}

/** AWS could not be reached, or something else answered: exit 1, naming service and endpoint. */
export class AwsUnreachableError extends SgnError {
  constructor(
    message: string,
    hint: string,
    readonly fault: NetworkError,
  ) {
    super(message, { hint, code: `aws.${fault.kind}`, cause: fault });
    this.name = 'AwsUnreachableError';
  }
}

/** The AWS config and credentials files, as the SDK finds them. */
export function awsConfigFiles(env: NodeJS.ProcessEnv): { config: string; credentials: string } {
  const home = env.HOME || homedir();
  return {
    config: env.AWS_CONFIG_FILE || join(home, '.aws', 'config'),
    credentials: env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'),
  };
}

/** The profiles of both files (`[profile x]` in config, `[x]` in credentials), with their keys. */
export function readProfiles(env: NodeJS.ProcessEnv): Map<string, Record<string, string>> {
  const files = awsConfigFiles(env);
  const profiles = new Map<string, Record<string, string>>();
  for (const [file, isConfig] of [
    [files.credentials, false],
    [files.config, true],
  ] as const) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    let current: Record<string, string> | undefined;
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.replace(/^\s+|\s+$/g, '');
      if (!line || line.startsWith('#') || line.startsWith(';')) continue;
      const section = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
      if (section) {
        const name = section[1];
        const m = isConfig ? /^profile\s+(.+)$/.exec(name) : undefined;
        const profile = m ? m[1].trim() : isConfig && name !== 'default' ? undefined : name;
        if (profile === undefined) {
          current = undefined;
          continue;
        }
        current = profiles.get(profile) ?? {};
        profiles.set(profile, current);
        continue;
      }
      const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
      if (kv && current) current[kv[1].toLowerCase()] = kv[2];
    }
  }
  return profiles;
}

/** The profile sgn uses, when one is named (settings, --profile, AWS_PROFILE). */
function profileProblem(profile: string | undefined, env: NodeJS.ProcessEnv, cause?: unknown): AwsSetupError | undefined {
  if (!profile) return undefined;
  const profiles = readProfiles(env);
  if (profiles.has(profile)) return undefined;
  const files = awsConfigFiles(env);
  const names = [...profiles.keys()];
  return new AwsSetupError(
    `The AWS profile "${profile}" was not found in ${files.config} or ${files.credentials}.`,
    names.length ? `Profiles there: ${names.join(', ')}. Pass one with --profile, or set AWS_PROFILE.` : 'Those files have no profiles; create one with `aws configure --profile <name>`, or unset AWS_PROFILE.',
    'aws.profile-not-found',
    cause,
  );
}

/** True when the profile assumes a role with an MFA device (mfa_serial), itself or through its source. */
export function profileNeedsMfa(profile: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const profiles = readProfiles(env);
  let name = profile || env.AWS_PROFILE || 'default';
  for (let hops = 0; hops < 5; hops++) {
    const p = profiles.get(name);
    if (!p) return undefined;
    if (p.role_arn && p.mfa_serial) return p.mfa_serial;
    if (!p.source_profile) return undefined;
    name = p.source_profile;
  }
  return undefined;
}

/** Checks the region before any client is built: a typo'd region would read as a DNS failure. */
export function checkRegion(region: string | undefined, from: string): void {
  if (region !== undefined && !regionPattern.test(region)) {
    throw new AwsSetupError(`The region "${region}" (${from}) is not an AWS region.`, 'Use a region name such as eu-west-1: --region eu-west-1, AWS_REGION=eu-west-1, or `sgn config set region eu-west-1`.', 'aws.region-invalid');
  }
}

export interface FaultContext {
  service: string;
  /** The endpoint the request went to (host[:port]), when known. */
  host?: string;
  profile?: string;
  env: NodeJS.ProcessEnv;
}

/** The host an error's (or a streamed answer's) request went to, when the per-attempt middleware saw it. */
export function hostOf(e: unknown): string | undefined {
  return (e as { $sgnHost?: string } | null)?.$sgnHost;
}

/** Requests whose status line and headers arrived (noted per attempt, next to the handler). */
const answered = new WeakSet<object>();

/** True when the answer had begun (status line and headers) before the error: a body cut short, not a refusal to answer. */
function midAnswerOf(e: unknown): boolean {
  return (e as { $sgnMidAnswer?: boolean } | null)?.$sgnMidAnswer === true;
}

/**
 * The wire fault behind an SDK error, in the taxonomy's words, naming `host`; undefined for an
 * answer. A body cut short counts: the SDK's deserializer appends its own note to the socket's
 * "aborted", and an attempt whose status line had arrived broke off midway.
 */
export function wireFault(e: unknown, host: string): NetworkError | undefined {
  const message = (e as { message?: unknown } | null)?.message;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof message === 'string' && /^aborted(\n|$)/.test(message)) {
    return classifyNetworkError(Object.assign(new Error('aborted'), typeof code === 'string' ? { code } : {}), host, { midAnswer: true });
  }
  return classifyNetworkError(e, host, { midAnswer: midAnswerOf(e) });
}

/** The host an error's request went to (set by the per-attempt middleware). */
export function tagHost(e: unknown, host: string): void {
  if (typeof e === 'object' && e !== null && Object.isExtensible(e) && !('$sgnHost' in e)) {
    Object.defineProperty(e, '$sgnHost', { value: host, enumerable: false });
  }
}

/**
 * Turns a fault that happened before AWS judged the request into an SgnError; undefined for
 * AWS's own answers (the service decides what a ResourceNotFoundException means).
 */
export function classifyAwsFault(e: unknown, c: FaultContext): SgnError | undefined {
  if (e instanceof SgnError) return e;
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } } | null;
  const name = err?.name ?? '';
  const message = err?.message ?? '';
  const service = serviceNames[c.service] ?? c.service;
  const host = hostOf(e) ?? c.host ?? `the ${service} endpoint`;

  if (/^Region is missing/.test(message)) {
    return (
      profileProblem(c.profile, c.env, e) ??
      new AwsSetupError('No AWS region is set.', 'Pass --region eu-west-1, set AWS_REGION, add region to your AWS profile, or `sgn config set region eu-west-1`.', 'aws.region-missing', e)
    );
  }
  if (/^Region not accepted|Invalid region/i.test(message)) {
    const region = /region="([^"]*)"/.exec(message)?.[1];
    return new AwsSetupError(`${region !== undefined ? `"${region}"` : 'The region'} is not an AWS region.`, 'Use a region name such as eu-west-1 (--region, AWS_REGION, or the region of your AWS profile).', 'aws.region-invalid', e);
  }
  if (name === 'CredentialsProviderError' || /credential/i.test(name)) {
    const profile = profileProblem(c.profile, c.env, e);
    if (profile) return profile;
    const who = c.profile ? `the AWS profile "${c.profile}"` : 'the AWS credentials';
    if (/multi-factor authentication|mfa/i.test(message)) {
      return new AwsSetupError(`${who.charAt(0).toUpperCase()}${who.slice(1)} assumes a role that needs an MFA code, and there is no terminal to ask for it.`, 'Run sgn in a terminal to type the code, or export temporary credentials first (aws sts get-session-token).', 'aws.mfa-needed', e);
    }
    if (/sso/i.test(message) && /(expired|invalid|refresh|token)/i.test(message)) {
      return new AwsSetupError(`The AWS SSO session of ${who} has expired.`, `Run \`aws sso login${c.profile ? ` --profile ${c.profile}` : ''}\`, then try again.`, 'aws.sso-expired', e);
    }
    if (/credential_process|Command failed|process/i.test(message) && !/Could not load credentials from any providers/.test(message)) {
      const detail = message.replace(/^Error: /, '').split('\n').filter(Boolean).slice(0, 2).join(' ').slice(0, 300);
      return new AwsSetupError(`The credential_process of ${who} failed: ${detail}`, 'Run the credential_process command of your AWS config by hand to see why; fix it, or use another profile (--profile).', 'aws.credential-process', e);
    }
    // The SDK's provider chain hides why the profile's own source failed: its config says which it was.
    const data = c.profile ? readProfiles(c.env).get(c.profile) : undefined;
    if (data?.credential_process) {
      return new AwsSetupError(`The credential_process of ${who} failed or gave no credentials.`, `Run it by hand to see why: ${data.credential_process}`, 'aws.credential-process', e);
    }
    if (data?.sso_session || data?.sso_start_url) {
      return new AwsSetupError(`The AWS SSO session of ${who} has expired or was never started.`, `Run \`aws sso login --profile ${c.profile}\`, then try again.`, 'aws.sso-expired', e);
    }
    return new AwsSetupError(
      c.profile ? `No AWS credentials could be loaded for the profile "${c.profile}".` : 'No AWS credentials were found.',
      'Run `aws configure` or `aws sso login`, set AWS_PROFILE, or pass --profile; `sgn --sandbox ...` needs none.',
      'aws.no-credentials',
      e,
    );
  }
  const status = err?.$metadata?.httpStatusCode ?? 0;
  // An error from the wire (the SDK names some of them TimeoutError, ECONNRESET included).
  const code = (e as { code?: unknown } | null)?.code;
  if (!status && typeof code === 'string') {
    const net = classifyNetworkError(e, host, { midAnswer: midAnswerOf(e) });
    if (net) return unreachable(service, host, net.message, net);
  }
  if (/^aborted(\n|$)/.test(message)) {
    const net = wireFault(e, host);
    if (net) return unreachable(service, host, net.message, net);
  }
  const unreadable = /Deserialization error|Unexpected token|is not valid JSON|Expected closing tag|Unexpected end of JSON|char '.' is not expected/i.test(message) || name === 'SyntaxError';
  if (status) {
    // AWS (or something in its place) answered with a status. Throttling and server errors whose
    // body is not AWS's are still throttling and server errors; the service judges the rest.
    if (unreadable && status !== 429 && status < 500) return malformed(service, host, e);
    return undefined;
  }
  if (unreadable) return malformed(service, host, e);
  if (name === 'TimeoutError') {
    const connecting = /without establishing a connection/.test(message);
    const ms = /(\d+) ?ms/.exec(message)?.[1];
    const secs = ms ? `${Math.round(Number(ms) / 1000)} s` : 'the time limit';
    const fault = classifyNetworkError(Object.assign(new Error(message), { code: 'ETIMEDOUT' }), host)!;
    return unreachable(service, host, connecting ? `no connection to ${host} within ${secs}` : `${host} sent nothing for ${secs}`, fault);
  }
  const fault = classifyNetworkError(e, host);
  if (fault) return unreachable(service, host, fault.message, fault);
  return undefined;
}

function malformed(service: string, host: string, e: unknown): SgnError {
  return new SgnError(`${service} at ${host} sent an answer sgn cannot read (not the JSON/XML AWS sends).`, {
    hint: `Something between sgn and ${host} (a proxy, a captive portal, a wrong AWS_ENDPOINT_URL) may be answering instead of AWS; try again, or check the endpoint.`,
    code: 'aws.malformed',
    cause: e,
  });
}

function unreachable(service: string, host: string, what: string, fault: NetworkError): SgnError {
  // The proxy failed, not AWS: its own sentence and hint; credentials it asked for are exit 4.
  if (fault instanceof ProxyError) {
    return new SgnError(`${service} cannot be reached at ${fault.host}: ${what}.`, {
      hint: fault.hint,
      exitCode: fault.kind === 'proxy-auth' ? ExitCode.auth : ExitCode.failure,
      code: fault.kind === 'proxy-auth' ? 'proxy.auth' : 'proxy.failed',
      cause: fault,
    });
  }
  const hint =
    fault.kind === 'tls'
      ? tlsHint
      : fault.kind === 'not-http' || fault.kind === 'truncated'
        ? `Something between sgn and ${host} (a proxy, a captive portal) or the endpoint broke the answer; try again, or check AWS_ENDPOINT_URL and your network.`
        : fault.kind === 'dns'
          ? 'Check the region (--region) and the endpoint (AWS_ENDPOINT_URL), and that your DNS or VPN works.'
          : 'Check your network or VPN, and the endpoint (AWS_ENDPOINT_URL, --region); try again when it is reachable.';
  return new AwsUnreachableError(`${service} cannot be reached at ${host}: ${what}.`, hint, fault);
}

/**
 * Reads a streamed answer's body (S3 GetObject) as the SDK's own requests are bounded: it must
 * keep moving (nothing for `idleMs`: fail) and end within `deadlineMs`; a body cut short, a reset
 * or a stall becomes the taxonomy's sentence naming the service and the host.
 */
export async function readBodyWithin(
  body: AsyncIterable<Buffer> & { destroy?: (e?: Error) => void },
  c: { service: string; host?: string; idleMs: number; deadlineMs: number; onChunk?: (chunk: Buffer) => void },
): Promise<Buffer> {
  const service = serviceNames[c.service] ?? c.service;
  const host = c.host ?? `the ${service} endpoint`;
  const chunks: Buffer[] = [];
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let fault: NetworkError | undefined;
  const arm = () => {
    clearTimeout(timer);
    const left = c.deadlineMs - (performance.now() - started);
    const idle = c.idleMs <= left;
    timer = setTimeout(
      () => {
        fault = idle
          ? new NetworkError('idle', host, `${host} stopped sending in the middle of its answer (nothing for ${Math.round(c.idleMs / 1000)} s)`, 'ETIMEDOUT')
          : new NetworkError('slow', host, `${host} did not finish its answer within ${Math.round(c.deadlineMs / 1000)} s`, 'ETIMEDOUT');
        body.destroy?.(fault);
      },
      Math.max(0, Math.min(c.idleMs, left)),
    );
  };
  try {
    arm();
    for await (const chunk of body) {
      c.onChunk?.(chunk);
      chunks.push(chunk);
      arm();
    }
    return Buffer.concat(chunks);
  } catch (e) {
    body.destroy?.();
    if (e instanceof SgnError) throw e;
    const net = fault ?? classifyNetworkError(e, host, { midAnswer: true });
    if (net) throw unreachable(service, host, net.message, net);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** A short reason for a retry announcement, naming the host. */
function retryReason(e: unknown, service: string): string {
  const host = hostOf(e) ?? `the ${serviceNames[service] ?? service} endpoint`;
  const fault = classifyNetworkError(e, host, { midAnswer: midAnswerOf(e) });
  if (fault) return fault.message;
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (err?.name === 'TimeoutError') return `${host} did not answer in time`;
  return `${host} answered ${err?.$metadata?.httpStatusCode ?? ''} ${err?.name ?? ''}`.replace(/\s+/g, ' ').trim();
}

interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/**
 * The SDK retry strategy of every client but the long invoke: `maxAttempts` in all, exponential
 * back-off with jitter or the server's Retry-After, no retry once `budgetMs` has passed; retries
 * after the first are announced ("retrying in 1 s (2/3): connection refused by host").
 */
export function sgnRetryStrategy(service: string, opts: { maxAttempts: number; budgetMs: number; announce?: (message: string) => void }) {
  const token = (count: number, delay: number, started: number): RetryToken & { started: number } => ({ getRetryCount: () => count, getRetryDelay: () => delay, started });
  return {
    mode: 'standard',
    acquireInitialRetryToken: async () => token(0, 0, performance.now()),
    refreshRetryTokenForRetry: async (previous: RetryToken & { started?: number }, info: { error?: unknown; errorType: string; retryAfterHint?: Date }) => {
      const count = previous.getRetryCount() + 1;
      const started = previous.started ?? performance.now();
      if (count >= opts.maxAttempts || info.errorType === 'CLIENT_ERROR') throw info.error;
      // A name that does not resolve, a TLS failure, a server that stalls: another try meets the same.
      const fault = classifyNetworkError(info.error, 'x');
      if (fault && !fault.retryable && fault.kind !== 'connect-timeout') throw info.error;
      const hinted = info.retryAfterHint ? Math.max(0, info.retryAfterHint.getTime() - Date.now()) : undefined;
      const delay = hinted ?? Math.min(4000, 300 * 2 ** (count - 1)) * (0.5 + Math.random() / 2);
      if (performance.now() - started + delay > opts.budgetMs) throw info.error;
      if (count >= 2) {
        const secs = delay / 1000;
        opts.announce?.(`retrying in ${secs < 10 ? secs.toFixed(1) : Math.round(secs)} s (${count}/${opts.maxAttempts - 1}): ${retryReason(info.error, service)}`);
      }
      return token(count, delay, started);
    },
    recordSuccess: () => undefined,
  };
}

interface MiddlewareClient {
  middlewareStack: {
    add(mw: unknown, opts: { step: string; name: string; priority?: string; override?: boolean }): void;
  };
}

/**
 * Installs the two middlewares on a client: per attempt (inside the retries), the host the
 * request went to is noted on any error; around everything, faults become one sentence.
 */
export function installFaultHandling(client: MiddlewareClient, c: Omit<FaultContext, 'host'> & { attemptDeadlineMs?: number; longInvoke?: boolean; proxy?: ProxyEnv }): void {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: { request?: { protocol?: string; hostname?: string; port?: number } }) => {
      const r = args.request;
      const host = r?.hostname ? `${r.hostname}${r.port ? `:${r.port}` : ''}` : `the ${serviceNames[c.service] ?? c.service} endpoint`;
      // An http request forwarded by a proxy hears the proxy's 407 as an answer: the proxy's fault, not the service's.
      const proxy = c.proxy && r?.hostname && r.protocol === 'http:' ? proxyFor(c.proxy, new URL(`http://${host}`)) : undefined;
      let timer: NodeJS.Timeout | undefined;
      try {
        // The socket timeout catches silence; this catches an answer that drips for ever.
        const deadline = c.attemptDeadlineMs;
        const overdue =
          deadline === undefined
            ? undefined
            : new Promise<never>((_, reject) => {
                timer = setTimeout(() => reject(new NetworkError('slow', host, `${host} did not finish its answer within ${Math.round(deadline / 1000)} s`, 'ETIMEDOUT')), deadline);
              });
        const result = (await (overdue ? Promise.race([next(args), overdue]) : next(args))) as { output?: unknown };
        // A streamed body (S3 GetObject) is read after this returns: its faults name this host too.
        tagHost(result?.output, host);
        return result;
      } catch (e) {
        if (proxy && (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode === 407) {
          throw ProxyError.refused({ host: proxy.host, from: proxy.from, credentials: Boolean(proxy.authorization) }, host, 407, 'Proxy Authentication Required');
        }
        tagHost(e, host);
        if (r && answered.has(r) && typeof e === 'object' && e !== null && Object.isExtensible(e) && !('$sgnMidAnswer' in e)) {
          Object.defineProperty(e, '$sgnMidAnswer', { value: true, enumerable: false });
        }
        throw e;
      } finally {
        clearTimeout(timer);
      }
    },
    { step: 'deserialize', name: 'sgnAttemptHost', priority: 'high', override: true },
  );
  // Next to the handler, before the deserializer reads the body: the status line and headers
  // arrived, so a fault from here on cut an answer short.
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: { request?: object }) => {
      const result = await next(args);
      if (args.request) answered.add(args.request);
      return result;
    },
    { step: 'deserialize', name: 'sgnAnswerStarted', priority: 'low', override: true },
  );
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (e) {
        const fault = classifyAwsFault(e, c);
        // The long invoke judges its own network faults: a dropped connection there means the
        // deployer may still be running ("outcome unknown"), not that Lambda cannot be reached.
        if (fault && !(c.longInvoke && fault instanceof AwsUnreachableError)) throw fault;
        // AWS's own answer: the service judges it; the report point can still name who said it.
        if (typeof e === 'object' && e !== null && Object.isExtensible(e) && !('$sgnService' in e)) {
          Object.defineProperty(e, '$sgnService', { value: serviceNames[c.service] ?? c.service, enumerable: false });
        }
        throw e;
      }
    },
    { step: 'initialize', name: 'sgnFaults', priority: 'high', override: true },
  );
}

/** For the MFA code provider: no terminal means no code (exit 4, one sentence). */
export function mfaNotPossible(serial: string, profile: string | undefined): AuthError {
  const e = new AuthError(
    `The AWS profile "${profile ?? 'default'}" assumes a role that needs an MFA code (${serial}), and there is no terminal to ask for it.`,
    'Run sgn in a terminal to type the code, or export temporary credentials first (aws sts get-session-token).',
  );
  // The SDK's provider chain must stop here instead of trying the next provider.
  Object.assign(e, { tryNextLink: false });
  return e;
}
