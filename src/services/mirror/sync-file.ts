import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import { UsageError } from '../../errors.js';
import { parsePlatform, type Platform } from '../../registry/platform.js';
import { InvalidReferenceError, isRepositoryPath, isTag, parseImageReference, type ImageReference } from '../../registry/reference.js';

/** One entry of a sync file, checked. */
export interface SyncEntry {
  /** 1-based line of the entry in the file (named in messages). */
  line: number;
  source: ImageReference;
  /** The text as written (shown in the summary). */
  sourceText: string;
  /** `repository[:tag]` in the target registry, as `image mirror --to`. */
  target?: { repository: string; tag?: string };
  platform?: Platform;
  /** Tags to copy (exact, or with `*` and `?`): the source then names a repository only. */
  tags?: string[];
}

const keys = new Set(['source', 'target', 'platforms', 'tags']);

/** `*` and `?` as in a shell glob, anchored; everything else literal. */
export function tagPattern(glob: string): RegExp {
  return new RegExp('^' + glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
}

export function isTagPattern(text: string): boolean {
  return /[*?]/.test(text);
}

/**
 * Parses a sync file (YAML): `images:`, a list of `{ source, target?, platforms?, tags? }`.
 * Every mistake is a UsageError that names the file and the line, before anything is copied.
 */
export function parseSyncFile(text: string, file: string): SyncEntry[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true });
  const lineOf = (node: Node | null | undefined, fallback = 1) => (node?.range ? counter.linePos(node.range[0]).line : fallback);
  const fail = (line: number, message: string, hint = 'See "sgn image sync --help" for the file format.'): never => {
    throw new UsageError(`${file}:${line}: ${message}`, hint);
  };
  if (doc.errors.length) {
    const e = doc.errors[0];
    fail(e.linePos?.[0]?.line ?? 1, `not valid YAML (${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}).`);
  }
  const root = doc.contents;
  if (!isMap(root)) return fail(lineOf(root as Node), 'the file must be a mapping with an "images" list.', 'Start it with "images:", then one "- source: <image>" per image.');
  for (const pair of root.items as Pair<Node, Node>[]) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key !== 'images') fail(lineOf(pair.key), `unknown key "${key}" (the file holds "images" only).`);
  }
  const images = root.get('images', true) as Node | undefined;
  if (!isSeq(images)) return fail(lineOf(images ?? root), '"images" must be a list of entries ("- source: <image>").');
  const entries: SyncEntry[] = [];
  for (const item of images.items as Node[]) {
    const line = lineOf(item);
    if (!isMap(item)) fail(line, 'each entry is a mapping with at least "source" (e.g. "- source: nginx:1.27").');
    const map = item as unknown as { items: Pair<Node, Node>[]; get(k: string, keep: true): Node | undefined };
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!keys.has(key)) fail(lineOf(pair.key, line), `unknown key "${key}" (an entry takes source, target, platforms, tags).`);
    }
    const scalar = (k: string): { text: string; line: number } | undefined => {
      const node = map.get(k, true);
      if (node === undefined) return undefined;
      if (!isScalar(node) || node.value === null || typeof node.value === 'object') fail(lineOf(node, line), `"${k}" must be a single value.`);
      return { text: String((node as { value: unknown }).value).trim(), line: lineOf(node, line) };
    };
    const list = (k: string): { text: string; line: number }[] | undefined => {
      const node = map.get(k, true);
      if (node === undefined) return undefined;
      const nodes = isSeq(node) ? (node.items as Node[]) : [node];
      return nodes.map((n) => {
        if (!isScalar(n) || n.value === null || typeof n.value === 'object') fail(lineOf(n, line), `"${k}" must be a list of values.`);
        return { text: String((n as { value: unknown }).value).trim(), line: lineOf(n, line) };
      });
    };
    const src = scalar('source');
    if (!src || !src.text) return fail(line, 'the entry has no "source".', 'Example: - source: nginx:1.27');
    let source: ImageReference;
    try {
      source = parseImageReference(src.text);
    } catch (e) {
      return fail(src.line, e instanceof InvalidReferenceError || e instanceof UsageError ? e.message : `"${src.text}" is not an image reference.`);
    }
    const entry: SyncEntry = { line, source, sourceText: src.text };
    const tgt = scalar('target');
    if (tgt) {
      const m = /^([^:@]+)(?::([^:@]+))?$/.exec(tgt.text);
      if (!m || !isRepositoryPath(m[1]) || (m[2] !== undefined && !isTag(m[2]))) fail(tgt.line, `"target" takes repository[:tag] in the target registry, not "${tgt.text}".`, 'Example: target: tools/tool:v2 (no registry host: the target is always your ECR).');
      entry.target = { repository: m![1], ...(m![2] ? { tag: m![2] } : {}) };
    }
    const platforms = list('platforms');
    if (platforms) {
      if (platforms.length !== 1) fail(platforms[1]?.line ?? line, '"platforms" takes one platform (or leave it out for all of them).', 'sgn copies an image whole, or one platform of it: a subset would need a new index with another digest.');
      const p = parsePlatform(platforms[0].text);
      if (!p) fail(platforms[0].line, `"${platforms[0].text}" is not a platform (os/arch[/variant]).`, 'Examples: linux/amd64, linux/arm64, linux/arm/v7.');
      entry.platform = p!;
    }
    const tags = list('tags');
    if (tags) {
      if (!tags.length) fail(line, '"tags" is empty.');
      if (/[:@]/.test(src.text.split('/').pop() ?? '')) fail(src.line, `with "tags", "source" names a repository only, not "${src.text}".`, 'Example: source: bitnami/redis, then tags: ["7.2", "7.4.*"].');
      for (const t of tags) {
        if (!isTag(t.text.replace(/[*?]/g, 'x'))) fail(t.line, `"${t.text}" is not a tag or a tag pattern (letters, digits, "._-", and * or ?).`);
      }
      if (entry.target?.tag) fail(tgt!.line, 'with "tags", "target" names a repository only: each tag keeps its name.');
      entry.tags = tags.map((t) => t.text);
    }
    entries.push(entry);
  }
  if (!entries.length) fail(lineOf(images), '"images" is empty: nothing to sync.');
  return entries;
}
