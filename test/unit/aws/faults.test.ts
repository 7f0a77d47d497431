import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AwsSetupError, AwsUnreachableError, classifyAwsFault, profileNeedsMfa, readBodyWithin, sgnRetryStrategy, tagHost } from '../../../src/aws/faults.js';
import { ExitCode } from '../../../src/errors.js';

function awsHome(config = '', credentials = ''): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'sgn-aws-unit-'));
  mkdirSync(join(home, '.aws'));
  writeFileSync(join(home, '.aws', 'config'), config);
  writeFileSync(join(home, '.aws', 'credentials'), credentials);
  return { HOME: home };
}
const net = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('AWS fault classification (the SDK errors as they come out of the clients)', () => {
  const env = awsHome('[profile dev]\nregion = us-east-1\n[profile sso]\nsso_session = corp\n', '[default]\naws_access_key_id = x\n');

  it('given "Region is missing", then exit 4 "No AWS region is set", unless the named profile does not exist', () => {
    const e = classifyAwsFault(new Error('Region is missing'), { service: 'dynamodb', env });
    assert.ok(e instanceof AwsSetupError && e.exitCode === ExitCode.auth && e.message === 'No AWS region is set.');
    const p = classifyAwsFault(new Error('Region is missing'), { service: 'dynamodb', env, profile: 'dve' });
    assert.match(p!.message, /The AWS profile "dve" was not found in .*\/\.aws\/config or .*\/\.aws\/credentials\./);
    assert.match(p!.hint!, /Profiles there: default, dev, sso\./);
  });

  it('given credential errors, then SSO, credential_process and MFA are told apart, all exit 4', () => {
    const cred = (message: string) => Object.assign(new Error(message), { name: 'CredentialsProviderError' });
    assert.match(classifyAwsFault(cred('Could not load credentials from any providers'), { service: 's3', env, profile: 'sso' })!.message, /SSO session of the AWS profile "sso" has expired/);
    assert.match(classifyAwsFault(cred('Profile admin requires multi-factor authentication, but no MFA code callback was provided.'), { service: 's3', env, profile: 'dev' })!.message, /needs an MFA code/);
    assert.equal(classifyAwsFault(cred('Could not load credentials from any providers'), { service: 's3', env })!.exitCode, ExitCode.auth);
  });

  it('given wire errors, then they name the service and the host the attempt went to', () => {
    const refused = net('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:443');
    tagHost(refused, 'logs.us-east-1.amazonaws.com');
    const e = classifyAwsFault(refused, { service: 'logs', env });
    assert.ok(e instanceof AwsUnreachableError);
    assert.equal(e.message, 'CloudWatch Logs cannot be reached at logs.us-east-1.amazonaws.com: connection refused by logs.us-east-1.amazonaws.com.');
    // The SDK names a reset "TimeoutError"; its code says what it was.
    const reset = Object.assign(net('ECONNRESET', 'read ECONNRESET'), { name: 'TimeoutError' });
    assert.match(classifyAwsFault(reset, { service: 's3', env, host: 'h:1' })!.message, /h:1 closed the connection without answering/);
    assert.match(classifyAwsFault(net('ENOTFOUND'), { service: 's3', env, host: 's3.x-y-1.amazonaws.com' })!.message, /could not be resolved \(DNS\)/);
    const tls = classifyAwsFault(net('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate'), { service: 'sts', env, host: 'sts.amazonaws.com' })!;
    assert.match(tls.message, /TLS connection to sts\.amazonaws\.com failed/);
    assert.match(tls.hint!, /NODE_EXTRA_CA_CERTS/);
    const timeout = Object.assign(new Error('Socket timed out without establishing a connection within 3000 ms'), { name: 'TimeoutError' });
    assert.match(classifyAwsFault(timeout, { service: 'ecr', env, host: 'h:2' })!.message, /no connection to h:2 within 3 s/);
  });

  it('given answers, then AWS errors are left to the services, and unreadable non-5xx answers are malformed', () => {
    const notFound = Object.assign(new Error('nope'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } });
    assert.equal(classifyAwsFault(notFound, { service: 'dynamodb', env }), undefined);
    const garbled = Object.assign(new Error('Deserialization error: to see the raw response...'), { $metadata: { httpStatusCode: 200 } });
    assert.match(classifyAwsFault(garbled, { service: 'dynamodb', env, host: 'h' })!.message, /DynamoDB at h sent an answer sgn cannot read/);
    const busy = Object.assign(new Error('Deserialization error'), { $metadata: { httpStatusCode: 503 } });
    assert.equal(classifyAwsFault(busy, { service: 's3', env }), undefined);
  });

  it('given an MFA role through a source profile, then its serial is found', () => {
    const mfa = awsHome('[profile admin]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\nmfa_serial = arn:aws:iam::1:mfa/me\n', '[base]\naws_access_key_id = x\n');
    assert.equal(profileNeedsMfa('admin', mfa), 'arn:aws:iam::1:mfa/me');
    assert.equal(profileNeedsMfa('base', mfa), undefined);
  });

  it('given retries, then the first is silent, later ones are announced with the host, and DNS failures are not retried', async () => {
    const said: string[] = [];
    const s = sgnRetryStrategy('logs', { maxAttempts: 4, budgetMs: 60_000, announce: (m) => said.push(m) });
    const err = net('ECONNREFUSED');
    tagHost(err, 'logs.example');
    let t = await s.acquireInitialRetryToken();
    t = await s.refreshRetryTokenForRetry(t, { error: err, errorType: 'TRANSIENT' });
    t = await s.refreshRetryTokenForRetry(t, { error: err, errorType: 'TRANSIENT' });
    assert.equal(said.length, 1);
    assert.match(said[0], /^retrying in [\d.]+ s \(2\/3\): connection refused by logs\.example$/);
    t = await s.refreshRetryTokenForRetry(t, { error: err, errorType: 'TRANSIENT' });
    await assert.rejects(s.refreshRetryTokenForRetry(t, { error: err, errorType: 'TRANSIENT' }), err);
    const dns = net('ENOTFOUND');
    await assert.rejects(s.refreshRetryTokenForRetry(await s.acquireInitialRetryToken(), { error: dns, errorType: 'TRANSIENT' }), dns);
  });
});

describe('readBodyWithin: a streamed answer (S3 GetObject) is bounded and its faults named', () => {
  /** A body that sends `chunks`, then ends, fails with `error`, or (neither) stays open. */
  function body(chunks: string[], end: { error?: Error; close?: boolean } = {}): Readable {
    const r = new Readable({ read() {} });
    for (const c of chunks) r.push(Buffer.from(c));
    if (end.error) setImmediate(() => r.destroy(end.error));
    else if (end.close) r.push(null);
    return r;
  }

  it('given a whole body, then its bytes', async () => {
    assert.equal((await readBodyWithin(body(['A=1\n', 'B=2\n'], { close: true }), { service: 's3', host: 'h:1', idleMs: 1000, deadlineMs: 1000 })).toString(), 'A=1\nB=2\n');
  });

  it('given a body cut short (reset, aborted), then "S3 cannot be reached at h:1: h:1 broke off its answer", exit 1, never a bare "aborted"', async () => {
    for (const error of [net('ECONNRESET'), new Error('aborted')]) {
      const e = await readBodyWithin(body(['A=1'], { error }), { service: 's3', host: 'h:1', idleMs: 1000, deadlineMs: 1000 }).catch((x: unknown) => x);
      assert.ok(e instanceof AwsUnreachableError, String(e));
      assert.match(e.message, /^S3 cannot be reached at h:1: h:1 broke off its answer midway/);
      assert.equal(e.exitCode, ExitCode.failure);
    }
  });

  it('given a body that stops sending, then it fails after the idle time, naming the host; one that keeps dripping fails at the deadline', async () => {
    const idle = await readBodyWithin(body(['A=1']), { service: 's3', host: 'h:1', idleMs: 20, deadlineMs: 5000 }).catch((x: unknown) => x);
    assert.match((idle as Error).message, /h:1 stopped sending in the middle of its answer/);
    const drip = new Readable({ read() {} });
    const timer = setInterval(() => drip.push(Buffer.from('x')), 5);
    const slow = await readBodyWithin(drip, { service: 's3', host: 'h:1', idleMs: 1000, deadlineMs: 60 }).catch((x: unknown) => x);
    clearInterval(timer);
    assert.match((slow as Error).message, /h:1 did not finish its answer within 0 s/);
  });

  it('given an error of the caller (too large), then it is thrown as it is and the body is closed', async () => {
    const b = body(['xxxx', 'yyyy']);
    const e = await readBodyWithin(b, { service: 's3', host: 'h:1', idleMs: 1000, deadlineMs: 1000, onChunk: () => { throw new RangeError('too large'); } }).catch((x: unknown) => x);
    assert.ok(e instanceof RangeError);
    assert.equal(b.destroyed, true);
  });
});

describe('classifyAwsFault: an answer cut short', () => {
  it('given the socket\'s "aborted" with the deserializer\'s note appended (status 200 read), then "broke off its answer midway", not "cannot read"', () => {
    const e = Object.assign(new Error('aborted\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.'), { $metadata: { httpStatusCode: 200 } });
    tagHost(e, 'db.example:443');
    const out = classifyAwsFault(e, { service: 'dynamodb', env: {} });
    assert.ok(out instanceof AwsUnreachableError);
    assert.equal(out.message, 'DynamoDB cannot be reached at db.example:443: db.example:443 broke off its answer midway (the connection closed before the whole body arrived).');
  });
});
