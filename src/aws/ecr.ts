import type { DescribeImagesCommandInput, DescribeImagesCommandOutput } from '@aws-sdk/client-ecr';
import type { AwsFactory } from './clients.js';

/** The ECR operations sgn uses, named after the SDK's. Services take this, tests fake it. */
export interface EcrApi {
  describeImages(input: DescribeImagesCommandInput): Promise<DescribeImagesCommandOutput>;
}

/** The real ECR client behind EcrApi. */
export async function ecrApi(aws: AwsFactory): Promise<EcrApi> {
  const [client, sdk] = await Promise.all([aws.ecr(), import('@aws-sdk/client-ecr')]);
  return {
    describeImages: (input) => client.send(new sdk.DescribeImagesCommand(input)),
  };
}
