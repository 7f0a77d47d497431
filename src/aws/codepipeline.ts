import type {
  GetPipelineExecutionCommandInput,
  GetPipelineExecutionCommandOutput,
  GetPipelineStateCommandInput,
  GetPipelineStateCommandOutput,
  ListActionExecutionsCommandInput,
  ListActionExecutionsCommandOutput,
  ListPipelineExecutionsCommandInput,
  ListPipelineExecutionsCommandOutput,
  ListPipelinesCommandInput,
  ListPipelinesCommandOutput,
} from '@aws-sdk/client-codepipeline';
import type { AwsFactory } from './clients.js';
import type { CallOptions } from './logs.js';

/**
 * The CodePipeline operations sgn uses (all reads), named after the SDK's. Services take this,
 * tests fake it. ListPipelines only serves close names for a pipeline that does not exist.
 */
export interface CodePipelineApi {
  listPipelineExecutions(input: ListPipelineExecutionsCommandInput, opts?: CallOptions): Promise<ListPipelineExecutionsCommandOutput>;
  getPipelineExecution(input: GetPipelineExecutionCommandInput, opts?: CallOptions): Promise<GetPipelineExecutionCommandOutput>;
  getPipelineState(input: GetPipelineStateCommandInput, opts?: CallOptions): Promise<GetPipelineStateCommandOutput>;
  listActionExecutions(input: ListActionExecutionsCommandInput, opts?: CallOptions): Promise<ListActionExecutionsCommandOutput>;
  listPipelines(input: ListPipelinesCommandInput, opts?: CallOptions): Promise<ListPipelinesCommandOutput>;
}

/** The real CodePipeline client behind CodePipelineApi (the SDK module loads on first use). */
export async function codePipelineApi(aws: Pick<AwsFactory, 'codepipeline'>): Promise<CodePipelineApi> {
  const [client, sdk] = await Promise.all([aws.codepipeline(), import('@aws-sdk/client-codepipeline')]);
  return {
    listPipelineExecutions: (input, opts = {}) => client.send(new sdk.ListPipelineExecutionsCommand(input), { abortSignal: opts.signal }),
    getPipelineExecution: (input, opts = {}) => client.send(new sdk.GetPipelineExecutionCommand(input), { abortSignal: opts.signal }),
    getPipelineState: (input, opts = {}) => client.send(new sdk.GetPipelineStateCommand(input), { abortSignal: opts.signal }),
    listActionExecutions: (input, opts = {}) => client.send(new sdk.ListActionExecutionsCommand(input), { abortSignal: opts.signal }),
    listPipelines: (input, opts = {}) => client.send(new sdk.ListPipelinesCommand(input), { abortSignal: opts.signal }),
  };
}
