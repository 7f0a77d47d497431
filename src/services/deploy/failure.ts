/**
 * Where in its run the deployer failed, from its error (type, message, and the traceback the
 * Python runtime returns as `stackTrace`), so that sgn can say what a failure left behind
 * (roffe/k8s-deployer `handler.py`: kube config and artifact are fetched and the deployspec is
 * checked and rendered before anything is applied; rolloutStatus waits on each Deployment after
 * it was replaced; the record is written and the image tagged last).
 */
export type FailurePhase = 'before-cluster' | 'rollout' | 'after-record' | 'unknown';

export interface DeployerError {
  errorMessage?: string;
  errorType?: string;
  stackTrace?: unknown;
}

const beforeTypes = new Set(['KeyError', 'ScannerError', 'ParserError', 'ComposerError', 'ConstructorError', 'TemplateNotFound', 'TemplateSyntaxError', 'UndefinedError', 'ConfigException', 'BadZipFile', 'NoSuchKey']);
const beforeMessages = /Error getting (kubectl config|deploy artifact)|Error extracting zip|Missing deployspec|Missing commitref|Invalid kube-config|kube-?config/i;
const beforeFrames = /\b(getKubeConfigFromS3|getDeployZipFromS3|checkDeployspec|renderTemplates?|load_kube_config)\b/;
const rolloutFrames = /\b(rolloutStatus|runDeploySpec|apply\w*|create\w*|replace\w*|patch\w*)\b/;
const afterFrames = /\btagImage\b/;

/** The phase of a deployer failure (see FailurePhase); 'unknown' when nothing says. */
export function failurePhase(error: DeployerError): FailurePhase {
  const stack = Array.isArray(error.stackTrace) ? error.stackTrace.map(String).join('\n') : typeof error.stackTrace === 'string' ? error.stackTrace : '';
  const message = error.errorMessage ?? '';
  if (afterFrames.test(stack)) return 'after-record';
  if (beforeMessages.test(message) || beforeFrames.test(stack) || beforeTypes.has(error.errorType ?? '')) return 'before-cluster';
  if (/rolling out|rollout|Manually rollback/i.test(message) || rolloutFrames.test(stack)) return 'rollout';
  return 'unknown';
}
