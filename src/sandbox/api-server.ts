/**
 * The few checks of a Kubernetes API server that a hand-written template most often fails, for
 * the deployer emulator and for testing the sandbox's own artifacts: a name, a Service's ports,
 * a Deployment's or StatefulSet's selector matching its template's labels, every container's
 * name and image. A failure is the 422 the deployer's client raises as ApiException (status,
 * reason, and the Status body's message as the API server words it). Not a full validation: an
 * object that passes here may still be refused by a real cluster for other reasons.
 */
import { isDict, PyError } from './py-error.js';

interface Cause {
  reason: 'FieldValueRequired' | 'FieldValueInvalid';
  field: string;
  message: string;
}

const get = (obj: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (isDict(o) ? o[k] : undefined), obj);
const goMap = (labels: Record<string, unknown>) => `map[string]string{${Object.entries(labels).map(([k, v]) => `"${k}":"${String(v)}"`).join(', ')}}`;

/** The causes a real API server would give for refusing the object (none: it passes these checks). */
export function apiServerCauses(kind: string, obj: unknown): Cause[] {
  const causes: Cause[] = [];
  const required = (field: string) => causes.push({ reason: 'FieldValueRequired', field, message: 'Required value' });
  if (!get(obj, 'metadata', 'name')) required('metadata.name');
  if (kind === 'Service') {
    const ports = get(obj, 'spec', 'ports');
    const headless = get(obj, 'spec', 'clusterIP') === 'None';
    const external = get(obj, 'spec', 'type') === 'ExternalName';
    if (!headless && !external && (!Array.isArray(ports) || ports.length === 0)) required('spec.ports');
    if (Array.isArray(ports)) ports.forEach((p, i) => (typeof get(p, 'port') === 'number' ? undefined : required(`spec.ports[${i}].port`)));
  }
  if (kind === 'Deployment' || kind === 'StatefulSet') {
    const matchLabels = get(obj, 'spec', 'selector', 'matchLabels');
    const labels = get(obj, 'spec', 'template', 'metadata', 'labels');
    if (!isDict(get(obj, 'spec', 'selector'))) required('spec.selector');
    else if (!isDict(matchLabels) || Object.keys(matchLabels).length === 0) causes.push({ reason: 'FieldValueInvalid', field: 'spec.selector', message: 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment' });
    else if (!isDict(labels) || Object.entries(matchLabels).some(([k, v]) => labels[k] !== v)) {
      causes.push({ reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: `Invalid value: ${goMap(isDict(labels) ? labels : {})}: \`selector\` does not match template \`labels\`` });
    }
    const containers = get(obj, 'spec', 'template', 'spec', 'containers');
    if (!Array.isArray(containers) || containers.length === 0) required('spec.template.spec.containers');
    else {
      containers.forEach((c, i) => {
        if (!get(c, 'name')) required(`spec.template.spec.containers[${i}].name`);
        if (!get(c, 'image')) required(`spec.template.spec.containers[${i}].image`);
      });
    }
  }
  return causes;
}

/** The ApiException the deployer's client raises for a 422 with these causes. */
export function unprocessable(kind: string, obj: unknown, causes: Cause[], now: Date): PyError {
  const name = String(get(obj, 'metadata', 'name') ?? '');
  const status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `${kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
    reason: 'Invalid',
    details: { name, group: kind === 'Service' ? undefined : 'apps', kind, causes },
    code: 422,
  };
  const body = JSON.stringify(status);
  const headers = `HTTPHeaderDict({'Content-Type': 'application/json', 'Date': '${now.toUTCString()}', 'Content-Length': '${Buffer.byteLength(body)}'})`;
  return new PyError('ApiException', `(422)\nReason: Unprocessable Entity\nHTTP response headers: ${headers}\nHTTP response body: ${body}\n`);
}
