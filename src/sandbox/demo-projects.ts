import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The sources of the sandbox's demo projects: each one's deployspec.yml and deploy/* templates,
 * as a project's repository holds them. The build artifacts in the sandbox's pipeline bucket are
 * these files with the build's commitref, so `sgn render` in a demo source folder shows what the
 * deployer emulator applies. They use what real templates use: per-cluster `templating` values,
 * includes, loops, filters, list-valued spec entries, an ingress with the deployer's three
 * placeholders, `envsecret`, crons limited by `cron_env`, and, in `billing`, a lint error
 * (`cron` without `cron_env`: the deployer silently applies no cron job).
 */

const metadata = `metadata:
  name: {{ name }}
  namespace: {{ namespace }}
  labels:
    app: {{ project }}
    env: {{ deploy_env }}
{% if team is defined %}
    team: {{ team }}
{% endif %}

`;

function deployment(name: string, opts: { port?: number; command?: string; replicas?: string } = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
{% set name = ${name} %}
{% include 'deploy/_metadata.yml' %}
spec:
  replicas: ${opts.replicas ?? '{{ replicas | default(1) }}'}
  selector:
    matchLabels:
      app: {{ name }}
  template:
    metadata:
      labels:
        app: {{ name }}
        env: {{ deploy_env }}
    spec:
      containers:
        - name: {{ name }}
          image: SGN_DEPLOY_IMAGE
${opts.command ? `          command: ${opts.command}\n` : ''}${opts.port ? `          ports:\n            - containerPort: ${opts.port}\n` : ''}          env:
            - name: LOG_LEVEL
              value: {{ log_level | default('info') | tojson }}
{% for key, value in (extra_env | default({})).items() %}
            - name: {{ key | upper }}
              value: {{ value | string | tojson }}
{% endfor %}
          resources:
            requests:
              cpu: {{ cpu | default('100m') }}
              memory: 128Mi
`;
}

function service(name: string, port: number, headless = false): string {
  return `apiVersion: v1
kind: Service
{% set name = ${name} %}
{% include 'deploy/_metadata.yml' %}
spec:
${headless ? '  clusterIP: None\n' : ''}  selector:
    app: {{ name }}
  ports:
    - name: http
      port: ${port}
      targetPort: ${port}
`;
}

function cron(name: string, schedule: string, command: string): string {
  return `apiVersion: batch/v1beta1
kind: CronJob
{% set name = ${name} %}
{% include 'deploy/_metadata.yml' %}
spec:
  schedule: "${schedule}"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: {{ name }}
              image: {{ deploy_image }}
              command: ${command}
`;
}

const demoSources: Record<string, Record<string, string>> = {
  web: {
    'deployspec.yml': `commitref: COMMITREF
namespace: web
envsecret: true
acm:
  - cluster: [staging]
    arn: arn:aws:acm:us-east-1:123456789012:certificate/0b5e-staging-web
  - cluster: production
    arn: arn:aws:acm:us-east-1:123456789012:certificate/7c1d-production-web
templating:
  staging:
    replicas: 1
    host: web.staging.example.com
    log_level: debug
    extra_env:
      feature_flags: beta,new-checkout
  production:
    replicas: 3
    host: web.example.com
    team: storefront
    cpu: 250m
spec:
  configmap: deploy/configmap.yml
  service: deploy/service.yml
  deploy:
    - deploy/deployment.yml
    - deploy/assets.yml
  ingress: deploy/ingress.yml
  pdb: deploy/pdb.yml
`,
    'deploy/_metadata.yml': metadata,
    'deploy/configmap.yml': `apiVersion: v1
kind: ConfigMap
{% set name = project ~ '-settings' %}
{% include 'deploy/_metadata.yml' %}
data:
  PUBLIC_URL: https://{{ host }}
  CLUSTER: {{ cluster_name }}
  IMAGE_TAG: {{ docker_tag | tojson }}
`,
    'deploy/service.yml': service('project', 8080),
    'deploy/deployment.yml': deployment('project', { port: 8080 }),
    'deploy/assets.yml': deployment("project ~ '-assets'", { command: '["serve-assets", "--port", "8081"]', port: 8081, replicas: '1' }),
    'deploy/ingress.yml': `apiVersion: networking.k8s.io/v1
kind: Ingress
{% set name = project %}
{% include 'deploy/_metadata.yml' %}
  annotations:
    alb.ingress.kubernetes.io/certificate-arn: SGN_DEPLOY_ACM
    alb.ingress.kubernetes.io/tags: env=SGN_DEPLOY_ENV,cluster=SGN_CLUSTER_NAME
spec:
  ingressClassName: alb
  rules:
    - host: {{ host }}
      http:
        paths:
{# the assets path first: the ALB matches in order #}
{% for path, backend in [['/assets', project ~ '-assets'], ['/', project]] %}
          - path: {{ path }}
            pathType: Prefix
            backend:
              service:
                name: {{ backend }}
                port:
                  number: {{ 8081 if loop.first else 8080 }}
{% endfor %}
`,
    'deploy/pdb.yml': `apiVersion: policy/v1beta1
kind: PodDisruptionBudget
{% set name = project %}
{% include 'deploy/_metadata.yml' %}
spec:
  minAvailable: {{ 2 if deploy_env == 'production' else 0 }}
  selector:
    matchLabels:
      app: {{ project }}
`,
  },
  worker: {
    'deployspec.yml': `commitref: COMMITREF
namespace: worker
envsecret: true
templating:
  staging:
    replicas: 1
    queues: [emails]
  production:
    replicas: 4
    queues: [emails, invoices, webhooks]
spec:
  deploy: deploy/deployment.yml
  cron:
    - deploy/cron-cleanup.yml
    - deploy/cron-report.yml
  cron_env:
    - production
`,
    'deploy/_metadata.yml': metadata,
    'deploy/deployment.yml': deployment('project', { command: `["worker", "--queues", {{ queues | join(',') | tojson }}]` }),
    'deploy/cron-cleanup.yml': cron("project ~ '-cleanup'", '17 3 * * *', '["worker", "cleanup", "--older-than", "30d"]'),
    'deploy/cron-report.yml': cron("project ~ '-report'", '0 7 * * 1', '["worker", "weekly-report"]'),
  },
  api: {
    'deployspec.yml': `commitref: COMMITREF
namespace: api
templating:
  staging:
    replicas: 1
  production:
    replicas: 2
    log_level: warning
spec:
  service: deploy/service.yml
  deploy: deploy/deployment.yml
`,
    'deploy/_metadata.yml': metadata,
    'deploy/service.yml': service('project', 3000),
    'deploy/deployment.yml': deployment('project', { port: 3000 }),
  },
  search: {
    'deployspec.yml': `commitref: COMMITREF
namespace: search
templating:
  production:
    replicas: 3
spec:
  stateful_service: deploy/service.yml
  stateful: deploy/statefulset.yml
  servicemonitor: deploy/servicemonitor.yml
`,
    'deploy/_metadata.yml': metadata,
    'deploy/service.yml': service('project', 9200, true),
    'deploy/statefulset.yml': `apiVersion: apps/v1
kind: StatefulSet
{% set name = project %}
{% include 'deploy/_metadata.yml' %}
spec:
  serviceName: {{ project }}
  replicas: {{ replicas | default(1) }}
  selector:
    matchLabels:
      app: {{ project }}
  template:
    metadata:
      labels:
        app: {{ project }}
        env: {{ deploy_env }}
    spec:
      containers:
        - name: {{ project }}
          image: SGN_DEPLOY_IMAGE
          ports:
            - containerPort: 9200
`,
    'deploy/servicemonitor.yml': `apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
{% set name = project %}
{% include 'deploy/_metadata.yml' %}
spec:
  selector:
    matchLabels:
      app: {{ project }}
  endpoints:
    - port: http
      interval: 30s
`,
  },
  billing: {
    // The lint error of the demo: cron without cron_env. The deployer applies the Deployment and
    // no cron job, in every env, and only says so in Slack.
    'deployspec.yml': `commitref: COMMITREF
namespace: billing
envsecret: true
spec:
  deploy: deploy/deployment.yml
  cron: deploy/cron-invoices.yml
`,
    'deploy/_metadata.yml': metadata,
    'deploy/deployment.yml': deployment('project', { port: 8000 }),
    'deploy/cron-invoices.yml': cron("project ~ '-invoices'", '0 2 * * *', '["billing", "send-invoices"]'),
  },
};

/** Where `sgn sandbox start` writes the demo projects' sources: `<sandbox dir>/projects`. */
export function demoSourcesDir(sandboxDir: string): string {
  return join(sandboxDir, 'projects');
}

/** Names of the projects that have demo sources. */
export const demoSourceProjects = Object.keys(demoSources);

/**
 * A demo project's files with `commitref` set (what a build's artifact holds), or its source
 * files as in the repository (commitref COMMITREF, which the build replaces) without one.
 * Projects without a source of their own get the `api` one, named after them.
 */
export function demoProjectFiles(project: string, commitref?: string): Record<string, string> {
  const files = demoSources[project] ?? demoSources.api;
  const out: Record<string, string> = {};
  for (const [path, text] of Object.entries(files)) out[path] = path === 'deployspec.yml' && commitref ? text.replace('commitref: COMMITREF', `commitref: ${commitref}`) : text;
  return out;
}

/** Writes the demo projects' sources under `dir/<project>/`; returns the folders. */
export function writeDemoSources(dir: string, commitrefs: Record<string, string> = {}): Record<string, string> {
  const folders: Record<string, string> = {};
  for (const project of demoSourceProjects) {
    const folder = join(dir, project);
    for (const [path, text] of Object.entries(demoProjectFiles(project, commitrefs[project]))) {
      mkdirSync(dirname(join(folder, path)), { recursive: true });
      writeFileSync(join(folder, path), text);
    }
    folders[project] = folder;
  }
  return folders;
}
