import type { GetCallerIdentityCommandOutput } from '@aws-sdk/client-sts';
import type { AwsFactory } from './clients.js';

/** The STS operations sgn uses, named after the SDK's. Services take this, tests fake it. */
export interface StsApi {
  getCallerIdentity(): Promise<GetCallerIdentityCommandOutput>;
}

/** The real STS client behind StsApi. */
export async function stsApi(aws: AwsFactory): Promise<StsApi> {
  const [client, sdk] = await Promise.all([aws.sts(), import('@aws-sdk/client-sts')]);
  return {
    getCallerIdentity: () => client.send(new sdk.GetCallerIdentityCommand({})),
  };
}
