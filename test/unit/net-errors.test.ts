import assert from 'node:assert/strict';
import { NetworkError, classifyNetworkError, isDroppedConnection, neverSent, networkErrorCode } from '../../src/net-errors.js';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('net-errors: the one list of socket-level codes', () => {
  it('given the codes every client met, then each is known, also as the cause of a wrapping error', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STREAM_PREMATURE_CLOSE', 'CERT_HAS_EXPIRED']) {
      assert.equal(networkErrorCode(withCode(code)), code);
      assert.equal(networkErrorCode(new Error('fetch failed', { cause: withCode(code) })), code);
    }
    assert.equal(networkErrorCode(withCode('ENOENT')), undefined);
    assert.equal(networkErrorCode(new Error('no code')), undefined);
  });

  it('given a connection that broke off midway, then it is a drop (worth a fresh attempt); a refusal is not', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']) assert.equal(isDroppedConnection(withCode(code)), true, code);
    assert.equal(isDroppedConnection(new Error('aborted')), true);
    assert.equal(isDroppedConnection(withCode('ECONNREFUSED')), false);
    assert.equal(isDroppedConnection(new NetworkError('truncated', 'h:1', 'h:1 broke off')), true);
    assert.equal(isDroppedConnection(new NetworkError('idle', 'h:1', 'h:1 sent nothing')), false);
  });

  it('given faults before any byte left (refused, DNS, no route, TLS), then never sent; a reset or timeout may have been acted on', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'CERT_HAS_EXPIRED']) assert.equal(neverSent(withCode(code)), true, code);
    for (const code of ['ECONNRESET', 'ETIMEDOUT', 'EPIPE']) assert.equal(neverSent(withCode(code)), false, code);
    assert.equal(neverSent(classifyNetworkError(withCode('ECONNREFUSED'), 'h:1')), true);
    assert.equal(neverSent(classifyNetworkError(withCode('ECONNRESET'), 'h:1')), false);
  });

  it('given each code, then the sentence names the host and its class', () => {
    assert.equal(classifyNetworkError(withCode('ECONNREFUSED'), 'h:1')?.message, 'connection refused by h:1');
    assert.equal(classifyNetworkError(withCode('EHOSTUNREACH'), 'h:1')?.kind, 'connect-timeout');
    assert.equal(classifyNetworkError(withCode('UND_ERR_SOCKET'), 'h:1')?.kind, 'reset');
    assert.equal(classifyNetworkError(withCode('ERR_STREAM_PREMATURE_CLOSE'), 'h:1')?.kind, 'truncated');
    assert.equal(classifyNetworkError(withCode('ECONNRESET'), 'h:1', { midAnswer: true })?.kind, 'truncated');
    assert.equal(classifyNetworkError(withCode('ENOENT'), 'h:1'), undefined);
  });
});
