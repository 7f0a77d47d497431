import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ECRClient } from '@aws-sdk/client-ecr';
import { createDeployTable, putDeployRecords, type DeployRecordInput } from './fixtures.js';
import { writeZip } from './zip.js';
import { demoProjectFiles, demoSourceProjects } from './demo-projects.js';

/**
 * Builders for what a deploy needs, as the pipeline leaves it: build artifacts (zips with a
 * deployspec) in the pipeline bucket, ECR images tagged `latest`, `git-<ref>` and the environments
 * they run in, kube configs for the deployer, and the deploy records. The sandbox seeds its demo
 * with these, and the deploy tests build their fixtures with the same code.
 */
export interface DeployClients {
  dynamodb: DynamoDBClient;
  s3: S3Client;
  ecr: ECRClient;
}

export const defaultPipelineBucket = 'pipeline-artifacts';

/** The artifact key CodePipeline would use for a build of `tag`. */
export function artifactKey(project: string, tag: string): string {
  return `${project}/BuildArtif/${tag.replace(/^git-/, '')}`;
}

/** The `deployspec.yml` a project's build ships (commitref is the image tag the deployer records). */
export function deployspecYaml(project: string, tag: string): string {
  return `commitref: ${tag}\nnamespace: ${project.replace(/_/g, '-')}\nenvsecret: true\nspec:\n  deploy: deploy/deployment.yml\n  service: deploy/service.yml\n`;
}

/**
 * The files of one build's artifact: deployspec.yml plus the jinja2 templates under deploy/, as
 * objects a real API server accepts (a Service with ports and a selector, a Deployment whose
 * selector matches its pod labels, a named container with an image).
 */
export function artifactFiles(project: string, tag: string): { name: string; data: Buffer }[] {
  // The demo projects ship their repositories' sources (demo-projects.ts), which `sgn render` reads too.
  if (demoSourceProjects.includes(project)) return Object.entries(demoProjectFiles(project, tag)).map(([name, text]) => ({ name, data: Buffer.from(text) }));
  const name = project.replace(/_/g, '-');
  const deployment = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${name}`,
    '  namespace: {{ namespace }}',
    '  labels:',
    `    app: ${name}`,
    'spec:',
    '  replicas: 2',
    '  selector:',
    '    matchLabels:',
    `      app: ${name}`,
    '  template:',
    '    metadata:',
    '      labels:',
    `        app: ${name}`,
    '    spec:',
    '      containers:',
    `        - name: ${name}`,
    '          image: {{ deploy_image }}',
    '          ports:',
    '            - containerPort: 8080',
    '',
  ].join('\n');
  const service = [
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    `  name: ${name}`,
    '  namespace: {{ namespace }}',
    'spec:',
    '  selector:',
    `    app: ${name}`,
    '  ports:',
    '    - name: http',
    '      port: 80',
    '      targetPort: 8080',
    '',
  ].join('\n');
  return [
    { name: 'deployspec.yml', data: Buffer.from(deployspecYaml(project, tag)) },
    { name: 'deploy/deployment.yml', data: Buffer.from(deployment) },
    { name: 'deploy/service.yml', data: Buffer.from(service) },
  ];
}

/** The artifact zip of one build: deployspec.yml plus the jinja2 templates under deploy/. */
export function artifactZip(project: string, tag: string): Buffer {
  return writeZip(artifactFiles(project, tag));
}

/** Creates a bucket unless this account already has it. */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const region = await s3.config.region();
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }) }));
  } catch (e) {
    if ((e as Error).name !== 'BucketAlreadyOwnedByYou') throw e;
  }
}

/** Uploads the artifact zip of one build to the pipeline bucket; returns where it is. */
export async function putArtifact(s3: S3Client, bucket: string, project: string, tag: string): Promise<{ bucketName: string; objectKey: string }> {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const objectKey = artifactKey(project, tag);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: artifactZip(project, tag), ContentType: 'application/zip' }));
  return { bucketName: bucket, objectKey };
}

/** The deployer's kube configs (`k8s_deployer/<env>/config`), which it downloads before a deploy. */
export async function putKubeConfigs(s3: S3Client, configBucket: string, envs: string[]): Promise<void> {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  await ensureBucket(s3, configBucket);
  for (const env of envs) {
    const body = `apiVersion: v1\nkind: Config\ncurrent-context: ${env}\nclusters:\n- name: ${env}\n  cluster:\n    server: https://k8s-${env}.sandbox.invalid\ncontexts:\n- name: ${env}\n  context:\n    cluster: ${env}\n    user: deployer\nusers:\n- name: deployer\n  user:\n    token: sandbox-not-a-secret\n`;
    await s3.send(new PutObjectCommand({ Bucket: configBucket, Key: `k8s_deployer/${env}/config`, Body: body }));
  }
}

/** Creates an ECR repository unless it exists. */
export async function createRepository(ecr: ECRClient, name: string): Promise<void> {
  const { CreateRepositoryCommand } = await import('@aws-sdk/client-ecr');
  try {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
  } catch (e) {
    if ((e as Error).name !== 'RepositoryAlreadyExistsException') throw e;
  }
}

/** A Docker schema 2 manifest, unique per project and build, as CodeBuild's push leaves it. */
export function imageManifest(project: string, tag: string): string {
  const digest = (s: string) => 'sha256:' + createHash('sha256').update(s).digest('hex');
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1469, digest: digest(`config ${project} ${tag}`) },
    layers: [
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 3623807, digest: digest('base layer') },
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 18_340_112, digest: digest(`app ${project} ${tag}`) },
    ],
  });
}

/** Puts tags on the image of one build (PutImage with its manifest), moving tags that exist elsewhere. */
export async function tagBuildImage(ecr: ECRClient, project: string, build: string, tags: string[]): Promise<void> {
  const { PutImageCommand } = await import('@aws-sdk/client-ecr');
  for (const imageTag of tags) {
    try {
      await ecr.send(new PutImageCommand({ repositoryName: project, imageManifest: imageManifest(project, build), imageTag }));
    } catch (e) {
      if ((e as Error).name !== 'ImageAlreadyExistsException') throw e;
    }
  }
}

/** One project as the pipeline left it: the builds it pushed and what each environment runs. */
export interface ProjectSeed {
  project: string;
  /** Image tags of the builds, oldest first (`git-<ref>`); the last one is also `latest`. */
  builds: string[];
  /** What each environment runs, and since when. */
  deployed: Record<string, { tag: string; at: Date }>;
}

export interface SeedTargets {
  table: string;
  pipelineBucket?: string;
  /** The artifacts are already in the bucket (putBuildsInOrder): do not upload them again. */
  skipArtifacts?: boolean;
}

/**
 * Seeds one project end to end: its ECR repository and images (latest, git-<ref>, env tags), an
 * artifact zip per build in the pipeline bucket, and a deploy record per environment.
 */
export async function seedProject(clients: DeployClients, targets: SeedTargets, seed: ProjectSeed): Promise<void> {
  const bucket = targets.pipelineBucket ?? defaultPipelineBucket;
  await ensureBucket(clients.s3, bucket);
  await createRepository(clients.ecr, seed.project);
  const records: DeployRecordInput[] = [];
  for (const [i, build] of seed.builds.entries()) {
    if (!targets.skipArtifacts) await putArtifact(clients.s3, bucket, seed.project, build);
    await tagBuildImage(clients.ecr, seed.project, build, [build, ...(i === seed.builds.length - 1 ? ['latest'] : [])]);
  }
  for (const [env, d] of Object.entries(seed.deployed)) {
    await tagBuildImage(clients.ecr, seed.project, d.tag, [env]);
    records.push({ project: seed.project, env, tag: d.tag, deployed: d.at, bucketName: bucket, objectKey: artifactKey(seed.project, d.tag) });
  }
  await putDeployRecords(clients.dynamodb, targets.table, records);
}

/** One of sgn's audit items (services/history/audit.ts HistoryEntry), as plain data. */
export interface DemoHistoryEntry {
  project: string;
  env: string;
  kind: 'promote';
  from: string;
  fromTag: string;
  fromBucket: string;
  fromKey: string;
  toTag: string;
  toBucket: string;
  toKey: string;
  caller: string;
  result: 'deployed';
  startedAt: Date;
  durationMs: number;
  requestId: string;
}

/**
 * What sgn's history would hold for the demo had the team used sgn: the production promotions
 * of web and worker, so that `sgn --sandbox rollback web production` knows what ran before.
 * The sandbox service writes them (the fixtures do not know the history's item format).
 */
export function demoHistory(now: Date, pipelineBucket = defaultPipelineBucket): DemoHistoryEntry[] {
  const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000);
  const promoted = (project: string, from: string, to: string, at: Date, n: number): DemoHistoryEntry => ({
    project,
    env: 'production',
    kind: 'promote',
    from: 'staging',
    fromTag: gitTag(from),
    fromBucket: pipelineBucket,
    fromKey: artifactKey(project, gitTag(from)),
    toTag: gitTag(to),
    toBucket: pipelineBucket,
    toKey: artifactKey(project, gitTag(to)),
    caller: 'arn:aws:sts::123456789012:assumed-role/developer/ana',
    result: 'deployed',
    startedAt: at,
    durationMs: 48_200 + n * 1300,
    requestId: `b7c1e2f0-5d1a-4c3e-9a7b-0d2e8f6a1c0${n}`,
  });
  return [
    promoted('web', 'web-expired', 'web-0', ago(10 * 1440), 1),
    promoted('web', 'web-0', 'web-1', ago(3 * 1440 + 1), 2),
    promoted('worker', 'worker-0', 'worker-1', ago(9 * 1440 + 1), 3),
  ];
}

/** Deletes one image of a repository, as an ECR lifecycle rule expiring it would. */
export async function expireImage(ecr: ECRClient, project: string, tag: string): Promise<void> {
  const { BatchDeleteImageCommand } = await import('@aws-sdk/client-ecr');
  await ecr.send(new BatchDeleteImageCommand({ repositoryName: project, imageIds: [{ imageTag: tag }] }));
}

/** A build tag that looks like the pipeline's (`git-` and 7 hex digits), stable per name. */
export function gitTag(name: string): string {
  return 'git-' + createHash('sha1').update(name).digest('hex').slice(0, 7);
}

/**
 * The sandbox's demo: the deploy table, the pipeline bucket, kube configs for the deployer (when a
 * config bucket is named), and several projects, some with staging ahead of production.
 * Returns the seeds, so that callers can say what to try (`sgn --sandbox deploy web production`).
 */
export async function seedDemoDeploys(
  clients: DeployClients,
  opts: { table: string; pipelineBucket?: string; configBucket?: string; now?: Date },
): Promise<ProjectSeed[]> {
  const now = (opts.now ?? new Date()).getTime();
  const ago = (minutes: number) => new Date(now - minutes * 60_000);
  await createDeployTable(clients.dynamodb, opts.table);
  if (opts.configBucket) await putKubeConfigs(clients.s3, opts.configBucket, ['staging', 'production']);
  const b = (p: string, n: number) => Array.from({ length: n }, (_, i) => gitTag(`${p}-${i}`));
  // Several releases per project (sgn releases), uploaded oldest first, a second apart (S3's
  // LastModified has whole seconds). What runs where stays as the pipeline demo
  // (fixtures-pipelines.ts) expects; older builds come first: web's oldest image was expired by a
  // lifecycle rule.
  const web = [gitTag('web-expired'), ...b('web', 3)];
  const api = [gitTag('api-prev'), ...b('api', 2)];
  const worker = b('worker', 4);
  const billing = b('billing', 1);
  const search = [gitTag('search-prev'), ...b('search', 2)];
  const seeds: ProjectSeed[] = [
    // staging ahead: waiting for promotion; production went web-0 -> web-1 with sgn (demoHistory)
    { project: 'web', builds: web, deployed: { staging: { tag: web[3], at: ago(42) }, production: { tag: web[2], at: ago(3 * 1440) } } },
    { project: 'worker', builds: worker, deployed: { staging: { tag: worker[3], at: ago(5) }, production: { tag: worker[1], at: ago(9 * 1440) } } },
    // in sync
    { project: 'api', builds: api, deployed: { staging: { tag: api[2], at: ago(26 * 60) }, production: { tag: api[2], at: ago(20 * 60) } } },
    { project: 'search', builds: search, deployed: { staging: { tag: search[2], at: ago(8 * 1440) }, production: { tag: search[2], at: ago(7 * 1440) } } },
    // only in staging: never promoted
    { project: 'billing', builds: billing, deployed: { staging: { tag: billing[0], at: ago(90) } } },
  ];
  const bucket = opts.pipelineBucket ?? defaultPipelineBucket;
  await ensureBucket(clients.s3, bucket);
  await putBuildsInOrder(clients.s3, bucket, Object.fromEntries(seeds.map((s) => [s.project, s.builds])));
  for (const seed of seeds) await seedProject(clients, { ...opts, skipArtifacts: true }, seed);
  await expireImage(clients.ecr, 'web', web[0]);
  return seeds;
}

/** Resolves once the wall clock is in a later second than `t` (S3 LastModified has whole seconds). */
async function nextSecond(t: number): Promise<void> {
  const wait = 1000 - (t % 1000) + 5;
  await new Promise((r) => setTimeout(r, wait));
}

/**
 * Uploads builds of several projects so that S3 orders them as built: round i puts the i-th
 * build (oldest first) of every project, each round in a later second than the one before
 * (S3's LastModified, which `sgn releases` sorts by, has whole seconds). Returns their keys.
 */
export async function putBuildsInOrder(s3: S3Client, bucket: string, builds: Record<string, string[]>): Promise<Record<string, string[]>> {
  const keys: Record<string, string[]> = Object.fromEntries(Object.keys(builds).map((p) => [p, []]));
  const rounds = Math.max(0, ...Object.values(builds).map((b) => b.length));
  for (let i = 0; i < rounds; i++) {
    if (i > 0) await nextSecond(Date.now());
    await Promise.all(
      Object.entries(builds)
        .filter(([, tags]) => i < tags.length)
        .map(async ([project, tags]) => keys[project].push((await putArtifact(s3, bucket, project, tags[i])).objectKey)),
    );
  }
  return keys;
}
