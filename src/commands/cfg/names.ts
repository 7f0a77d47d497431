import { UsageError } from '../../errors.js';
import { validateName } from '../../names.js';

/** The deployer's kube configs live under this "project" folder; cfg never touches it. */
const deployerProject = 'k8s_deployer';

/** A project name for cfg: a valid name, and never the deployer's kube-config folder. */
export function validateCfgProject(project: string): string {
  validateName(project, 'project');
  if (project === deployerProject) {
    throw new UsageError(`sgn cfg never touches ${deployerProject}/ (the deployer's cluster credentials live there).`, 'Name an application project; the deployer\'s kube configs are managed outside sgn.');
  }
  return project;
}

/** An environment name for cfg. */
export function validateCfgEnv(env: string): string {
  return validateName(env, 'environment');
}

/** A key for set/unset: a Kubernetes Secret key that configparser reads back as the same key. */
export function checkKey(key: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(key) || key === '.' || key === '..' || key.startsWith('..') || key.length > 253) {
    throw new UsageError(`"${key.length > 40 ? key.slice(0, 40) + '...' : key}" is not a key the deployer can turn into a Secret key.`, 'Keys have letters, digits, "_", "-" and "." only, e.g. DATABASE_URL.');
  }
  return key;
}
