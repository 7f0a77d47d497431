import type {
  GetBucketVersioningCommandInput,
  GetBucketVersioningCommandOutput,
  GetObjectCommandInput,
  GetObjectCommandOutput,
  GetObjectTaggingCommandInput,
  GetObjectTaggingCommandOutput,
  HeadBucketCommandInput,
  HeadObjectCommandInput,
  HeadObjectCommandOutput,
  ListObjectsV2CommandInput,
  ListObjectsV2CommandOutput,
  ListObjectVersionsCommandInput,
  ListObjectVersionsCommandOutput,
  PutObjectCommandInput,
  PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { awsLimits, type AwsFactory } from './clients.js';
import { hostOf, readBodyWithin } from './faults.js';

/** GetObject's answer with the body read into memory (config files are small). */
export type S3Object = Omit<GetObjectCommandOutput, 'Body'> & { Body: Uint8Array };

/** An object larger than the caller accepts; its body was not read. */
export class ObjectTooLargeError extends Error {
  constructor(readonly size: number) {
    super(`object of ${size} bytes is too large`);
    this.name = 'ObjectTooLargeError';
  }
}

/** The S3 operations sgn uses, named after the SDK's. Services take this, tests fake it. */
export interface S3Api {
  /** GetObject, reading the body; refuses (ObjectTooLargeError) before reading past `maxBytes`. */
  getObject(input: GetObjectCommandInput, opts?: { maxBytes?: number }): Promise<S3Object>;
  getObjectTagging(input: GetObjectTaggingCommandInput): Promise<GetObjectTaggingCommandOutput>;
  headObject(input: HeadObjectCommandInput): Promise<HeadObjectCommandOutput>;
  putObject(input: PutObjectCommandInput): Promise<PutObjectCommandOutput>;
  listObjectsV2(input: ListObjectsV2CommandInput): Promise<ListObjectsV2CommandOutput>;
  listObjectVersions(input: ListObjectVersionsCommandInput): Promise<ListObjectVersionsCommandOutput>;
  getBucketVersioning(input: GetBucketVersioningCommandInput): Promise<GetBucketVersioningCommandOutput>;
  headBucket(input: HeadBucketCommandInput): Promise<void>;
}

/** The real S3 client behind S3Api. */
export async function s3Api(aws: AwsFactory): Promise<S3Api> {
  const [client, sdk] = await Promise.all([aws.s3(), import('@aws-sdk/client-s3')]);
  return {
    getObject: async (input, opts = {}) => {
      const out = await client.send(new sdk.GetObjectCommand(input));
      const body = out.Body as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
      if (opts.maxBytes !== undefined && (out.ContentLength ?? 0) > opts.maxBytes) {
        body?.destroy?.();
        throw new ObjectTooLargeError(out.ContentLength ?? 0);
      }
      let size = 0;
      const bytes = body
        ? await readBodyWithin(body as AsyncIterable<Buffer> & { destroy?: () => void }, {
            service: 's3',
            host: hostOf(out),
            idleMs: awsLimits.requestTimeoutMs,
            deadlineMs: awsLimits.requestTimeoutMs,
            onChunk: (chunk) => {
              size += chunk.length;
              // Content-Length can lie (content-encoding): count what actually arrives too.
              if (opts.maxBytes !== undefined && size > opts.maxBytes) throw new ObjectTooLargeError(size);
            },
          })
        : Buffer.alloc(0);
      return { ...out, Body: new Uint8Array(bytes) };
    },
    getObjectTagging: (input) => client.send(new sdk.GetObjectTaggingCommand(input)),
    headObject: (input) => client.send(new sdk.HeadObjectCommand(input)),
    putObject: (input) => client.send(new sdk.PutObjectCommand(input)),
    listObjectsV2: (input) => client.send(new sdk.ListObjectsV2Command(input)),
    listObjectVersions: (input) => client.send(new sdk.ListObjectVersionsCommand(input)),
    getBucketVersioning: (input) => client.send(new sdk.GetBucketVersioningCommand(input)),
    headBucket: async (input) => void (await client.send(new sdk.HeadBucketCommand(input))),
  };
}
