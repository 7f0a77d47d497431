/**
 * sgn's own settings: every name, its type, its default (from pipeline-contract.md), and how it
 * is spelled as an environment variable. One table serves loading, `sgn config`, and the docs.
 */
export type SettingType = 'string' | 'list' | 'map' | 'boolean' | 'seconds' | 'days';

export interface SettingSpec {
  type: SettingType;
  description: string;
  default?: unknown;
}

export const settingSpecs = {
  region: { type: 'string', description: 'AWS region (else AWS_REGION or the profile\'s region)' },
  profile: { type: 'string', description: 'AWS profile (else AWS_PROFILE)' },
  table: { type: 'string', default: 'kubernetes_deploy', description: 'DynamoDB table of what is deployed where' },
  function: { type: 'string', default: 'notify_k8s_deploy', description: 'deployer Lambda function name' },
  configBucket: { type: 'string', default: 'k8s-deployer-config', description: 'S3 bucket of the apps\' config files' },
  configKey: { type: 'string', default: '{project}/{env}/config', description: 'config file key pattern' },
  logGroup: { type: 'string', default: '/aws/codebuild/{project}', description: 'CloudWatch Logs group of a project\'s builds' },
  codebuildProject: { type: 'string', default: '{project}', description: 'CodeBuild project name pattern' },
  deployerLogGroup: { type: 'string', default: '/aws/lambda/{function}', description: 'log group of the deployer Lambda' },
  environments: { type: 'list', default: ['staging', 'production'], description: 'environments, in display and promotion order' },
  promoteFrom: { type: 'map', default: { production: 'staging' }, description: 'source environment of each promotable environment (env=source,...)' },
  protected: { type: 'list', default: ['production'], description: 'environments whose deploys need confirmation' },
  clusters: { type: 'map', default: {}, description: 'cluster name (the deployer kubeconfig\'s current context) of each environment, for render and lint (env=name,...)' },
  lockTtl: { type: 'seconds', default: 900, description: 'seconds after which an abandoned deploy lock may be taken over' },
  ecrRegistry: { type: 'string', description: 'ECR registry host[:port] override (default <account>.dkr.ecr.<region>.amazonaws.com)' },
  artifactBucket: { type: 'string', description: 'pipeline artifact bucket of `sgn releases` (default: the bucketName of the project\'s deploy records)' },
  artifactPrefix: { type: 'string', description: 'key prefix of a project\'s build artifacts, e.g. {project}/BuildArtif/ (default: from the objectKey of its deploy records)' },
  historyDays: { type: 'days', description: 'days to keep sgn\'s deploy history items (DynamoDB TTL on attribute sgnExpires; unset: keep)' },
  mirrorPrefix: { type: 'string', default: 'mirror/', description: 'prefix of mirrored image repositories in ECR' },
  mirrorLifecyclePolicy: { type: 'string', description: 'ECR lifecycle policy (JSON text or @file) for repositories sgn creates' },
  pipeline: { type: 'string', default: '{project}', description: 'CodePipeline name pattern of a project' },
  buildStage: { type: 'string', default: 'Build', description: 'name of the pipeline stage that builds (CodeBuild)' },
  deployStage: { type: 'string', default: 'Deploy', description: 'name of the pipeline stage that deploys to staging' },
  integrationStage: { type: 'string', default: 'IntegrationTests', description: 'name of the pipeline stage that runs the integration tests' },
  promotionGate: { type: 'boolean', default: true, description: 'refuse to promote to a protected env a tag whose integration tests failed or still run' },
} as const satisfies Record<string, SettingSpec>;

export type SettingKey = keyof typeof settingSpecs;

export interface Settings {
  region?: string;
  profile?: string;
  table: string;
  function: string;
  configBucket: string;
  configKey: string;
  logGroup: string;
  codebuildProject: string;
  deployerLogGroup: string;
  environments: string[];
  promoteFrom: Record<string, string>;
  clusters: Record<string, string>;
  protected: string[];
  lockTtl: number;
  ecrRegistry?: string;
  artifactBucket?: string;
  artifactPrefix?: string;
  historyDays?: number;
  mirrorPrefix: string;
  mirrorLifecyclePolicy?: string;
  pipeline: string;
  buildStage: string;
  deployStage: string;
  integrationStage: string;
  promotionGate: boolean;
}

export const settingKeys = Object.keys(settingSpecs) as SettingKey[];

/** `configBucket` -> `SGN_CONFIG_BUCKET`. */
export function envNameFor(key: SettingKey): string {
  return 'SGN_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

export function isSettingKey(key: string): key is SettingKey {
  return Object.prototype.hasOwnProperty.call(settingSpecs, key);
}

/** Fills `{name}` placeholders of a pattern; unknown placeholders are left as they are. */
export function fillPattern(pattern: string, values: Record<string, string>): string {
  return pattern.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}
