import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { CodeBuildClient } from '@aws-sdk/client-codebuild';
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import type { STSClient } from '@aws-sdk/client-sts';
import { SgnError } from '../errors.js';
import { version } from '../version.js';

/** The user agent of every request sgn sends (AWS and registries). */
export const userAgent = `sgn/${version}`;

/** Shared client settings: one region, one credential chain, one retry policy and user agent. */
export interface ClientSettings {
  region?: string;
  profile?: string;
  /** Endpoint for every service (AWS_ENDPOINT_URL or the sandbox's moto). */
  endpoint?: string;
  /** Per-service endpoint overrides, keyed by the SDK's service id (lambda, s3, ...). */
  serviceEndpoints: Record<string, string>;
  credentials?: { accessKeyId: string; secretAccessKey: string };
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

/** Builds the clients of a run from settings the composition root resolved (sandbox or AWS). */
export function createAwsFactory(settings: ClientSettings, env: NodeJS.ProcessEnv): AwsFactory {
  const common = (service: string) => {
    const endpoint = settings.serviceEndpoints[service] ?? settings.endpoint;
    return {
      ...(settings.region ? { region: settings.region } : {}),
      ...(settings.profile ? { profile: settings.profile } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      customUserAgent: userAgent,
      maxAttempts: 3,
    };
  };
  const memo = <T>(make: () => Promise<T>) => {
    let p: Promise<T> | undefined;
    return () => (p ??= make());
  };
  const s3PathStyle = Boolean(settings.endpoint || env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3);
  const factory: AwsFactory = {
    settings,
    dynamodb: memo(async () => new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient(common('dynamodb'))),
    s3: memo(async () => new (await import('@aws-sdk/client-s3')).S3Client({ ...common('s3'), forcePathStyle: s3PathStyle })),
    logs: memo(async () => new (await import('@aws-sdk/client-cloudwatch-logs')).CloudWatchLogsClient(common('logs'))),
    ecr: memo(async () => new (await import('@aws-sdk/client-ecr')).ECRClient(common('ecr'))),
    codebuild: memo(async () => new (await import('@aws-sdk/client-codebuild')).CodeBuildClient(common('codebuild'))),
    codepipeline: memo(async () => new (await import('@aws-sdk/client-codepipeline')).CodePipelineClient(common('codepipeline'))),
    sts: memo(async () => new (await import('@aws-sdk/client-sts')).STSClient(common('sts'))),
    lambda: async (opts = {}) => {
      const { LambdaClient } = await import('@aws-sdk/client-lambda');
      if (!opts.forLongInvoke) return new LambdaClient(common('lambda'));
      // A synchronous invoke of the deployer may take its whole 500 s timeout. A client-side
      // timeout below that, followed by the SDK's automatic retry, would start a second deploy
      // (aws/aws-cli#2657): so one attempt, and sockets that wait longer than the function can run.
      return new LambdaClient({
        ...common('lambda'),
        maxAttempts: 1,
        requestHandler: { connectionTimeout: 10_000, requestTimeout: 0, socketTimeout: 0 },
      });
    },
    region: async () => {
      const client = await factory.sts();
      const region = await client.config.region();
      if (!region) throw new SgnError('No AWS region is set.', { hint: 'Pass --region, set AWS_REGION, or `sgn config set region eu-west-1`.' });
      return region;
    },
  };
  return factory;
}
