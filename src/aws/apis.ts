import type { AwsFactory } from './clients.js';
import type { DynamoApi } from './dynamodb.js';
import type { S3Api } from './s3.js';
import type { LogsApi } from './logs.js';
import type { LambdaApi } from './lambda.js';
import type { EcrApi } from './ecr.js';
import type { CodeBuildApi } from './codebuild.js';
import type { CodePipelineApi } from './codepipeline.js';
import type { StsApi } from './sts.js';

/**
 * The narrow AWS adapters of a run, one per service, each built on first use (an SDK client
 * import costs 100+ ms, so only the command that needs one pays for it). Services receive the
 * adapters they need; nothing else builds one.
 */
export interface AwsApis {
  dynamo(): Promise<DynamoApi>;
  s3(): Promise<S3Api>;
  logs(): Promise<LogsApi>;
  /** `forLongInvoke`: one attempt and no timeout, for the deployer's synchronous invoke. */
  lambda(opts?: { forLongInvoke?: boolean }): Promise<LambdaApi>;
  ecr(): Promise<EcrApi>;
  codebuild(): Promise<CodeBuildApi>;
  codepipeline(): Promise<CodePipelineApi>;
  sts(): Promise<StsApi>;
  /** The region every client uses. */
  region(): Promise<string>;
}

const memo = <T>(make: () => Promise<T>) => {
  let p: Promise<T> | undefined;
  return () => (p ??= make());
};

/** The adapters over one client factory. */
export function createAwsApis(factory: AwsFactory): AwsApis {
  const longLambda = memo(async () => (await import('./lambda.js')).lambdaApi(factory, { forLongInvoke: true }));
  const lambda = memo(async () => (await import('./lambda.js')).lambdaApi(factory));
  return {
    dynamo: memo(async () => (await import('./dynamodb.js')).dynamoApi(factory)),
    s3: memo(async () => (await import('./s3.js')).s3Api(factory)),
    logs: memo(async () => (await import('./logs.js')).logsApi(factory)),
    lambda: (opts = {}) => (opts.forLongInvoke ? longLambda() : lambda()),
    ecr: memo(async () => (await import('./ecr.js')).ecrApi(factory)),
    codebuild: memo(async () => (await import('./codebuild.js')).codeBuildApi(factory)),
    codepipeline: memo(async () => (await import('./codepipeline.js')).codePipelineApi(factory)),
    sts: memo(async () => (await import('./sts.js')).stsApi(factory)),
    region: () => factory.region(),
  };
}

/**
 * An adapter whose operations wait for the real one: a command that needs several SDK clients
 * sends the requests of each as soon as its own module has loaded, instead of after all of them.
 */
export function deferred<T extends object>(get: () => Promise<T>): T {
  return new Proxy({} as T, {
    get: (_, prop) => {
      // Not a thenable: `await adapter` must give the adapter.
      if (prop === 'then' || typeof prop === 'symbol') return undefined;
      return async (...args: unknown[]) => {
        const api = await get();
        const op = Reflect.get(api, prop) as (...a: unknown[]) => unknown;
        return op.apply(api, args);
      };
    },
  });
}
