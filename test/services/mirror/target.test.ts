import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeRepositoriesCommand, ECRClient, GetAuthorizationTokenCommand, GetLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { clientConfig, motoServer, resetMoto } from '../../helpers/aws.js';
import { ecrApi, type EcrApi } from '../../../src/aws/ecr.js';
import type { AwsFactory } from '../../../src/aws/clients.js';
import { createRepository, ecrTarget, isEcrRepositoryName, loadLifecyclePolicy, registryAddress, repositoryExists } from '../../../src/services/mirror/target.js';
import { UsageError } from '../../../src/errors.js';

describe('image mirror: the ECR side', () => {
  describe('settings', () => {
    it('given ecrRegistry values, then http is chosen by an http:// prefix or a loopback host, https otherwise', () => {
      assert.deepEqual(registryAddress('127.0.0.1:5000'), { host: '127.0.0.1:5000', insecure: true });
      assert.deepEqual(registryAddress('localhost:5000'), { host: 'localhost:5000', insecure: true });
      assert.deepEqual(registryAddress('https://localhost:5000/'), { host: 'localhost:5000', insecure: false });
      assert.deepEqual(registryAddress('http://registry.internal:5000'), { host: 'registry.internal:5000', insecure: true });
      assert.deepEqual(registryAddress('123456789012.dkr.ecr.eu-west-1.amazonaws.com'), { host: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', insecure: false });
      assert.throws(() => registryAddress('https://host/path/x'), UsageError);
    });

    it('given repository names, then ECR\'s rule decides (single separators, lowercase, 2-256)', () => {
      for (const ok of ['mirror/nginx', 'mirror/bitnami/redis', 'a.b-c_d/e', 'ab']) assert.ok(isEcrRepositoryName(ok), ok);
      for (const bad of ['a', 'Mirror/nginx', 'mirror//nginx', 'mirror/ng__inx', 'mirror/-x', '/x', 'x/']) assert.ok(!isEcrRepositoryName(bad), bad);
    });

    it('given a lifecycle policy as JSON or @file (relative to the settings file naming it), then it is read and checked before any call', () => {
      const dir = mkdtempSync(join(tmpdir(), 'sgn-policy-'));
      const policy = JSON.stringify({ rules: [] });
      writeFileSync(join(dir, 'policy.json'), policy);
      assert.equal(loadLifecyclePolicy(policy, undefined, '/'), policy);
      assert.equal(loadLifecyclePolicy('@policy.json', join(dir, '.sgn.json'), '/'), policy);
      assert.equal(loadLifecyclePolicy('@policy.json', undefined, dir), policy);
      assert.throws(() => loadLifecyclePolicy('@missing.json', undefined, dir), (e: unknown) => e instanceof UsageError && /missing\.json .* cannot be read/.test(e.message));
      assert.throws(() => loadLifecyclePolicy('{nope', undefined, dir), /is not valid JSON/);
      assert.throws(() => loadLifecyclePolicy('{"rulez":[]}', undefined, dir), /has no "rules" list/);
    });
  });

  describe('against moto', () => {
    let url: string;
    let sdk: ECRClient;
    let ecr: EcrApi;

    before(async () => {
      url = (await motoServer()).url;
      await resetMoto(url);
      sdk = new ECRClient(clientConfig(url));
      ecr = await ecrApi({ ecr: async () => sdk } as unknown as AwsFactory);
    });

    it('given no override, then the target is the account\'s registry from the token\'s proxyEndpoint (no STS call), over https, with the token\'s credentials', async () => {
      const { target: t, expiresAt } = await ecrTarget(ecr, {});
      assert.ok(expiresAt instanceof Date, 'the token\'s expiry is kept for the login cache');
      const token = (await sdk.send(new GetAuthorizationTokenCommand({}))).authorizationData![0];
      assert.deepEqual(t.address, { host: new URL(token.proxyEndpoint!).host, insecure: false });
      assert.match(t.address.host, /^\d{12}\.dkr\.ecr\.us-east-1\.amazonaws\.com$/);
      assert.equal(`${t.credentials.username}:${t.credentials.password}`, Buffer.from(token.authorizationToken!, 'base64').toString());
    });

    it('given the ecrRegistry setting or a sandbox registry, then that host is the target, still with the ECR token', async () => {
      assert.deepEqual((await ecrTarget(ecr, { override: 'http://10.1.2.3:5000', sandboxRegistry: '127.0.0.1:1' })).target.address, { host: '10.1.2.3:5000', insecure: true });
      const { target: sandbox } = await ecrTarget(ecr, { sandboxRegistry: '127.0.0.1:5001' });
      assert.deepEqual(sandbox.address, { host: '127.0.0.1:5001', insecure: true });
      assert.equal(sandbox.credentials.username, 'AWS');
    });

    it('given a missing repository, then it is created with scan on push and the lifecycle policy, and a second create leaves it as it is', async () => {
      const policy = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 }, action: { type: 'expire' } }] });
      assert.equal(await repositoryExists(ecr, 'mirror/nginx'), false);
      assert.equal(await createRepository(ecr, 'mirror/nginx', policy), 'created');
      assert.equal(await repositoryExists(ecr, 'mirror/nginx'), true);
      const repo = (await sdk.send(new DescribeRepositoriesCommand({ repositoryNames: ['mirror/nginx'] }))).repositories![0];
      assert.equal(repo.imageScanningConfiguration?.scanOnPush, true);
      assert.equal(repo.imageTagMutability, 'MUTABLE');
      assert.deepEqual(JSON.parse((await sdk.send(new GetLifecyclePolicyCommand({ repositoryName: 'mirror/nginx' }))).lifecyclePolicyText!), JSON.parse(policy));
      assert.equal(await createRepository(ecr, 'mirror/nginx', undefined), 'exists');
    });

    it('given no lifecycle policy setting, then the repository gets none', async () => {
      assert.equal(await createRepository(ecr, 'mirror/plain', undefined), 'created');
      await assert.rejects(sdk.send(new GetLifecyclePolicyCommand({ repositoryName: 'mirror/plain' })), { name: 'LifecyclePolicyNotFoundException' });
    });
  });
});
