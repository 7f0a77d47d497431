/**
 * The deployer emulator's rendering step, kept apart so that a Jinja2-compatible renderer can
 * replace `renderTemplate` without touching the rest: handler.py's renderTemplates renders every
 * `spec` entry but `cron_env` (a path, or a list of them) from the unzipped artifact with
 * Jinja2's FileSystemLoader, and overwrites the file with the result.
 *
 * What is exact here: which files are rendered, in which order, that a listed file missing from
 * the zip (or a path with `..`) raises TemplateNotFound with the name as written, that a file
 * listed twice is rendered twice, the values (templating[cluster] overridden by the built-ins).
 * The emulator renders with sgn's Jinja2 engine (jinja-render.ts); `renderTemplate` below is the
 * older stand-in (`{{ name }}` and `{{ name.attr }}` only), kept for callers that pass it.
 */
import { isDict, PyError, pyStr } from './py-error.js';

/** Renders one template's source with the given values; `read` gives the artifact's files as they are now (for includes). */
export type TemplateRenderer = (source: string, values: Record<string, unknown>, name: string, read: (path: string) => string | undefined) => string | Promise<string>;

/** The stand-in renderer: `{{ name }}` and `{{ a.b }}` only. */
export function renderTemplate(source: string, values: Record<string, unknown>, _name?: string): string {
  // Jinja2 drops one final newline (keep_trailing_newline is off).
  return source.replace(/\n$/, '').replace(/\{\{-?\s*([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)\s*-?\}\}/g, (_, expr: string) => {
    let v: unknown = values;
    for (const part of expr.split('.')) v = isDict(v) ? v[part] : undefined;
    return v === undefined ? '' : pyStr(v);
  });
}

/**
 * Jinja2's FileSystemLoader lookup of `name` in the unzipped folder: its path inside the folder,
 * or TemplateNotFound(name) as Jinja2 2.10 raises it.
 */
export function templatePath(name: unknown, files: ReadonlyMap<string, Buffer>): string {
  if (typeof name !== 'string') throw new PyError('AttributeError', `'${name === null ? 'NoneType' : typeof name === 'number' ? 'int' : Array.isArray(name) ? 'list' : typeof name}' object has no attribute 'split'`);
  const pieces: string[] = [];
  for (const piece of name.split('/')) {
    if (piece.includes('\\') || piece === '..') throw new PyError('TemplateNotFound', name);
    if (piece && piece !== '.') pieces.push(piece);
  }
  const path = pieces.join('/');
  if (!files.has(path)) throw new PyError('TemplateNotFound', name);
  return path;
}

export interface RenderInput {
  /** deployspec['spec'] (already known to be a dict). */
  spec: Record<string, unknown>;
  /** The unzipped artifact: path -> bytes. Rendered files are replaced in place. */
  files: Map<string, Buffer>;
  /** templating[cluster_name] when present, else {}. */
  values: Record<string, unknown>;
  builtins: { cluster_name: string; deploy_env: string; namespace: unknown; deploy_image: string; docker_tag: unknown; project: string };
  log: (message: string) => void;
  render?: TemplateRenderer;
}

/** handler.py's renderTemplates over the unzipped files. */
export async function renderTemplates(input: RenderInput): Promise<void> {
  const render = input.render ?? renderTemplate;
  const read = (path: string) => {
    const bytes = input.files.get(path);
    return bytes === undefined ? undefined : new TextDecoder('utf-8').decode(bytes);
  };
  const values = { ...input.values, ...input.builtins };
  for (const [kind, entry] of Object.entries(input.spec)) {
    if (kind === 'cron_env') continue;
    input.log(`Rendering ${kind}`);
    for (const name of Array.isArray(entry) ? entry : [entry]) {
      const path = templatePath(name, input.files);
      let source: string;
      try {
        source = new TextDecoder('utf-8', { fatal: true }).decode(input.files.get(path));
      } catch {
        throw new PyError('UnicodeDecodeError', `'utf-8' codec can't decode the template ${String(name)}: invalid start byte`);
      }
      const out = await render(source, values, String(name), read);
      input.log(out);
      input.files.set(path, Buffer.from(out, 'utf8'));
    }
  }
}
