import type { GetFunctionCommandInput, GetFunctionCommandOutput, GetFunctionConfigurationCommandInput, GetFunctionConfigurationCommandOutput, InvokeCommandInput, InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type { AwsFactory } from './clients.js';

/** The Lambda operations sgn uses, named after the SDK's. Services take this, tests fake it. */
export interface LambdaApi {
  /** One Invoke request; `abortSignal` closes the connection (the function keeps running). */
  invoke(input: InvokeCommandInput, opts?: { abortSignal?: AbortSignal }): Promise<InvokeCommandOutput>;
  getFunction(input: GetFunctionCommandInput): Promise<GetFunctionCommandOutput>;
  /** The function's configuration only (its timeout); `abortSignal` drops a request nobody waits for any more. */
  getFunctionConfiguration(input: GetFunctionConfigurationCommandInput, opts?: { abortSignal?: AbortSignal }): Promise<GetFunctionConfigurationCommandOutput>;
}

/**
 * The real Lambda client behind LambdaApi. `forLongInvoke` is for the deployer's synchronous
 * invoke: one attempt and no request or socket timeout (see AwsFactory.lambda), so the SDK can
 * never send the invoke twice.
 */
export async function lambdaApi(aws: AwsFactory, opts: { forLongInvoke?: boolean } = {}): Promise<LambdaApi> {
  const [client, sdk] = await Promise.all([aws.lambda(opts), import('@aws-sdk/client-lambda')]);
  return {
    invoke: (input, o) => client.send(new sdk.InvokeCommand(input), o?.abortSignal ? { abortSignal: o.abortSignal } : {}),
    getFunction: (input) => client.send(new sdk.GetFunctionCommand(input)),
    getFunctionConfiguration: (input, o) => client.send(new sdk.GetFunctionConfigurationCommand(input), o?.abortSignal ? { abortSignal: o.abortSignal } : {}),
  };
}
