import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { apiServerCauses } from '../../../src/sandbox/api-server.js';
import { artifactFiles } from '../../../src/sandbox/fixtures-deploy.js';
import { loadKubeConfig } from '../../../src/sandbox/kubeconfig.js';
import { PyError } from '../../../src/sandbox/py-error.js';
import { pyYamlLoad } from '../../../src/sandbox/pyyaml.js';
import { renderTemplate, renderTemplates, templatePath } from '../../../src/sandbox/render-step.js';

// The pure parts of the deployer emulator's handler (issue 16, item 5): no moto, no python.
const raises = async (p: Promise<unknown>, type: string, message: string | RegExp) => {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof PyError, String(e));
    assert.equal(e.type, type);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
};

const kubeconfig = (current: string, contexts: string[]) =>
  `current-context: ${current}\nclusters:\n- name: c\n  cluster:\n    server: https://x\ncontexts:\n${contexts.map((c) => `- name: ${c}\n  context:\n    cluster: c\n    user: u\n`).join('')}users:\n- name: u\n  user:\n    token: t\n`;

describe('deployer emulator: handler.py\'s libraries, as pure functions', () => {
  describe('kube config (kubernetes 6.0.0 client)', () => {
    it('given the current context among the contexts, then its name is the cluster name', async () => {
      assert.equal((await loadKubeConfig(kubeconfig('production.domain.com', ['staging.domain.com', 'production.domain.com']), '/tmp/k')).name, 'production.domain.com');
    });
    it('given a current context that no context has, then ConfigException naming it and the list', async () => {
      await raises(loadKubeConfig(kubeconfig('production.domain.com', ['staging.domain.com']), '/tmp/k'), 'ConfigException', 'Invalid kube-config file. Expected object with name production.domain.com in kube-config/contexts list');
    });
    it('given no current-context, no contexts, or a context without cluster, then the client\'s "Expected key" messages', async () => {
      await raises(loadKubeConfig('contexts: []\n', '/tmp/k'), 'ConfigException', 'Invalid kube-config file. Expected key current-context in kube-config');
      await raises(loadKubeConfig('current-context: a\n', '/tmp/k'), 'ConfigException', 'Invalid kube-config file. Expected key contexts in kube-config');
      // Python evaluates self._config['clusters'] before the context's cluster name.
      await raises(loadKubeConfig('current-context: a\ncontexts:\n- name: a\n  context:\n    user: u\n', '/tmp/k'), 'ConfigException', 'Invalid kube-config file. Expected key clusters in kube-config');
      await raises(loadKubeConfig('current-context: a\nclusters: [{name: c}]\ncontexts:\n- name: a\n  context:\n    user: u\n', '/tmp/k'), 'ConfigException', 'Invalid kube-config file. Expected key cluster in kube-config/contexts[name=a]/context');
      await raises(loadKubeConfig(kubeconfig('a', ['a', 'a']), '/tmp/k'), 'ConfigException', 'Invalid kube-config file. Expected only one object with name a in kube-config/contexts list');
    });
    it('given an empty file, then the TypeError of `key in None`', async () => {
      await raises(loadKubeConfig('', '/tmp/k'), 'TypeError', "argument of type 'NoneType' is not iterable");
    });
  });

  describe('PyYAML tabs', () => {
    it('given a tab as indentation, then ScannerError at its line and column with the file\'s path', async () => {
      await raises(pyYamlLoad('a:\n  b: 1\n\tc: 2\n', '/tmp/tmpx/deploy/d.yml'), 'ScannerError', 'while scanning for the next token\nfound character \'\\t\' that cannot start any token\n  in "/tmp/tmpx/deploy/d.yml", line 3, column 1');
    });
    it('given tabs inside quotes, block scalars and comments, then they are content', async () => {
      assert.deepEqual(await pyYamlLoad('a: "x\ty"\nb: |\n  p\tq\n# c\td\nc: 1\n', '/f'), { a: 'x\ty', b: 'p\tq\n', c: 1 });
    });
    it('given YAML 1.1 booleans, then Python\'s True', async () => {
      assert.deepEqual(await pyYamlLoad('envsecret: yes\nx: on\n', '/f'), { envsecret: true, x: true });
    });
  });

  describe('rendering (the swappable step)', () => {
    it('given {{ names }}, then values substitute, built-ins win over templating, undefined renders empty, one final newline goes', async () => {
      const files = new Map([['deploy/a.yml', Buffer.from('image: {{ deploy_image }}\nx: {{ extra }}|{{ nope }}|{{ namespace }}\n')]]);
      const logged: string[] = [];
      await renderTemplates({
        spec: { deploy: 'deploy/a.yml', cron_env: ['production'] },
        files,
        values: { extra: 'E', namespace: 'overridden' },
        builtins: { cluster_name: 'c', deploy_env: 'production', namespace: 'shop', deploy_image: 'r/shop:git-1', docker_tag: 'git-1', project: 'shop' },
        log: (m) => logged.push(m),
      });
      assert.equal(files.get('deploy/a.yml')!.toString(), 'image: r/shop:git-1\nx: E||shop');
      assert.deepEqual(logged, ['Rendering deploy', 'image: r/shop:git-1\nx: E||shop']);
      assert.equal(renderTemplate('{{ a.b }}', { a: { b: true } }, 't'), 'True');
    });
    it('given a listed file that is missing or climbs out with .., then TemplateNotFound with the name as written', () => {
      const files = new Map([['deploy/a.yml', Buffer.from('')]]);
      assert.equal(templatePath('./deploy//a.yml', files), 'deploy/a.yml');
      assert.throws(() => templatePath('deploy/b.yml', files), (e: PyError) => e.type === 'TemplateNotFound' && e.message === 'deploy/b.yml');
      assert.throws(() => templatePath('../deploy/a.yml', files), (e: PyError) => e.type === 'TemplateNotFound' && e.message === '../deploy/a.yml');
    });
  });

  describe('what an API server accepts', () => {
    it('given the sandbox\'s artifacts, then every object passes', () => {
      for (const f of artifactFiles('my_app', 'git-1234567').filter((x) => x.name.startsWith('deploy/'))) {
        const obj = parse(renderTemplate(f.data.toString(), { namespace: 'my-app', deploy_image: 'r/my_app:git-1234567' }, f.name)) as { kind: string };
        assert.deepEqual(apiServerCauses(obj.kind, obj), [], f.name);
      }
    });
    it('given the old demo objects (no ports, no selector), then the API server\'s causes', () => {
      assert.deepEqual(apiServerCauses('Service', { metadata: { name: 'web' } }).map((c) => c.field), ['spec.ports']);
      assert.deepEqual(apiServerCauses('Deployment', { metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ image: 'x' }] } } } }).map((c) => c.field), ['spec.selector', 'spec.template.spec.containers[0].name']);
      assert.deepEqual(
        apiServerCauses('Deployment', { metadata: { name: 'w' }, spec: { selector: { matchLabels: { app: 'w' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'w', image: 'i' }] } } } }).map((c) => c.field),
        ['spec.template.metadata.labels'],
      );
    });
  });
});
