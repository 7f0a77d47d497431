import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { clientConfig, cliEnv, motoServer, resetMoto } from './helpers/aws.js';
import { runSgn } from './helpers/cli.js';
import { refusedHost } from './helpers/fault-proxy.js';
import { startForwardProxy, type ForwardProxy } from './helpers/forward-proxy.js';
import { onStop } from './helpers/processes.js';
import { startRegistry, type RegistryInstance } from './helpers/registry.js';
import { createDeployTable, putDeployRecords } from '../src/sandbox/fixtures.js';
import { seedDemoImages } from '../src/sandbox/fixtures-images.js';

/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY, end to end: the built CLI against moto and real
 * docker-registry instances, through a real forward proxy on loopback that counts what it
 * proxied (CONNECT tunnels and absolute-URI requests), with a TLS front for the https case.
 */
describe('proxies (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)', function () {
  this.timeout(180_000);
  let motoUrl: string;
  let motoHost: string;
  let proxy: ForwardProxy;
  const password = 'pr0xy-s3cret-Pa55';
  const projects = ['api', 'web'];

  const deployedProjects = (stdout: string) => (JSON.parse(stdout) as { project: string }[]).map((r) => r.project).sort();

  before(async function () {
    this.timeout(300_000);
    motoUrl = (await motoServer()).url;
    motoHost = new URL(motoUrl).host;
    await resetMoto(motoUrl);
    const db = new DynamoDBClient(clientConfig(motoUrl));
    await createDeployTable(db, 'kubernetes_deploy');
    await putDeployRecords(
      db,
      'kubernetes_deploy',
      projects.map((project) => ({ project, env: 'staging', tag: `git-${project}`, deployed: new Date(Date.now() - 60_000) })),
    );
    proxy = await startForwardProxy();
  });

  describe('AWS calls to an http endpoint (absolute-URI requests to the proxy)', () => {
    it('given HTTP_PROXY, when `ls deployed` runs, then every request went through the proxy and the listing is right', async () => {
      const before = proxy.forwarded.length;
      const res = await runSgn(['ls', 'deployed', '--json'], { env: cliEnv(motoUrl, { HTTP_PROXY: proxy.url() }) });
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual(deployedProjects(res.stdout), projects);
      const mine = proxy.forwarded.slice(before);
      assert.ok(mine.length > 0, 'the proxy forwarded no request');
      assert.ok(
        mine.every((r) => new URL(r.url).host === motoHost),
        JSON.stringify(mine),
      );
    });

    it('given lowercase http_proxy pointing nowhere beside a working HTTP_PROXY, then the lowercase one is used (as curl does) and named', async () => {
      const dead = await refusedHost();
      const res = await runSgn(['ls', 'deployed'], { env: cliEnv(motoUrl, { HTTP_PROXY: proxy.url(), http_proxy: `http://${dead}` }), timeoutMs: 60_000 });
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, new RegExp(`could not reach the proxy ${dead} \\(from http_proxy\\)`));
    });

    it('given NO_PROXY listing the endpoint host, when `ls deployed` runs, then it goes direct (the proxy sees nothing)', async () => {
      const before = proxy.count();
      const res = await runSgn(['ls', 'deployed', '--json'], { env: cliEnv(motoUrl, { HTTP_PROXY: proxy.url(), NO_PROXY: `example.com, ${new URL(motoUrl).hostname}` }) });
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual(deployedProjects(res.stdout), projects);
      assert.equal(proxy.count(), before);
    });

    it('given a proxy that is down, then exit 1 with one sentence naming the proxy and its variable, and a hint', async () => {
      const dead = await refusedHost();
      const res = await runSgn(['ls', 'deployed'], { env: cliEnv(motoUrl, { HTTP_PROXY: `http://${dead}` }), timeoutMs: 60_000 });
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, new RegExp(`^Error: DynamoDB cannot be reached at ${motoHost}: could not reach the proxy ${dead} \\(from HTTP_PROXY\\): connection refused\\.$`, 'm'));
      assert.match(res.stderr, /^Hint: Check that the proxy in HTTP_PROXY is running/m);
      assert.doesNotMatch(res.stderr, /bug in sgn/);
      assert.equal(res.stdout, '');
    });

    it('given a proxy that wants credentials and none (or wrong ones) are given, then exit 4 naming the proxy, and the password never shows', async () => {
      const guarded = await startForwardProxy({ auth: { username: 'alice', password } });
      const none = await runSgn(['ls', 'deployed'], { env: cliEnv(motoUrl, { HTTP_PROXY: guarded.url() }), timeoutMs: 60_000 });
      assert.equal(none.code, 4, none.stderr);
      assert.match(none.stderr, new RegExp(`the proxy ${guarded.host} \\(from HTTP_PROXY\\) asks for a user and password \\(407 Proxy Authentication Required\\)`));
      const wrong = await runSgn(['ls', 'deployed', '--debug'], { env: cliEnv(motoUrl, { HTTP_PROXY: guarded.url({ username: 'alice', password: `${password}-old` }) }), timeoutMs: 60_000 });
      assert.equal(wrong.code, 4, wrong.stderr);
      assert.match(wrong.stderr, /refused the user and password given in HTTP_PROXY/);
      assert.doesNotMatch(wrong.stdout + wrong.stderr, new RegExp(password));
      const right = await runSgn(['ls', 'deployed', '--json', '--debug'], { env: cliEnv(motoUrl, { HTTP_PROXY: guarded.url({ username: 'alice', password }) }) });
      assert.equal(right.code, 0, right.stderr);
      assert.deepEqual(deployedProjects(right.stdout), projects);
      assert.ok(guarded.forwarded.length > 0);
      assert.doesNotMatch(right.stdout + right.stderr, new RegExp(password));
    });
  });

  describe('doctor', () => {
    it('given a proxy with credentials, then doctor shows which proxy is in use with the password masked, and what goes direct', async () => {
      const guarded = await startForwardProxy({ auth: { username: 'alice', password } });
      const res = await runSgn(['doctor'], { env: cliEnv(motoUrl, { HTTPS_PROXY: guarded.url({ username: 'alice', password }), HTTP_PROXY: guarded.url({ username: 'alice', password }), NO_PROXY: '.corp.example' }) });
      assert.match(res.stdout, new RegExp(`^✓ proxy +http://alice:\\*\\*\\*\\*@${guarded.host} \\(HTTPS_PROXY, HTTP_PROXY\\); direct: \\.corp\\.example$`, 'm'));
      assert.match(res.stdout, /^✓ credentials /m);
      assert.doesNotMatch(res.stdout + res.stderr, new RegExp(password));
    });
    it('given a proxy variable sgn cannot use, then doctor says so (exit 1) without the password', async () => {
      const res = await runSgn(['doctor'], { env: cliEnv(motoUrl, { HTTPS_PROXY: `socks5://alice:${password}@127.0.0.1:1080` }) });
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stdout, /^✗ proxy +HTTPS_PROXY is not a proxy URL sgn can use: the scheme socks5 is not supported/m);
      assert.doesNotMatch(res.stdout + res.stderr, new RegExp(password));
    });
  });

  describe('AWS calls to an https endpoint (a CONNECT tunnel, then TLS with the endpoint)', () => {
    let work: string;
    let front: { port: number; servernames: (string | false | null)[] };

    before(async function () {
      // A TLS front for moto with a certificate made here; the CLI trusts it through NODE_EXTRA_CA_CERTS.
      work = mkdtempSync(join(tmpdir(), 'sgn-proxy-tls-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
      const servernames: (string | false | null)[] = [];
      const sockets = new Set<Socket>();
      const server = tls.createServer({ key: readFileSync(join(work, 'key.pem')), cert: readFileSync(join(work, 'cert.pem')) }, (client) => {
        servernames.push((client as tls.TLSSocket).servername);
        const up = net.connect({ host: '127.0.0.1', port: Number(new URL(motoUrl).port) });
        for (const s of [client, up]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(up).pipe(client);
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      onStop(
        () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      );
      front = { port: (server.address() as AddressInfo).port, servernames };
    });

    after(() => rmSync(work, { recursive: true, force: true }));

    it('given HTTPS_PROXY, when `ls deployed` runs against https://localhost, then the proxy tunnelled to it, TLS was with localhost (SNI) and the listing is right', async () => {
      const tunnelling = await startForwardProxy({ resolve: (h) => (h === 'localhost' ? '127.0.0.1' : h) });
      const res = await runSgn(['ls', 'deployed', '--json'], {
        env: cliEnv(`https://localhost:${front.port}`, { HTTPS_PROXY: tunnelling.url(), NODE_EXTRA_CA_CERTS: join(work, 'cert.pem') }),
      });
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual(deployedProjects(res.stdout), projects);
      assert.ok(tunnelling.tunnels.length > 0, 'no CONNECT reached the proxy');
      assert.ok(
        tunnelling.tunnels.every((t) => t === `localhost:${front.port}`),
        JSON.stringify(tunnelling.tunnels),
      );
      assert.ok(front.servernames.length > 0 && front.servernames.every((n) => n === 'localhost'), JSON.stringify(front.servernames));
    });

    it('given a proxy that refuses the tunnel (403), then exit 1 naming the proxy, the target and the status', async () => {
      const strict = await startForwardProxy({ refuseTunnels: { status: 403, text: 'Forbidden' } });
      const res = await runSgn(['ls', 'deployed'], { env: cliEnv(`https://localhost:${front.port}`, { HTTPS_PROXY: strict.url(), NODE_EXTRA_CA_CERTS: join(work, 'cert.pem') }), timeoutMs: 60_000 });
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, new RegExp(`the proxy ${strict.host} \\(from HTTPS_PROXY\\) refused to connect to localhost:${front.port}: 403 Forbidden`));
      assert.match(res.stderr, /^Hint: .*NO_PROXY/m);
      assert.doesNotMatch(res.stderr, /bug in sgn/);
    });

    it('given a proxy that wants credentials, when the tunnel is asked without them, then exit 4; with them, the listing', async () => {
      const guarded = await startForwardProxy({ auth: { username: 'bob', password }, resolve: (h) => (h === 'localhost' ? '127.0.0.1' : h) });
      const base = { NODE_EXTRA_CA_CERTS: join(work, 'cert.pem') };
      const denied = await runSgn(['ls', 'deployed'], { env: cliEnv(`https://localhost:${front.port}`, { ...base, HTTPS_PROXY: guarded.url() }), timeoutMs: 60_000 });
      assert.equal(denied.code, 4, denied.stderr);
      assert.match(denied.stderr, new RegExp(`the proxy ${guarded.host} \\(from HTTPS_PROXY\\) asks for a user and password \\(407`));
      assert.match(denied.stderr, /^Hint: Put the proxy's user and password in HTTPS_PROXY/m);
      const allowed = await runSgn(['ls', 'deployed', '--json'], { env: cliEnv(`https://localhost:${front.port}`, { ...base, HTTPS_PROXY: guarded.url({ username: 'bob', password }) }) });
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.deepEqual(deployedProjects(allowed.stdout), projects);
      assert.ok(guarded.tunnels.length > 0);
    });
  });

  describe('registries (image mirror between two docker-registry instances)', () => {
    let source: RegistryInstance;
    let target: RegistryInstance;
    let digest: string;

    before(async function () {
      this.timeout(120_000);
      const token = (await new ECRClient(clientConfig(motoUrl)).send(new GetAuthorizationTokenCommand({}))).authorizationData![0].authorizationToken!;
      const [username, pw] = Buffer.from(token, 'base64').toString().split(':');
      [source, target] = await Promise.all([startRegistry(), startRegistry({ auth: { username, password: pw } })]);
      digest = await seedDemoImages({ host: source.host, images: [{ repository: 'demo/app', tags: ['1.0'] }] });
    });

    it('given HTTP_PROXY, when an image is mirrored, then ECR, the source and the target were all reached through the proxy and the copy is complete', async () => {
      const via = await startForwardProxy();
      const res = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`], { env: cliEnv(motoUrl, { SGN_ECR_REGISTRY: target.host, HTTP_PROXY: via.url() }) });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, `${target.host}/mirror/demo/app:1.0@${digest}\n`);
      const hosts = new Set(via.forwarded.map((r) => new URL(r.url).host));
      assert.deepEqual([...hosts].sort(), [motoHost, source.host, target.host].sort());
      assert.ok(via.forwarded.some((r) => r.method === 'PUT' && new URL(r.url).host === target.host && r.url.includes('/manifests/1.0')));
      // The registry's own log: the tag is there, pushed by sgn through the proxy.
      assert.ok(target.requests().some((r) => r.method === 'PUT' && r.path === '/v2/mirror/demo/app/manifests/1.0' && r.status === 201));
    });

    it('given a proxy that is down, then the mirror fails with exit 1 naming the proxy, and nothing is tagged', async () => {
      const dead = await refusedHost();
      // NO_PROXY sends the ECR API (moto) direct: the registry is the one that meets the dead proxy.
      const res = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--to', 'proxy/down:1.0'], {
        env: cliEnv(motoUrl, { SGN_ECR_REGISTRY: target.host, HTTP_PROXY: `http://${dead}`, NO_PROXY: motoHost }),
        timeoutMs: 60_000,
      });
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, new RegExp(`^Error: Could not reach the proxy ${dead} \\(from HTTP_PROXY\\): connection refused while mirroring`, 'm'));
      assert.match(res.stderr, /^Hint: Check that the proxy in HTTP_PROXY is running/m);
      assert.ok(!target.requests().some((r) => r.path.startsWith('/v2/proxy/down/manifests/')));
    });

    it('given a proxy that wants credentials and gets none, then the mirror exits 4 naming the proxy', async () => {
      const guarded = await startForwardProxy({ auth: { username: 'carol', password } });
      const res = await runSgn(['image', 'mirror', `${source.host}/demo/app:1.0`, '--to', 'proxy/auth:1.0'], {
        env: cliEnv(motoUrl, { SGN_ECR_REGISTRY: target.host, HTTP_PROXY: guarded.url(), NO_PROXY: motoHost }),
        timeoutMs: 60_000,
      });
      assert.equal(res.code, 4, res.stderr);
      assert.match(res.stderr, new RegExp(`^Error: The proxy ${guarded.host} \\(from HTTP_PROXY\\) asks for a user and password \\(407 Proxy Authentication Required\\) while mirroring`, 'm'));
      assert.ok(!target.requests().some((r) => r.path.startsWith('/v2/proxy/auth/manifests/')));
    });
  });
});
