import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { ECRClient } from '@aws-sdk/client-ecr';
import { startDeployerEmulator, deployerControl, type DeployerEmulator } from '../../src/sandbox/deployer-emulator.js';
import type { DeployClients } from '../../src/sandbox/fixtures-deploy.js';
import { clientConfig, motoServer, testRegion } from './aws.js';
import { onStop } from './processes.js';

/** The names the deploy tests use: sgn's defaults (pipeline-contract.md). */
export const deployNames = {
  functionName: 'notify_k8s_deploy',
  table: 'kubernetes_deploy',
  logGroup: '/aws/lambda/notify_k8s_deploy',
  configBucket: 'k8s-deployer-config',
  pipelineBucket: 'pipeline-artifacts',
};

let emulator: Promise<DeployerEmulator & { motoUrl: string }> | undefined;

/** The run's one deployer emulator (in-process, on the shared moto), started on first use. */
export function deployerEmulator(): Promise<DeployerEmulator & { motoUrl: string; control: ReturnType<typeof deployerControl> }> {
  emulator ??= (async () => {
    const moto = await motoServer();
    const e = await startDeployerEmulator({ awsEndpoint: moto.url, region: testRegion, ...deployNames });
    onStop(() => e.close());
    return { ...e, motoUrl: moto.url };
  })();
  return emulator.then((e) => ({ ...e, control: deployerControl(e.url) }));
}

/** SDK clients on moto for building fixtures and reading state back. */
export function deployClients(motoUrl: string): DeployClients {
  return { dynamodb: new DynamoDBClient(clientConfig(motoUrl)), s3: new S3Client(clientConfig(motoUrl)), ecr: new ECRClient(clientConfig(motoUrl)) };
}
