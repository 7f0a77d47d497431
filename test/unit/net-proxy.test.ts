import assert from 'node:assert/strict';
import { ExitCode } from '../../src/errors.js';
import { ProxyError } from '../../src/net-errors.js';
import { bypassesProxy, maskProxyUrl, parseNoProxy, parseProxyUrl, proxyConfigured, proxyFor, proxyFromEnv, ProxyVariableError, withDirectHost } from '../../src/net-proxy.js';

describe('proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)', () => {
  describe('which variable', () => {
    it('given both spellings, then the lowercase one wins (as in curl)', () => {
      const p = proxyFromEnv({ HTTPS_PROXY: 'http://upper:3128', https_proxy: 'http://lower:3128', HTTP_PROXY: 'http://plain:8080' });
      assert.equal(p.https?.host, 'lower:3128');
      assert.equal(p.https?.from, 'https_proxy');
      assert.equal(p.http?.host, 'plain:8080');
      assert.equal(p.http?.from, 'HTTP_PROXY');
    });
    it('given an empty lowercase variable, then the uppercase one is used', () => {
      assert.equal(proxyFromEnv({ https_proxy: ' ', HTTPS_PROXY: 'proxy:1' }).https?.host, 'proxy:1');
    });
    it('given no proxy variable (only NO_PROXY), then none is configured', () => {
      assert.equal(proxyConfigured({ NO_PROXY: '*' }), false);
      assert.equal(proxyConfigured({ http_proxy: 'p:1' }), true);
    });
    it('given an https target, then HTTPS_PROXY applies; an http target, HTTP_PROXY', () => {
      const p = proxyFromEnv({ HTTPS_PROXY: 'secure:1', HTTP_PROXY: 'plain:2' });
      assert.equal(proxyFor(p, new URL('https://s3.amazonaws.com/'))?.host, 'secure:1');
      assert.equal(proxyFor(p, new URL('http://127.0.0.1:5000/v2/'))?.host, 'plain:2');
      assert.equal(proxyFor(proxyFromEnv({ HTTPS_PROXY: 'secure:1' }), new URL('http://registry:5000/')), undefined);
    });
  });

  describe('proxy URLs', () => {
    it('given user:password, then Basic credentials are made and the password is masked in what is shown', () => {
      const p = parseProxyUrl('http://al%40ice:s3cr%3At@proxy.corp:3128', 'HTTPS_PROXY');
      assert.equal(p.authorization, `Basic ${Buffer.from('al@ice:s3cr:t').toString('base64')}`);
      assert.equal(p.display, 'http://al%40ice:****@proxy.corp:3128');
      assert.doesNotMatch(JSON.stringify({ ...p, authorization: undefined }), /s3cr/);
    });
    it('given no scheme or no port, then http and curl default ports apply; an explicit :80 is kept', () => {
      assert.equal(parseProxyUrl('proxy.corp', 'HTTP_PROXY').host, 'proxy.corp:1080');
      assert.equal(parseProxyUrl('http://proxy.corp:80', 'HTTP_PROXY').port, 80);
      assert.equal(parseProxyUrl('https://proxy.corp', 'HTTP_PROXY').port, 443);
    });
    it('given a scheme sgn cannot speak, then a usage error names the variable and never the password', () => {
      assert.throws(
        () => proxyFromEnv({ HTTPS_PROXY: 'socks5://bob:hunter2@proxy:1080' }),
        (e: unknown) => e instanceof ProxyVariableError && e.exitCode === ExitCode.usage && /HTTPS_PROXY/.test(e.message) && /socks5/.test(e.message) && !/hunter2/.test(e.message + (e.hint ?? '')),
      );
    });
    it('given text with credentials, then the mask hides the password (or a lone token)', () => {
      assert.equal(maskProxyUrl('http://bob:hunter2@proxy:3128'), 'http://bob:****@proxy:3128');
      assert.equal(maskProxyUrl('http://tok3n@proxy:3128'), 'http://****@proxy:3128');
      assert.equal(maskProxyUrl('http://proxy:3128'), 'http://proxy:3128');
    });
  });

  describe('NO_PROXY', () => {
    const bypass = (list: string, host: string, port = 443) => bypassesProxy(parseNoProxy(list), host, port);
    it('given *, then every host goes direct', () => {
      assert.equal(bypass('*', 'anything.example'), true);
    });
    it('given a domain with or without a leading dot, then the domain and its subdomains go direct, not look-alikes', () => {
      for (const list of ['example.com', '.example.com', '*.example.com']) {
        assert.equal(bypass(list, 'example.com'), true, list);
        assert.equal(bypass(list, 'api.example.com'), true, list);
        assert.equal(bypass(list, 'badexample.com'), false, list);
      }
    });
    it('given a list split by commas and spaces, in any case, then each entry counts', () => {
      assert.equal(bypass('foo.internal, Registry.Corp  s3.amazonaws.com', 'registry.corp'), true);
      assert.equal(bypass('foo.internal, Registry.Corp  s3.amazonaws.com', 'S3.AMAZONAWS.COM.'), true);
      assert.equal(bypass('foo.internal,registry.corp', 'ecr.corp'), false);
    });
    it('given a port, then only that port goes direct', () => {
      assert.equal(bypass('registry.corp:5000', 'registry.corp', 5000), true);
      assert.equal(bypass('registry.corp:5000', 'registry.corp', 443), false);
    });
    it('given IP literals (v4, v6 with or without brackets and port), then exactly those addresses go direct', () => {
      assert.equal(bypass('10.0.0.7', '10.0.0.7'), true);
      assert.equal(bypass('10.0.0.7', '10.0.0.70'), false);
      assert.equal(bypass('::1', '[::1]'), true);
      assert.equal(bypass('[::1]:8080', '::1', 8080), true);
      assert.equal(bypass('[::1]:8080', '::1', 443), false);
      assert.equal(bypass('127.0.0.1:9000', '127.0.0.1', 9000), true);
    });
    it('given loopback not listed, then it still goes through the proxy (as in curl)', () => {
      assert.equal(bypass('example.com', '127.0.0.1'), false);
      assert.equal(bypass('example.com', 'localhost'), false);
      const p = proxyFromEnv({ HTTP_PROXY: 'proxy:3128', NO_PROXY: 'localhost' });
      assert.equal(proxyFor(p, new URL('http://127.0.0.1:4566/')), p.http);
      assert.equal(proxyFor(p, new URL('http://localhost:4566/')), undefined);
    });
    it('given lowercase no_proxy beside NO_PROXY, then the lowercase list is the one used', () => {
      const p = proxyFromEnv({ HTTP_PROXY: 'proxy:3128', NO_PROXY: 'a.corp', no_proxy: 'b.corp' });
      assert.equal(proxyFor(p, new URL('http://b.corp/')), undefined);
      assert.equal(proxyFor(p, new URL('http://a.corp/')), p.http);
    });
  });

  describe("the sandbox's registry", () => {
    it('given the sandbox registry host added as direct, then only that host:port skips the proxy', () => {
      const p = withDirectHost(proxyFromEnv({ HTTP_PROXY: 'proxy:3128' }), '127.0.0.1:5001');
      assert.equal(proxyFor(p, new URL('http://127.0.0.1:5001/v2/')), undefined);
      assert.equal(proxyFor(p, new URL('http://127.0.0.1:5002/v2/')), p.http);
    });
  });

  describe('proxy failures', () => {
    const proxy = { host: 'proxy.corp:3128', from: 'HTTPS_PROXY', credentials: true };
    it('given a 407 to a CONNECT, then it is a proxy-auth fault naming the proxy and the variable', () => {
      const e = ProxyError.refused(proxy, 'ecr.example:443', 407, 'Proxy Authentication Required');
      assert.equal(e.kind, 'proxy-auth');
      assert.match(e.message, /proxy proxy\.corp:3128 \(from HTTPS_PROXY\) refused the user and password/);
      assert.match(e.hint, /HTTPS_PROXY=http:\/\/user:password@proxy\.corp:3128/);
      assert.equal(e.retryable, false);
    });
    it('given a 403 to a CONNECT, then the sentence names proxy, target and status, and the hint NO_PROXY', () => {
      const e = ProxyError.refused(proxy, 'registry.corp:443', 403, 'Forbidden');
      assert.equal(e.kind, 'proxy');
      assert.match(e.message, /proxy proxy\.corp:3128 \(from HTTPS_PROXY\) refused to connect to registry\.corp:443: 403 Forbidden/);
      assert.match(e.hint, /NO_PROXY/);
    });
    it('given a refused connection to the proxy, then it says the proxy could not be reached, and may be retried', () => {
      const e = ProxyError.unreachable(proxy, 's3.amazonaws.com:443', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      assert.equal(e.message, 'could not reach the proxy proxy.corp:3128 (from HTTPS_PROXY): connection refused');
      assert.equal(e.retryable, true);
    });
  });
});
