import type {
  BatchGetImageCommandInput,
  BatchGetImageCommandOutput,
  CreateRepositoryCommandInput,
  CreateRepositoryCommandOutput,
  DescribeImagesCommandInput,
  DescribeImagesCommandOutput,
  DescribeRepositoriesCommandInput,
  DescribeRepositoriesCommandOutput,
  GetAuthorizationTokenCommandInput,
  GetAuthorizationTokenCommandOutput,
  PutLifecyclePolicyCommandInput,
} from '@aws-sdk/client-ecr';
import type { AwsFactory } from './clients.js';

/** The ECR operations sgn uses, named after the SDK's. Services take this, tests fake it. */
export interface EcrApi {
  describeImages(input: DescribeImagesCommandInput): Promise<DescribeImagesCommandOutput>;
  /** Up to 100 image ids per call; ids that do not exist come back as `failures` (not an error). */
  batchGetImage(input: BatchGetImageCommandInput): Promise<BatchGetImageCommandOutput>;
  getAuthorizationToken(input: GetAuthorizationTokenCommandInput): Promise<GetAuthorizationTokenCommandOutput>;
  describeRepositories(input: DescribeRepositoriesCommandInput): Promise<DescribeRepositoriesCommandOutput>;
  createRepository(input: CreateRepositoryCommandInput): Promise<CreateRepositoryCommandOutput>;
  putLifecyclePolicy(input: PutLifecyclePolicyCommandInput): Promise<void>;
}

/** The real ECR client behind EcrApi. */
export async function ecrApi(aws: AwsFactory): Promise<EcrApi> {
  const [client, sdk] = await Promise.all([aws.ecr(), import('@aws-sdk/client-ecr')]);
  return {
    describeImages: (input) => client.send(new sdk.DescribeImagesCommand(input)),
    batchGetImage: (input) => client.send(new sdk.BatchGetImageCommand(input)),
    getAuthorizationToken: (input) => client.send(new sdk.GetAuthorizationTokenCommand(input)),
    describeRepositories: (input) => client.send(new sdk.DescribeRepositoriesCommand(input)),
    createRepository: (input) => client.send(new sdk.CreateRepositoryCommand(input)),
    putLifecyclePolicy: async (input) => void (await client.send(new sdk.PutLifecyclePolicyCommand(input))),
  };
}
