import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { CodeBuildClient } from '@aws-sdk/client-codebuild';
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import type { STSClient } from '@aws-sdk/client-sts';
import { userAgent } from '../version.js';
import { proxyConfigured, proxyFromEnv } from '../net-proxy.js';
import { checkRegion, classifyAwsFault, installFaultHandling, mfaNotPossible, profileNeedsMfa, sgnRetryStrategy } from './faults.js';

// Kept in version.ts (core), so that registry code can name it without loading this module.
export { userAgent };

/** Shared client settings: one region, one credential chain, one retry policy and user agent. */
export interface ClientSettings {
  region?: string;
  profile?: string;
  /** Endpoint for every service (AWS_ENDPOINT_URL or the sandbox's moto). */
  endpoint?: string;
  /** Per-service endpoint overrides, keyed by the SDK's service id (lambda, s3, ...). */
  serviceEndpoints: Record<string, string>;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** The sandbox's loopback endpoints: never through HTTPS_PROXY/HTTP_PROXY. */
  direct?: boolean;
}

/**
 * Builds AWS SDK v3 clients on first use (each client import costs 100+ ms, so only the
 * command that needs one pays for it), all sharing ClientSettings.
 */
export interface AwsFactory {
  readonly settings: ClientSettings;
  dynamodb(): Promise<DynamoDBClient>;
  s3(): Promise<S3Client>;
  logs(): Promise<CloudWatchLogsClient>;
  /**
   * The Lambda client. `forLongInvoke` gives one attempt and no socket timeout, for a
   * synchronous invoke that may run for minutes and must never be sent twice.
   */
  lambda(opts?: { forLongInvoke?: boolean }): Promise<LambdaClient>;
  ecr(): Promise<ECRClient>;
  codebuild(): Promise<CodeBuildClient>;
  codepipeline(): Promise<CodePipelineClient>;
  sts(): Promise<STSClient>;
  /** The region clients use, resolved from settings, env and profile. */
  region(): Promise<string>;
}

/** What the composition root lends the clients: where retries are announced, how an MFA code is asked. */
export interface ClientHooks {
  /** Told of each retry after the first (for stderr). */
  onRetry?(message: string): void;
  /** Asks for the code of an MFA device (a terminal prompt), or throws when none can be asked. */
  mfaCode?(serial: string): Promise<string>;
  /**
   * Told of each request when it ends (retries included), for the request timeline of --debug:
   * its operation and when it started and ended, in ms since the process started.
   */
  onRequest?(r: { service: string; operation: string; startMs: number; endMs: number; failed?: string }): void;
}

/**
 * Bounded time for every call but the long invoke: a connection within 3 s, an answer that
 * never goes 30 s silent, 4 attempts at most within 20 s (sgnRetryStrategy), so that a dead
 * endpoint fails in seconds. The long invoke keeps one attempt and no timeout.
 */
/** The request handler's logger: its warnings (a request past requestTimeout) are sgn's own sentences already. */
const quietHandlerLogger = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export const awsLimits = { connectionTimeoutMs: 3000, requestTimeoutMs: 30_000, maxAttempts: 4, retryBudgetMs: 20_000 };

/** Builds the clients of a run from settings the composition root resolved (sandbox or AWS). */
export function createAwsFactory(settings: ClientSettings, env: NodeJS.ProcessEnv, hooks: ClientHooks = {}): AwsFactory {
  checkRegion(settings.region, 'from --region, AWS_REGION or the region setting');
  // Parallel calls (a segmented Scan) meet the same fault at once: say each retry once.
  const announced = new Set<string>();
  const announce = (message: string) => {
    const key = message.replace(/in [\d.]+ s /, '');
    if (announced.has(key)) return;
    announced.add(key);
    hooks.onRetry?.(message);
  };
  // A profile that assumes a role with an MFA device: one STS client asks for the code once,
  // and every other client borrows its credentials (one prompt, one AssumeRole per run).
  const mfaSerial = settings.credentials ? undefined : profileNeedsMfa(settings.profile, env);
  const mfaCodeProvider = mfaSerial ? (serial: string) => (hooks.mfaCode ? hooks.mfaCode(serial) : Promise.reject(mfaNotPossible(serial, settings.profile ?? env.AWS_PROFILE))) : undefined;
  // HTTPS_PROXY / HTTP_PROXY / NO_PROXY: Node's http ignores them, so the handler gets agents
  // that honour them (their code loads only when a proxy is set).
  const proxy = !settings.direct && proxyConfigured(env) ? proxyFromEnv(env) : undefined;
  let proxyAgents: Promise<{ httpAgent: unknown; httpsAgent: unknown }> | undefined;
  const agents = async () =>
    proxy ? await (proxyAgents ??= import('../proxy-agent.js').then((m) => m.createProxyAgents(proxy, { connectMs: awsLimits.connectionTimeoutMs })).then((a) => ({ httpAgent: a.http, httpsAgent: a.https }))) : {};
  const common = async (service: string, opts: { long?: boolean } = {}) => {
    const endpoint = settings.serviceEndpoints[service] ?? settings.endpoint;
    const viaProxy = await agents();
    return {
      ...(settings.region ? { region: settings.region } : {}),
      ...(settings.profile ? { profile: settings.profile } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      ...(mfaCodeProvider && service !== 'sts' ? { credentials: sharedCredentials } : {}),
      ...(mfaCodeProvider && service === 'sts' ? { mfaCodeProvider } : {}),
      customUserAgent: userAgent,
      ...(opts.long
        ? { maxAttempts: 1, requestHandler: { connectionTimeout: 10_000, requestTimeout: 0, socketTimeout: 0, ...viaProxy } }
        : {
            maxAttempts: awsLimits.maxAttempts,
            retryStrategy: sgnRetryStrategy(service, { maxAttempts: awsLimits.maxAttempts, budgetMs: awsLimits.retryBudgetMs, announce }),
            // The attempt deadline of installFaultHandling fails a silent request with a sentence;
            // the handler's own timeout would only print an SDK warning on stderr beside it.
            requestHandler: { connectionTimeout: awsLimits.connectionTimeoutMs, requestTimeout: awsLimits.requestTimeoutMs, logger: quietHandlerLogger, ...viaProxy },
          }),
    };
  };
  const sharedCredentials = async () => {
    const sts = await factory.sts();
    return sts.config.credentials();
  };
  const memo = <T>(make: () => Promise<T>) => {
    let p: Promise<T> | undefined;
    return () => (p ??= make());
  };
  const faultContext = { profile: settings.profile ?? (env.AWS_PROFILE || undefined), env, ...(proxy ? { proxy } : {}) };
  const withFaults = <T extends object>(service: string, client: T, long = false): T => {
    installFaultHandling(client as never, { service, ...faultContext, ...(long ? { longInvoke: true } : { attemptDeadlineMs: awsLimits.requestTimeoutMs }) });
    if (hooks.onRequest) timeline(client as never, service, hooks.onRequest);
    return client;
  };
  const s3PathStyle = Boolean(settings.endpoint || env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3);
  const factory: AwsFactory = {
    settings,
    dynamodb: memo(async () => withFaults('dynamodb', new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient(await common('dynamodb')))),
    s3: memo(async () => withFaults('s3', new (await import('@aws-sdk/client-s3')).S3Client({ ...(await common('s3')), forcePathStyle: s3PathStyle }))),
    logs: memo(async () => withFaults('logs', new (await import('@aws-sdk/client-cloudwatch-logs')).CloudWatchLogsClient(await common('logs')))),
    ecr: memo(async () => withFaults('ecr', new (await import('@aws-sdk/client-ecr')).ECRClient(await common('ecr')))),
    codebuild: memo(async () => withFaults('codebuild', new (await import('@aws-sdk/client-codebuild')).CodeBuildClient(await common('codebuild')))),
    codepipeline: memo(async () => withFaults('codepipeline', new (await import('@aws-sdk/client-codepipeline')).CodePipelineClient(await common('codepipeline')))),
    sts: memo(async () => withFaults('sts', new (await import('@aws-sdk/client-sts')).STSClient(await common('sts')))),
    lambda: async (opts = {}) => {
      const { LambdaClient } = await import('@aws-sdk/client-lambda');
      // A synchronous invoke of the deployer may take its whole 500 s timeout. A client-side
      // timeout below that, followed by the SDK's automatic retry, would start a second deploy
      // (aws/aws-cli#2657): so one attempt, and sockets that wait longer than the function can run.
      return withFaults('lambda', new LambdaClient(await common('lambda', { long: opts.forLongInvoke })), opts.forLongInvoke);
    },
    region: async () => {
      const client = await factory.sts();
      let region: string | undefined;
      try {
        region = await client.config.region();
      } catch (e) {
        throw classifyAwsFault(e, { service: 'sts', ...faultContext }) ?? e;
      }
      if (!region) throw classifyAwsFault(new Error('Region is missing'), { service: 'sts', ...faultContext })!;
      checkRegion(region, 'from your AWS profile');
      return region;
    },
  };
  return factory;
}

/** Reports each command of a client when it ends: the request timeline of --debug. */
function timeline(client: { middlewareStack: { add(m: unknown, o: object): void } }, service: string, onRequest: NonNullable<ClientHooks['onRequest']>): void {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const startMs = performance.now();
      const operation = (context.commandName ?? '?').replace(/Command$/, '');
      try {
        const out = await next(args);
        onRequest({ service, operation, startMs, endMs: performance.now() });
        return out;
      } catch (e) {
        onRequest({ service, operation, startMs, endMs: performance.now(), failed: (e as { name?: string })?.name ?? 'error' });
        throw e;
      }
    },
    { step: 'initialize', name: 'sgnTimeline', priority: 'low', override: true },
  );
}
