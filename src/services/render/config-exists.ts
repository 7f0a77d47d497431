import type { S3Api } from '../../aws/s3.js';
import { awsErrorName, explainError } from '../../errors.js';
import { fillPattern } from '../../settings/schema.js';

/** Whether the config file the deployer turns into the env's Secret exists (one HeadObject). */
export function configExistsIn(s3: S3Api, bucket: string, keyPattern: string): (project: string, env: string) => Promise<boolean> {
  return async (project, env) => {
    const key = fillPattern(keyPattern, { project, env });
    try {
      await s3.headObject({ Bucket: bucket, Key: key });
      return true;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || awsErrorName(e) === 'NotFound' || awsErrorName(e) === 'NoSuchKey') return false;
      throw explainError(e, `reading s3://${bucket}/${key}`) ?? e;
    }
  };
}
