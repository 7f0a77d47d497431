/**
 * Everything that decides whether a config file may be uploaded, and says truthfully why not:
 * the bytes (UTF-8, as the deployer's Python reads them), the deployer's configparser rules, the
 * Kubernetes Secret the deployer builds from it (key rules, 1 MiB of values), and what both
 * accept but lose or break (keys that upper-case alike, NUL bytes in values). Problems name the
 * user's line and never quote values (they are secrets).
 */
import { configItems, configSection, defaultSection, deployerKey, deployerValue, parseConfig, secretEntries, type ParsedConfig, type ParsedOption, type ParseError, type SecretEntry } from './parser.js';
import { exactBytes } from '../../bytes.js';

/**
 * Kubernetes' MaxSecretSize: the values of a Secret's data (decoded bytes) may add up to at most
 * 1 MiB; keys, comments and the rest of the file do not count. The deployer itself has no limit.
 */
export const maxSecretDataBytes = 1024 * 1024;

/**
 * sgn's own limit for reading a config file (the deployer has none). Far above any file whose
 * Secret fits in Kubernetes: only comments or ignored sections could make a file this big.
 */
export const maxConfigFileBytes = 16 * 1024 * 1024;

export type Decoded = { ok: true; text: string } | { ok: false; reason: string };

/**
 * Decodes a config file's bytes as the deployer's Python opens it (UTF-8 text). A NUL byte is
 * text to Python, so it is decoded here too; whether it matters is the validation's business.
 */
export function decodeConfig(bytes: Uint8Array): Decoded {
  try {
    // ignoreBOM keeps a byte-order mark in the text: the deployer's Python keeps it too.
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    return { ok: false, reason: `it is not valid UTF-8 (first bad byte on line ${lineOfOffset(bytes, firstInvalidUtf8(bytes))}), which the deployer's Python cannot read` };
  }
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

/**
 * Who stops the file, which decides what happens to it in a deploy:
 * - deployer: its configparser raises, so it builds no Secret;
 * - kubernetes: the deployer builds the Secret, the API server refuses it;
 * - sgn: both accept it, but the Secret loses or breaks what the file says.
 * In the first two cases the deployer posts a Slack warning and deploys anyway, with the
 * Secret the environment already has (or none). sgn uploads none of the three.
 */
export type RefusedBy = 'deployer' | 'kubernetes' | 'sgn';

export interface Problem {
  line?: number;
  message: string;
  /** Set on errors: who stops the file (see RefusedBy). */
  by?: RefusedBy;
}

export interface Validation {
  parsed: ParsedConfig;
  /** The Secret's data as the deployer builds it. */
  entries: SecretEntry[];
  /** What the deployer or Kubernetes refuse, or what would silently lose data: never uploaded. */
  errors: Problem[];
  /** Legal, but probably not what was meant. */
  warnings: Problem[];
  /** The bytes of the Secret's values, as Kubernetes counts them against its 1 MiB. */
  secretDataBytes: number;
}

/** Errors after which the deployer builds no Secret data at all (configparser raised). */
export function deployerRefuses(v: Pick<Validation, 'errors'>): Problem[] {
  return v.errors.filter((p) => p.by === 'deployer');
}

/** What happens in a deploy to a file with these errors, in one sentence (none: undefined). */
export function consequence(v: Pick<Validation, 'errors'>): string | undefined {
  if (v.errors.some((p) => p.by === 'deployer' || p.by === 'kubernetes')) {
    return 'A deploy with this file leaves the Secret as it was (or without one): the deployer only posts a Slack warning and deploys anyway.';
  }
  return undefined;
}

/** Kubernetes' rule for Secret data keys (IsConfigMapKey). */
const secretKeyPattern = /^[-._a-zA-Z0-9]+$/;
const envVarPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A key as written, quoted, with control characters made visible (a NUL must not reach a terminal). */
function showKey(raw: string): string {
  let out = '';
  for (const c of raw) {
    const code = c.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }
  return `"${out}"`;
}

function parseErrorMessage(e: ParseError): string {
  switch (e.type) {
    case 'DuplicateOptionError':
      return `key ${showKey(e.rawKey)} is already set on line ${e.firstLine}${e.section === configSection ? '' : ` in [${e.section}]`} (keys ignore case); the deployer refuses duplicate keys (configparser's DuplicateOptionError)`;
    case 'DuplicateSectionError':
      return e.section === configSection
        ? 'a "[config]" header: the deployer puts one in front of the file itself, so this one is a duplicate section it refuses (configparser\'s DuplicateSectionError)'
        : `section [${e.section}] again (first on line ${e.firstLine}); the deployer refuses duplicate sections (configparser's DuplicateSectionError)`;
    case 'ParsingError':
      return e.reason === 'empty-key'
        ? 'there is no key before the "=" or ":"; the deployer refuses it (configparser\'s ParsingError)'
        : 'not KEY=VALUE (no "=" or ":"), not a # comment, and not an indented continuation of the value above; the deployer refuses it (configparser\'s ParsingError)';
  }
}

/** Validates config text by the deployer's rules (configparser, then the Secret it builds). */
export function validateConfig(text: string): Validation {
  const parsed = parseConfig(text);
  const entries = secretEntries(parsed);
  const errors: Problem[] = parsed.errors.map((e) => ({ line: e.line, message: parseErrorMessage(e), by: 'deployer' }));
  const warnings: Problem[] = [];

  if (text.startsWith('\ufeff')) {
    const lineOneFails = parsed.errors.some((e) => e.line === 1);
    errors.push({
      line: 1,
      message: `the file starts with a byte-order mark (U+FEFF), which the deployer reads as part of the first line${lineOneFails ? '' : ', so Kubernetes would refuse that key'}; save it as UTF-8 without BOM`,
      by: lineOneFails ? 'deployer' : 'kubernetes',
    });
  }

  // Keys that differ for configparser but upper-case alike (straße and STRASSE): the deployer's
  // dict keeps the first one's place and the last one's value, and says nothing.
  const byKey = new Map<string, ParsedOption[]>();
  for (const option of configItems(parsed)) {
    const key = deployerKey(option.key);
    byKey.set(key, [...(byKey.get(key) ?? []), option]);
  }
  for (const [key, options] of byKey) {
    if (options.length < 2 || !key) continue;
    const kept = options[options.length - 1];
    for (const lost of options.slice(0, -1)) {
      errors.push({
        line: lost.line,
        message: `key ${showKey(lost.rawKey)} becomes ${key}, and so does key ${showKey(kept.rawKey)} on line ${kept.line}: the deployer accepts this, but its Secret keeps only line ${kept.line}'s value and silently drops this one`,
        by: 'sgn',
      });
    }
  }

  let secretDataBytes = 0;
  for (const { key, value, option } of entries) {
    secretDataBytes += Buffer.byteLength(value, 'utf8');
    if (!key) continue; // reported as a parsing error already
    if (!secretKeyPattern.test(key) || key === '.' || key === '..' || key.startsWith('..') || key.length > 253) {
      if (!(option.line === 1 && key.startsWith('\ufeff'))) {
        errors.push({
          line: option.line,
          message: `key ${showKey(option.rawKey)} cannot be a Kubernetes Secret key (${key.length > 253 ? 'longer than 253 characters' : 'only letters, digits, "-", "_" and "." are allowed'}), so Kubernetes would refuse the deployer's Secret`,
          by: 'kubernetes',
        });
      }
    } else if (!envVarPattern.test(key)) {
      warnings.push({ line: option.line, message: `${key} is not a usual environment variable name; containers that load the Secret with envFrom may skip it` });
    }
    if (value.includes('\u0000')) {
      errors.push({
        line: option.line,
        message: `${key}'s value holds a NUL byte: the deployer puts it into the Secret as is, but an environment variable cannot hold one, so containers that load the Secret with envFrom would not start`,
        by: 'sgn',
      });
    }
    const v = option.value;
    const onePair = v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0] ? v.slice(1, -1) : v;
    if (deployerValue(v) !== onePair) {
      warnings.push({ line: option.line, message: `the deployer strips every quote at both ends of ${key}'s value (double quotes, then single quotes), not just one matching pair` });
    }
  }
  if (secretDataBytes > maxSecretDataBytes && !parsed.pythonError) {
    errors.push({
      message: `the Secret's values add up to ${exactBytes(secretDataBytes)}, more than the ${exactBytes(maxSecretDataBytes)} (1 MiB) a Kubernetes Secret can hold, so Kubernetes would refuse the deployer's Secret`,
      by: 'kubernetes',
    });
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
  return { parsed, entries, errors: errors.sort(byLine), warnings: warnings.sort(byLine), secretDataBytes };
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

/** "DB_HOST changed, NEW_KEY added, OLD removed" (key names only, never values). */
export function describeKeyChanges(changes: { added: string[]; removed: string[]; changed: string[] }): string {
  const parts = [
    ...changes.changed.map((k) => `${k} changed`),
    ...changes.added.map((k) => `${k} added`),
    ...changes.removed.map((k) => `${k} removed`),
  ];
  return parts.length ? parts.join(', ') : 'no key or value changes (comments or layout only)';
}
