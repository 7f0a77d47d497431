import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseChallenge } from '../../src/registry/auth.js';
import { retryAfterMs } from '../../src/registry/client.js';
import { dockerCredentials, type HelperRunner } from '../../src/registry/docker-config.js';
import { ExternalCommandError, SgnError } from '../../src/errors.js';

describe('registry auth', () => {
  it('given Docker Hub\'s bearer challenge, then realm, service and a scope with a comma are read', () => {
    const c = parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push",error="insufficient_scope"');
    assert.deepEqual(c, { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull,push', error: 'insufficient_scope' } });
  });

  it('given a basic challenge (htpasswd, ECR), then it is basic', () => {
    assert.deepEqual(parseChallenge('Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"'), {
      scheme: 'basic',
      params: { realm: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com/', service: 'ecr.amazonaws.com' },
    });
    assert.equal(parseChallenge('Negotiate abc'), undefined);
    assert.equal(parseChallenge(undefined), undefined);
  });

  it('given Retry-After in seconds or as a date, then it becomes milliseconds', () => {
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs('Thu, 26 Nov 2026 10:00:05 GMT', Date.parse('Thu, 26 Nov 2026 10:00:00 GMT')), 5000);
    assert.equal(retryAfterMs('soon'), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
  });

  describe('~/.docker/config.json', () => {
    const home = (config: object) => {
      const dir = mkdtempSync(join(tmpdir(), 'sgn-docker-'));
      mkdirSync(join(dir, '.docker'));
      writeFileSync(join(dir, '.docker', 'config.json'), JSON.stringify(config));
      return { HOME: dir };
    };
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const noHelper: HelperRunner = async () => {
      throw new Error('no helper expected');
    };

    it('given Docker Hub credentials under the v1 index URL, then docker.io finds them', async () => {
      const env = home({ auths: { 'https://index.docker.io/v1/': { auth: b64('me:pw:with:colons') } } });
      assert.deepEqual(await dockerCredentials('docker.io', env, noHelper), { username: 'me', password: 'pw:with:colons' });
    });

    it('given a key written as a URL with a path, then the registry host matches it', async () => {
      const env = home({ auths: { 'https://ghcr.io/v2/': { auth: b64('u:p') } } });
      assert.deepEqual(await dockerCredentials('ghcr.io', env, noHelper), { username: 'u', password: 'p' });
      assert.equal(await dockerCredentials('quay.io', env, noHelper), undefined);
    });

    it('given credsStore, then the helper is asked with the server on stdin, and "not found" means anonymous', async () => {
      const asked: string[] = [];
      const run: HelperRunner = async (program, input) => {
        asked.push(`${program} ${input}`);
        return input === 'quay.io' ? { exitCode: 0, stdout: '{"Username":"q","Secret":"s"}', stderr: '' } : { exitCode: 1, stdout: 'credentials not found in native keychain', stderr: '' };
      };
      const env = home({ credsStore: 'desktop' });
      assert.deepEqual(await dockerCredentials('quay.io', env, run), { username: 'q', password: 's' });
      assert.equal(await dockerCredentials('docker.io', env, run), undefined);
      assert.deepEqual(asked, ['docker-credential-desktop quay.io', 'docker-credential-desktop https://index.docker.io/v1/']);
    });

    it('given a helper that is not installed, then one sentence names it and the file', async () => {
      const run: HelperRunner = async () => {
        throw Object.assign(new Error('spawn ENOENT'), { code: 'ENOENT' });
      };
      await assert.rejects(dockerCredentials('ghcr.io', home({ credHelpers: { 'ghcr.io': 'gcloud' } }), run), (e: unknown) => e instanceof ExternalCommandError && /names the credential helper "gcloud", but docker-credential-gcloud is not on PATH/.test(e.message));
    });

    it('given a broken config file or an identity token, then it says so instead of pulling anonymously', async () => {
      const broken = mkdtempSync(join(tmpdir(), 'sgn-docker-'));
      mkdirSync(join(broken, '.docker'));
      writeFileSync(join(broken, '.docker', 'config.json'), '{ nope');
      await assert.rejects(dockerCredentials('ghcr.io', { HOME: broken }, noHelper), (e: unknown) => e instanceof SgnError && /config\.json is not valid JSON/.test(e.message));
      await assert.rejects(dockerCredentials('ghcr.io', home({ auths: { 'ghcr.io': { identitytoken: 'x' } } }), noHelper), /identity token/);
    });

    it('given DOCKER_CONFIG, then that folder is read instead of ~/.docker', async () => {
      const { HOME } = home({ auths: { 'r.example': { auth: b64('a:b') } } });
      assert.deepEqual(await dockerCredentials('r.example', { HOME: '/nonexistent', DOCKER_CONFIG: join(HOME, '.docker') }, noHelper), { username: 'a', password: 'b' });
    });
  });
});
