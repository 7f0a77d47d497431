/**
 * Everything that decides whether a config file may be uploaded: the bytes (size, UTF-8, no
 * binary), the deployer's configparser rules, and the Kubernetes Secret the deployer builds from
 * it. Problems name the user's line and never quote values (they are secrets).
 */
import { configSection, defaultSection, deployerValue, parseConfig, secretEntries, type ParsedConfig, type ParseError, type SecretEntry } from './parser.js';

/** A Kubernetes Secret holds at most 1 MiB, so a bigger file can never deploy. */
export const maxConfigBytes = 1024 * 1024;

export type Decoded = { ok: true; text: string } | { ok: false; reason: string };

/** Decodes a config file's bytes, refusing what the deployer could not read as text. */
export function decodeConfig(bytes: Uint8Array): Decoded {
  if (bytes.length > maxConfigBytes) {
    return { ok: false, reason: `it is ${formatBytes(bytes.length)}, and a Kubernetes Secret holds at most ${formatBytes(maxConfigBytes)}` };
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) return { ok: false, reason: `it holds binary data (a NUL byte on line ${lineOfOffset(bytes, nul)})` };
  try {
    // ignoreBOM keeps a byte-order mark in the text: the deployer's Python keeps it too.
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    return { ok: false, reason: `it is not valid UTF-8 (first bad byte on line ${lineOfOffset(bytes, firstInvalidUtf8(bytes))})` };
  }
}

/** "812 B", "4.2 KiB", "1.3 MiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${(n / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MiB`;
}

function lineOfOffset(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a || (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a)) line++;
  return line;
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = bytes.length;
  // The longest valid prefix, by bisection (a prefix may also end inside a valid sequence).
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    try {
      decoder.decode(bytes.subarray(0, mid), { stream: true });
      decoder.decode();
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}

export interface Problem {
  line?: number;
  message: string;
}

export interface Validation {
  parsed: ParsedConfig;
  /** The Secret's data as the deployer builds it. */
  entries: SecretEntry[];
  /** What the deployer (or Kubernetes) would refuse: the file must not be uploaded. */
  errors: Problem[];
  /** Legal, but probably not what was meant. */
  warnings: Problem[];
}

/** Kubernetes' rule for Secret data keys (IsConfigMapKey). */
const secretKeyPattern = /^[-._a-zA-Z0-9]+$/;
const envVarPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseErrorMessage(e: ParseError): string {
  switch (e.type) {
    case 'DuplicateOptionError':
      return `key "${e.rawKey}" is already set on line ${e.firstLine}${e.section === configSection ? '' : ` in [${e.section}]`} (keys ignore case); the deployer refuses duplicate keys`;
    case 'DuplicateSectionError':
      return e.section === configSection
        ? 'a "[config]" header: the deployer puts one in front of the file itself, so this one is a duplicate section it refuses'
        : `section [${e.section}] again (first on line ${e.firstLine}); the deployer refuses duplicate sections`;
    case 'ParsingError':
      return e.reason === 'empty-key' ? 'there is no key before the "=" or ":"' : 'not KEY=VALUE (no "=" or ":"), not a # comment, and not an indented continuation of the value above';
  }
}

/** Validates config text by the deployer's rules (configparser, then the Secret it builds). */
export function validateConfig(text: string): Validation {
  const parsed = parseConfig(text);
  const entries = secretEntries(parsed);
  const errors: Problem[] = parsed.errors.map((e) => ({ line: e.line, message: parseErrorMessage(e) }));
  const warnings: Problem[] = [];

  if (text.startsWith('\ufeff')) {
    errors.push({ line: 1, message: 'the file starts with a byte-order mark (U+FEFF), which the deployer reads as part of the first line; save it as UTF-8 without BOM' });
  }
  const seen = new Map<string, number>();
  for (const option of [...parsed.defaults.values(), ...(parsed.sections.get(configSection)?.values() ?? [])]) {
    const key = option.key.toUpperCase();
    const first = seen.get(key);
    if (first !== undefined && parsed.defaults.get(option.key) === undefined) {
      errors.push({ line: option.line, message: `key "${option.rawKey}" becomes ${key} like the key on line ${first}; the deployer would keep only one of them` });
    }
    if (first === undefined) seen.set(key, option.line);
  }
  for (const { key, option } of entries) {
    if (!key) continue; // reported as a parsing error already
    if (!secretKeyPattern.test(key) || key === '.' || key === '..' || key.startsWith('..') || key.length > 253) {
      if (!(option.line === 1 && key.startsWith('\ufeff'))) {
        errors.push({
          line: option.line,
          message: `key "${option.rawKey}" cannot be a Kubernetes Secret key (${key.length > 253 ? 'longer than 253 characters' : 'only letters, digits, "-", "_" and "." are allowed'}), so the deployer's Secret would fail`,
        });
      }
    } else if (!envVarPattern.test(key)) {
      warnings.push({ line: option.line, message: `${key} is not a usual environment variable name; containers that load the Secret with envFrom may skip it` });
    }
    const v = option.value;
    const onePair = v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0] ? v.slice(1, -1) : v;
    if (deployerValue(v) !== onePair) {
      warnings.push({ line: option.line, message: `the deployer strips every quote at both ends of ${key}'s value (double quotes, then single quotes), not just one matching pair` });
    }
  }
  for (const h of parsed.headers) {
    if (h.name === configSection) continue; // a duplicate-section error already
    if (h.name === defaultSection) {
      warnings.push({ line: h.line, message: 'keys under [DEFAULT] still go into the Secret (configparser merges DEFAULT into the config section)' });
    } else if (!parsed.errors.some((e) => e.type === 'DuplicateSectionError' && e.line === h.line)) {
      warnings.push({ line: h.line, message: `keys under [${h.name}] are ignored by the deployer; only keys above the first section header become the Secret` });
    }
  }
  for (const section of [parsed.defaults, ...parsed.sections.values()]) {
    for (const option of section.values()) {
      for (const n of option.continuation) {
        if (/^[A-Za-z_][A-Za-z0-9_.-]*\s*[=:]/.test(parsed.lines[n - 1].text.trim())) {
          warnings.push({ line: n, message: `this line is indented, so the deployer reads it as more of ${option.key.toUpperCase()}'s value (line ${option.line}), not as a new key` });
        }
      }
    }
  }
  const byLine = (a: Problem, b: Problem) => (a.line ?? 0) - (b.line ?? 0);
  return { parsed, entries, errors: errors.sort(byLine), warnings: warnings.sort(byLine) };
}

/** Keys (as the deployer names them) added, removed and changed between two versions. */
export function keyChanges(before: readonly SecretEntry[], after: readonly SecretEntry[]): { added: string[]; removed: string[]; changed: string[] } {
  const b = new Map(before.map((e) => [e.key, e.value]));
  const a = new Map(after.map((e) => [e.key, e.value]));
  return {
    added: [...a.keys()].filter((k) => !b.has(k)),
    removed: [...b.keys()].filter((k) => !a.has(k)),
    changed: [...a.keys()].filter((k) => b.has(k) && b.get(k) !== a.get(k)),
  };
}
