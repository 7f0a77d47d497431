import type { S3Client } from '@aws-sdk/client-s3';
import { fillPattern } from '../settings/schema.js';
import { backdateMetadataKey } from './moto.js';

/**
 * Builders for the config bucket as the pipeline has it: app config files at
 * `{project}/{env}/config` and the deployer's kube configs under `k8s_deployer/<env>/config`.
 * The sandbox seeds its demo data with these, and the cfg tests build their fixtures with them.
 */

/** Creates a bucket (if missing), versioned unless told otherwise. */
export async function createConfigBucket(s3: S3Client, bucket: string, opts: { versioned?: boolean } = {}): Promise<void> {
  const { CreateBucketCommand, PutBucketVersioningCommand } = await import('@aws-sdk/client-s3');
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    if ((e as Error).name !== 'BucketAlreadyOwnedByYou' && (e as Error).name !== 'BucketAlreadyExists') throw e;
  }
  if (opts.versioned ?? true) await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
}

export interface ConfigFileOptions {
  /** SSE-KMS with this key (id or ARN). */
  kmsKeyId?: string;
  contentType?: string;
  metadata?: Record<string, string>;
  /** Object tags. */
  tags?: Record<string, string>;
  /** The object's LastModified (only on sgn's moto, see startMoto; S3 sets the upload time). */
  lastModified?: Date;
}

/** Uploads one config file as is (bytes untouched); returns its version and ETag. */
export async function putConfigFile(s3: S3Client, bucket: string, key: string, body: string | Uint8Array, opts: ConfigFileOptions = {}): Promise<{ versionId?: string; etag?: string }> {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const out = await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
      ContentType: opts.contentType ?? 'text/plain; charset=utf-8',
      ...(opts.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: opts.kmsKeyId } : {}),
      ...(opts.metadata || opts.lastModified ? { Metadata: { ...opts.metadata, ...(opts.lastModified ? { [backdateMetadataKey]: opts.lastModified.toISOString() } : {}) } } : {}),
      ...(opts.tags ? { Tagging: new URLSearchParams(opts.tags).toString() } : {}),
    }),
  );
  return { versionId: out.VersionId, etag: out.ETag };
}

/** A kubeconfig like the deployer's (fake cluster and token): what sgn cfg must never show. */
export function deployerKubeConfig(env: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: ${env}, cluster: {server: "https://k8s-${env}.example.invalid"}}]`,
    `users: [{name: deployer, user: {token: "sandbox-${env}-token-not-a-secret"}}]`,
    `contexts: [{name: ${env}, context: {cluster: ${env}, user: deployer}}]`,
    `current-context: ${env}`,
    '',
  ].join('\n');
}

/** Puts the deployer's kube config of every environment at k8s_deployer/<env>/config. */
export async function putDeployerKubeConfigs(s3: S3Client, bucket: string, envs: string[]): Promise<void> {
  for (const env of envs) await putConfigFile(s3, bucket, `k8s_deployer/${env}/config`, deployerKubeConfig(env), { contentType: 'application/yaml' });
}

/**
 * Creates a KMS key in moto (the sandbox and tests only; no SigV4 signing here) and returns its
 * ARN. A raw call to moto's JSON API spares a KMS SDK dependency that sgn itself never needs.
 */
export async function createMotoKmsKey(motoUrl: string, region: string, description = 'sgn config files'): Promise<string> {
  const res = await fetch(motoUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'TrentService.CreateKey',
      // moto routes by the credential scope's service name.
      Authorization: `AWS4-HMAC-SHA256 Credential=sandbox/20240101/${region}/kms/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ Description: description }),
  });
  if (!res.ok) throw new Error(`moto CreateKey failed: ${res.status} ${await res.text()}`);
  const out = (await res.json()) as { KeyMetadata: { Arn: string } };
  return out.KeyMetadata.Arn;
}

/** Demo config text of a project in an environment (values are fake). */
export function demoConfigText(project: string, env: string): string {
  const prod = env === 'production';
  const lines = [
    `# ${project} in ${env}: becomes the Secret ${project.replace(/_/g, '-')}-${env}`,
    `DATABASE_URL=postgres://${project}:demo-password@db-${env}.internal:5432/${project}`,
    `LOG_LEVEL=${prod ? 'info' : 'debug'}`,
    `FEATURE_NEW_CHECKOUT=${prod ? 'off' : 'on'}`,
    'GREETING="hello from the sandbox"',
    ...(prod ? ['SENTRY_DSN=https://public@sentry.example.invalid/1'] : ['DEBUG_TOOLBAR=1']),
    '; an indented line continues the value above:',
    'ALLOWED_HOSTS = localhost',
    `    ${project}.${env}.example.invalid`,
    '',
  ];
  return lines.join('\n');
}

export interface SeedDemoConfigOptions {
  bucket: string;
  /** The configKey setting, e.g. `{project}/{env}/config`. */
  configKey: string;
  environments: string[];
  projects: string[];
  /** moto's URL and region: the first project's production file is then SSE-KMS encrypted. */
  moto?: { url: string; region: string };
  /**
   * The demo's clock: the files then date from before every demo deploy (current versions two
   * weeks back, the history before that), so that a deploy does not report a config change.
   */
  now?: Date;
}

/**
 * Seeds the sandbox's config bucket: versioned, the deployer's kube configs, a config file per
 * project and environment (one with CRLF line endings, one SSE-KMS encrypted, one with a few
 * versions of history). Returns the keys written.
 */
export async function seedDemoConfig(s3: S3Client, opts: SeedDemoConfigOptions): Promise<{ keys: string[]; kmsKeyArn?: string }> {
  await createConfigBucket(s3, opts.bucket, { versioned: true });
  await putDeployerKubeConfigs(s3, opts.bucket, opts.environments);
  const kmsKeyArn = opts.moto ? await createMotoKmsKey(opts.moto.url, opts.moto.region) : undefined;
  const keys: string[] = [];
  const daysAgo = (days: number) => (opts.now ? { lastModified: new Date(opts.now.getTime() - days * 86_400_000) } : {});
  for (const [pi, project] of opts.projects.entries()) {
    for (const env of opts.environments) {
      const key = fillPattern(opts.configKey, { project, env });
      let text = demoConfigText(project, env);
      if (pi === 1) text = text.replace(/\n/g, '\r\n'); // someone edited this one on Windows
      const encrypted = pi === 0 && env === opts.environments[opts.environments.length - 1];
      if (pi === 0 && env === opts.environments[0]) {
        // A little history for `sgn cfg history` and `restore`.
        await putConfigFile(s3, opts.bucket, key, text.replace('LOG_LEVEL=debug', 'LOG_LEVEL=warn'), daysAgo(30));
        await putConfigFile(s3, opts.bucket, key, text.replace('DEBUG_TOOLBAR=1\n', ''), daysAgo(21));
      }
      await putConfigFile(s3, opts.bucket, key, text, { ...(encrypted && kmsKeyArn ? { kmsKeyId: kmsKeyArn } : {}), ...daysAgo(14) });
      keys.push(key);
    }
  }
  return { keys, kmsKeyArn };
}
