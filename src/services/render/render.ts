/**
 * `sgn render` and `sgn lint`: the deployer's rendering of a checkout (deployspec.yml and its
 * templates) for one or more environments, as manifests or as findings.
 */
import { SgnError } from '../../errors.js';
import { checkManifest } from '../../rendering/checks.js';
import { planDeploy, type ArtifactFolder, type Finding, type Severity } from '../../rendering/deployer.js';

export interface RenderDeps {
  /** The project's checkout: the folder holding deployspec.yml. */
  folder: ArtifactFolder;
  now: () => Date;
  /** The deployer's DOCKER_REGISTRY (`<account>.dkr.ecr.<region>.amazonaws.com`). */
  registry: () => Promise<string>;
}

export interface EnvTarget {
  env: string;
  /** The kubeconfig context name the deployer sees for the env (setting `clusters`). */
  clusterName: string;
}

export interface RenderOptions extends EnvTarget {
  project: string;
  /** Replaces the deployspec's commitref. */
  tag?: string;
}

export interface RenderedObject {
  spec: string;
  file: string;
  manifest: Record<string, unknown>;
}

export interface RenderResult {
  project: string;
  env: string;
  cluster: string;
  commitref: string;
  namespace: string;
  /** The Secret the deployer also creates from the env's config file (envsecret: true). */
  secret: string | null;
  manifests: RenderedObject[];
  warnings: Finding[];
}

/** Where a finding is: `deploy/app.yml:12`. */
export function findingPlace(f: Finding): string {
  return f.line ? `${f.file}:${f.line}` : f.file;
}

/**
 * `sgn render [env]`: the objects the deployer would apply, in its order. Fails on the first
 * problem that fails the deploy; what the deployer only warns about stays a warning.
 */
export async function renderProject(deps: RenderDeps, opts: RenderOptions): Promise<RenderResult> {
  const plan = planDeploy(deps.folder, { project: opts.project, env: opts.env, clusterName: opts.clusterName, registry: await deps.registry(), commitref: opts.tag, now: deps.now() });
  const findings = [...plan.findings, ...plan.manifests.flatMap((m) => checkManifest(m, plan.namespace))].map((f) =>
    // The deployer applies everything else and only posts a Slack warning: render shows that.
    f.rule === 'cron.no-cron-env' ? { ...f, severity: 'warning' as const } : f,
  );
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length) {
    const first = errors[0];
    throw new SgnError(`${findingPlace(first)}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : ''}`, {
      hint: `See every problem: sgn lint ${opts.env}`,
    });
  }
  return {
    project: opts.project,
    env: opts.env,
    cluster: opts.clusterName,
    commitref: plan.commitref ?? '',
    namespace: plan.namespace ?? '',
    secret: plan.secretName ?? null,
    manifests: plan.manifests.map((m) => ({ spec: m.specKey, file: m.file, manifest: m.manifest })),
    warnings: findings.filter((f) => f.severity === 'warning'),
  };
}

export interface LintDeps extends RenderDeps {
  /** Whether the env's config file exists in the config bucket (what envsecret: true turns into a Secret). */
  configExists: (project: string, env: string) => Promise<boolean>;
}

export interface LintOptions {
  project: string;
  envs: EnvTarget[];
  /** Undefined values printed by templates are errors, not warnings. */
  strict: boolean;
}

export interface LintFinding extends Finding {
  /** The environments it was found in (a template error usually shows in all). */
  envs: string[];
}

export interface LintResult {
  project: string;
  envs: string[];
  findings: LintFinding[];
  errors: number;
  warnings: number;
}

/** `sgn lint [env...]`: every problem the deployer would meet, for each env. */
export async function lintProject(deps: LintDeps, opts: LintOptions): Promise<LintResult> {
  const registry = await deps.registry();
  const merged = new Map<string, LintFinding>();
  const severity: Severity = opts.strict ? 'error' : 'warning';
  for (const target of opts.envs) {
    const plan = planDeploy(deps.folder, { project: opts.project, env: target.env, clusterName: target.clusterName, registry, now: deps.now() }, { undefinedSeverity: severity });
    const findings = [...plan.findings, ...plan.manifests.flatMap((m) => checkManifest(m, plan.namespace))];
    let exists = true;
    if (plan.envsecret) {
      try {
        exists = await deps.configExists(opts.project, target.env);
      } catch (e) {
        findings.push({ severity: 'warning', rule: 'envsecret.unchecked', file: 'deployspec.yml', message: `envsecret is true, and whether ${opts.project} has a config file in ${target.env} could not be checked: ${(e as Error).message}` });
      }
    }
    if (!exists) {
      findings.push({
        severity: 'error',
        rule: 'envsecret.no-config',
        file: 'deployspec.yml',
        message: `envsecret is true but ${opts.project} has no config file in ${target.env}: the deployer creates no Secret, and pods referencing ${plan.secretName} do not start. Create it: sgn cfg edit ${opts.project} ${target.env}`,
      });
    }
    for (const f of findings) {
      const key = `${f.severity}|${f.rule}|${f.file}|${f.line ?? ''}|${f.message}`;
      const seen = merged.get(key);
      if (seen) seen.envs.push(target.env);
      else merged.set(key, { ...f, envs: [target.env] });
    }
  }
  const findings = [...merged.values()].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return {
    project: opts.project,
    envs: opts.envs.map((e) => e.env),
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
  };
}
