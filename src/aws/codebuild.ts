import type {
  BatchGetBuildsCommandInput,
  BatchGetBuildsCommandOutput,
  ListBuildsForProjectCommandInput,
  ListBuildsForProjectCommandOutput,
  ListProjectsCommandInput,
  ListProjectsCommandOutput,
} from '@aws-sdk/client-codebuild';
import type { AwsFactory } from './clients.js';
import type { CallOptions } from './logs.js';

/** The CodeBuild operations sgn uses, named after the SDK's. Services take this, tests fake it. */
export interface CodeBuildApi {
  listBuildsForProject(input: ListBuildsForProjectCommandInput, opts?: CallOptions): Promise<ListBuildsForProjectCommandOutput>;
  batchGetBuilds(input: BatchGetBuildsCommandInput, opts?: CallOptions): Promise<BatchGetBuildsCommandOutput>;
  listProjects(input: ListProjectsCommandInput, opts?: CallOptions): Promise<ListProjectsCommandOutput>;
}

/** The real CodeBuild client behind CodeBuildApi. */
export async function codeBuildApi(aws: AwsFactory): Promise<CodeBuildApi> {
  const [client, sdk] = await Promise.all([aws.codebuild(), import('@aws-sdk/client-codebuild')]);
  return {
    listBuildsForProject: (input, opts = {}) => client.send(new sdk.ListBuildsForProjectCommand(input), { abortSignal: opts.signal }),
    batchGetBuilds: (input, opts = {}) => client.send(new sdk.BatchGetBuildsCommand(input), { abortSignal: opts.signal }),
    listProjects: (input, opts = {}) => client.send(new sdk.ListProjectsCommand(input), { abortSignal: opts.signal }),
  };
}
