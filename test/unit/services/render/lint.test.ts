import assert from 'node:assert/strict';
import { lintProject, renderProject, type LintDeps } from '../../../../src/services/render/render.js';
import { SgnError } from '../../../../src/errors.js';

// Each lint rule with a checkout that breaks it and one that passes it.
const good: Record<string, string> = {
  'deployspec.yml': 'commitref: git-1\nnamespace: app\nspec:\n  service: deploy/service.yml\n  deploy: deploy/deployment.yml\n',
  'deploy/service.yml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: app\n  namespace: {{ namespace }}\nspec:\n  selector: {app: app}\n  ports:\n    - port: 80\n',
  'deploy/deployment.yml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  selector:
    matchLabels: {app: app}
  template:
    metadata:
      labels: {app: app, tier: web}
    spec:
      containers:
        - name: app
          image: SGN_DEPLOY_IMAGE
`,
};

function deps(files: Record<string, string>, configs: string[] = []): LintDeps {
  return {
    folder: { read: (p) => files[p] },
    now: () => new Date('2026-11-30T03:00:00Z'),
    registry: async () => '123456789012.dkr.ecr.us-east-1.amazonaws.com',
    configExists: async (project, env) => configs.includes(`${project}/${env}`),
  };
}
const lint = (files: Record<string, string>, opts: { strict?: boolean; configs?: string[]; envs?: string[] } = {}) =>
  lintProject(deps(files, opts.configs), { project: 'app', envs: (opts.envs ?? ['staging']).map((env) => ({ env, clusterName: env })), strict: Boolean(opts.strict) });
const rules = async (files: Record<string, string>, opts?: Parameters<typeof lint>[1]) => (await lint(files, opts)).findings.map((f) => `${f.severity} ${f.rule}`);
const edit = (path: string, from: string | RegExp, to: string) => ({ ...good, [path]: good[path].replace(from, to) });

describe('sgn lint rules (each failing and passing)', () => {
  it('Given the good checkout, When linted, Then there are no findings', async () => {
    const result = await lint(good, { envs: ['staging', 'production'] });
    assert.deepEqual(result.findings, []);
    assert.equal(result.errors, 0);
  });

  for (const key of ['commitref', 'namespace', 'spec']) {
    it(`deployspec.missing-key: Given no ${key}, Then an error names it`, async () => {
      const files = { ...good, 'deployspec.yml': good['deployspec.yml'].split('\n').filter((l) => !l.startsWith(`${key}:`) && (key !== 'spec' || !l.startsWith('  '))).join('\n') };
      const result = await lint(files);
      assert.ok(result.findings.some((f) => f.rule === 'deployspec.missing-key' && f.severity === 'error' && f.message.includes(`"${key}"`)), JSON.stringify(result.findings));
    });
  }

  it('deployspec.unknown-key: Given a key the deployer does not read (top level or in spec), Then a warning; the known ones pass', async () => {
    assert.deepEqual(await rules(edit('deployspec.yml', 'namespace: app\n', 'namespace: app\nenvsecrets: true\n')), ['warning deployspec.unknown-key']);
    assert.deepEqual(await rules(edit('deployspec.yml', 'spec:\n', 'spec:\n  hpa: deploy/service.yml\n')), ['warning deployspec.unknown-key']);
    assert.deepEqual(await rules(edit('deployspec.yml', 'namespace: app\n', 'namespace: app\ntemplating: {}\nacm: []\n')), []);
  });

  it('template.missing: Given a spec path with no file, Then an error; with the file, none', async () => {
    const { ['deploy/service.yml']: _gone, ...missing } = good;
    const result = await lint(missing);
    assert.deepEqual(result.findings.map((f) => [f.rule, f.file]), [['template.missing', 'deployspec.yml']]);
    assert.match(result.findings[0].message, /deploy\/service\.yml/);
  });

  it('template.missing: Given an include of a missing file, Then the error points at the including template and line', async () => {
    const result = await lint(edit('deploy/service.yml', 'spec:\n', "{% include 'deploy/labels.yml' %}\nspec:\n"));
    assert.deepEqual(result.findings.map((f) => [f.rule, f.file, f.line]), [['template.missing', 'deploy/service.yml', 6]]);
  });

  it('template.error: Given a Jinja2 syntax error, Then an error with file and line; valid syntax passes', async () => {
    const result = await lint(edit('deploy/service.yml', 'spec:\n', '{% if namespace %}\nspec:\n'));
    assert.deepEqual(result.findings.map((f) => [f.severity, f.rule, f.file]), [['error', 'template.error', 'deploy/service.yml']]);
    assert.equal(typeof result.findings[0].line, 'number');
    assert.deepEqual(await rules(edit('deploy/service.yml', 'spec:\n', '{% if namespace %}\n{% endif %}\nspec:\n')), []);
  });

  it('template.refused: Given a construct sgn does not render, Then an error saying so', async () => {
    const result = await lint(edit('deploy/service.yml', 'spec:\n', '{% macro m() %}{% endmacro %}\nspec:\n'));
    assert.deepEqual(result.findings.map((f) => f.rule), ['template.refused']);
    assert.match(result.findings[0].message, /macro/);
  });

  it('template.undefined: Given an undefined value printed, Then a warning (an error with --strict); guarded by default or is defined, none', async () => {
    const files = edit('deploy/service.yml', 'name: app', 'name: app{{ suffix }}');
    assert.deepEqual(await rules(files), ['warning template.undefined']);
    assert.deepEqual(await rules(files, { strict: true }), ['error template.undefined']);
    assert.equal((await lint(files)).errors, 0);
    assert.deepEqual(await rules(edit('deploy/service.yml', 'name: app', "name: app{{ suffix | default('') }}{{ other if other is defined else '' }}")), []);
  });

  it('yaml.error: Given a tab where YAML wants indentation, or two documents, Then an error', async () => {
    assert.deepEqual(await rules(edit('deploy/service.yml', '  selector:', '\tselector:')), ['error yaml.error']);
    assert.deepEqual(await rules(edit('deploy/service.yml', 'spec:\n', '---\nspec:\n')), ['error yaml.error']);
  });

  it('manifest.kind: Given a Service under deploy, Then an error; the right kind passes', async () => {
    const files = { ...good, 'deployspec.yml': good['deployspec.yml'].replace('service: deploy/service.yml\n  deploy: deploy/deployment.yml', 'deploy: deploy/service.yml') };
    const result = await lint(files);
    assert.deepEqual(result.findings.map((f) => f.rule), ['manifest.kind']);
    assert.match(result.findings[0].message, /spec\.deploy must hold a Deployment/);
  });

  it('manifest.required: Given a selector that does not match the pod labels, Then an error', async () => {
    assert.deepEqual(await rules(edit('deploy/deployment.yml', 'matchLabels: {app: app}', 'matchLabels: {app: other}')), ['error manifest.required']);
  });

  it('manifest.required: Given no selector, a container without a name or image, or a Service without ports, Then errors', async () => {
    assert.ok((await rules(edit('deploy/deployment.yml', / {2}selector:\n {4}matchLabels: \{app: app\}\n/, ''))).includes('error manifest.required'));
    assert.ok((await rules(edit('deploy/deployment.yml', '          image: SGN_DEPLOY_IMAGE\n', ''))).includes('error manifest.required'));
    assert.ok((await rules(edit('deploy/deployment.yml', '- name: app\n          image', '- image'))).includes('error manifest.required'));
    assert.deepEqual(await rules(edit('deploy/service.yml', / {2}ports:\n {4}- port: 80\n/, '')), ['error manifest.required']);
    assert.deepEqual(await rules(edit('deploy/service.yml', / {2}ports:\n {4}- port: 80\n/, '  clusterIP: None\n')), []);
  });

  it('manifest.namespace: Given an object in another namespace than the deployspec\'s, Then an error', async () => {
    assert.deepEqual(await rules(edit('deploy/service.yml', 'namespace: {{ namespace }}', 'namespace: other')), ['error manifest.namespace']);
  });

  it('cron.no-cron-env: Given cron without cron_env, Then an error; with cron_env, none', async () => {
    const cron = 'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: job\nspec:\n  schedule: "0 1 * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - {name: job, image: "{{ deploy_image }}"}\n';
    const files = { ...good, 'deploy/cron.yml': cron, 'deployspec.yml': good['deployspec.yml'] + '  cron: deploy/cron.yml\n' };
    assert.deepEqual(await rules(files), ['error cron.no-cron-env']);
    assert.deepEqual(await rules({ ...files, 'deployspec.yml': files['deployspec.yml'] + '  cron_env: [production]\n' }, { envs: ['staging', 'production'] }), []);
  });

  it('envsecret.no-config: Given envsecret: true and no config file for the env, Then an error for that env only', async () => {
    const files = edit('deployspec.yml', 'namespace: app\n', 'namespace: app\nenvsecret: true\n');
    const result = await lint(files, { envs: ['staging', 'production'], configs: ['app/production'] });
    assert.deepEqual(result.findings.map((f) => [f.rule, f.envs]), [['envsecret.no-config', ['staging']]]);
    assert.deepEqual(await rules(files, { envs: ['staging', 'production'], configs: ['app/staging', 'app/production'] }), []);
  });

  it('Given the same problem in several envs, When linted, Then it is reported once with the envs', async () => {
    const result = await lint(edit('deploy/service.yml', 'spec:\n', '{% if %}\nspec:\n'), { envs: ['staging', 'production'] });
    assert.equal(result.findings.length, 1);
    assert.deepEqual(result.findings[0].envs, ['staging', 'production']);
  });

  it('Given an error, When rendered, Then render fails naming the first problem and pointing at lint', async () => {
    await assert.rejects(
      renderProject(deps(edit('deploy/deployment.yml', 'matchLabels: {app: app}', 'matchLabels: {app: other}')), { project: 'app', env: 'staging', clusterName: 'staging' }),
      (e: unknown) => e instanceof SgnError && /deploy\/deployment\.yml:\d+: spec\.selector\.matchLabels/.test(e.message) && /sgn lint staging/.test(e.hint ?? ''),
    );
  });
});
