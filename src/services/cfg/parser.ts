/**
 * The config file format exactly as the deployer reads it (roffe/k8s-deployer, src/handler.py,
 * create_secret): Python's `RawConfigParser()` with default options reads the file opened in text
 * mode (universal newlines) with a "[config]" line chained in front, then for every
 * `parser.items('config')` it does `value.strip('"').strip("'")` and uses `key.upper()`.
 *
 * This is a line-for-line port of CPython's `RawConfigParser._read` (unchanged from 3.6, the
 * deployer's runtime, to 3.14 for these options): delimiters "=" and ":", full-line comments "#"
 * and ";", no inline comments, strict (duplicate keys and sections are errors), empty lines kept
 * inside values, no interpolation, keys lower-cased by optionxform. Differential tests run
 * Python's own configparser against it on a table of cases and on generated files.
 *
 * Line numbers are the user's (Python's minus one, for the prepended header line).
 */
import { splitLines, type Line } from './lines.js';

/** Python's str.isspace() characters (also what `\s` matches in Python's re for str patterns). */
const pySpace = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
  0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** Python's `s.strip()`: JavaScript's trim() differs (it strips U+FEFF, keeps U+001C..U+001F, U+0085). */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && pySpace.has(s.charCodeAt(a))) a++;
  while (b > a && pySpace.has(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

/** Python's `s.rstrip()`. */
export function pyRstrip(s: string): string {
  let b = s.length;
  while (b > 0 && pySpace.has(s.charCodeAt(b - 1))) b--;
  return s.slice(0, b);
}

/** Python's `s.strip(chars)` for a single character: every copy at both ends goes. */
export function stripChar(s: string, c: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s[a] === c) a++;
  while (b > a && s[b - 1] === c) b--;
  return s.slice(a, b);
}

/** What the deployer does to every value: `value.strip('"')`, then `.strip("'")`. */
export function deployerValue(value: string): string {
  return stripChar(stripChar(value, '"'), "'");
}

/** The deployer's Secret key: optionxform's lower(), then the deployer's upper(). */
export function deployerKey(key: string): string {
  return key.toUpperCase();
}

export const configSection = 'config';
export const defaultSection = 'DEFAULT';

/** One option as parsed: where it is and what configparser holds for it. */
export interface ParsedOption {
  section: string;
  /** The key as configparser stores it (lower-cased). */
  key: string;
  /** The key as written on its line. */
  rawKey: string;
  /** 1-based line of `key=value`. */
  line: number;
  /** 1-based lines that continue the value (indented lines, and empty lines kept inside it). */
  continuation: number[];
  /** Column (UTF-16 index in the line's text) where the value starts, for in-place rewrites. */
  valueColumn: number;
  /** The value as configparser returns it (continuations joined with "\n", right-stripped). */
  value: string;
}

export type ParseError =
  | { type: 'DuplicateOptionError'; line: number; section: string; key: string; rawKey: string; firstLine: number }
  | { type: 'DuplicateSectionError'; line: number; section: string; firstLine: number }
  | { type: 'ParsingError'; line: number; reason: 'no-delimiter' | 'empty-key' };

export interface SectionHeader {
  name: string;
  line: number;
}

export interface ParsedConfig {
  lines: Line[];
  /** Options of [DEFAULT] (configparser's _defaults), in order. */
  defaults: Map<string, ParsedOption>;
  /** Every other section, "config" first (the deployer's prepended header), in order. */
  sections: Map<string, Map<string, ParsedOption>>;
  headers: SectionHeader[];
  /** Every problem, in line order; parsing goes on after the ones where Python stops. */
  errors: ParseError[];
  /**
   * What Python raises: the first DuplicateOptionError/DuplicateSectionError (it stops there),
   * else a ParsingError listing every bad line, else nothing.
   */
  pythonError?: { type: 'DuplicateOptionError' | 'DuplicateSectionError'; line: number; section: string; key?: string } | { type: 'ParsingError'; lines: number[] };
}

interface Working {
  option: ParsedOption;
  parts: string[];
}

/** Parses config text the way the deployer's configparser does. Never throws. */
export function parseConfig(text: string): ParsedConfig {
  const lines = splitLines(text);
  const defaults = new Map<string, Working>();
  const sections = new Map<string, Map<string, Working>>([[configSection, new Map()]]);
  const headers: SectionHeader[] = [];
  const errors: ParseError[] = [];
  // elements_added: sections and (section, option) pairs seen in this read, with their line.
  const sectionsAdded = new Map<string, number>([[configSection, 0]]);
  const optionsAdded = new Map<string, number>();
  let fatal: ParsedConfig['pythonError'];

  // State after the prepended "[config]" line (Python's line 1, our line 0).
  let cursect: Map<string, Working> = sections.get(configSection)!;
  let sectname = configSection;
  let optname: string | null = null;
  let indentLevel = 0;

  lines.forEach((l, index) => {
    const lineno = index + 1;
    const line = l.text;
    const stripped = pyStrip(line);
    // Full-line comments only: inline_comment_prefixes is None for RawConfigParser().
    const isComment = stripped.startsWith('#') || stripped.startsWith(';');
    const value = isComment ? '' : stripped;
    if (!value) {
      // empty_lines_in_values=True: an empty line (not a comment) goes into the current value.
      if (!isComment && optname) {
        const w = cursect.get(optname)!;
        w.parts.push('');
        w.option.continuation.push(lineno);
      }
      return;
    }
    let curIndent = 0;
    while (pySpace.has(line.charCodeAt(curIndent))) curIndent++;
    if (optname && curIndent > indentLevel) {
      const w = cursect.get(optname)!;
      w.parts.push(value);
      w.option.continuation.push(lineno);
      return;
    }
    indentLevel = curIndent;
    // SECTCRE: r"\[(?P<header>.+)\]" with match(): the header runs to the last "]".
    const header = /^\[([\s\S]+)\]/.exec(value);
    if (header) {
      const name = header[1];
      headers.push({ name, line: lineno });
      if (sections.has(name)) {
        const first = sectionsAdded.get(name);
        if (first !== undefined) {
          errors.push({ type: 'DuplicateSectionError', line: lineno, section: name, firstLine: first });
          fatal ??= { type: 'DuplicateSectionError', line: lineno, section: name };
        }
        cursect = sections.get(name)!;
        sectionsAdded.set(name, first ?? lineno);
      } else if (name === defaultSection) {
        cursect = defaults;
      } else {
        cursect = new Map();
        sections.set(name, cursect);
        sectionsAdded.set(name, lineno);
      }
      sectname = name;
      optname = null;
      return;
    }
    // OPTCRE: r"(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$": the key runs to the first "=" or
    // ":" (less the spaces before it), the value starts after the spaces that follow it.
    let delim = -1;
    for (let i = 0; i < value.length; i++) {
      if (value[i] === '=' || value[i] === ':') {
        delim = i;
        break;
      }
    }
    if (delim < 0) {
      errors.push({ type: 'ParsingError', line: lineno, reason: 'no-delimiter' });
      return;
    }
    let keyEnd = delim;
    while (keyEnd > 0 && pySpace.has(value.charCodeAt(keyEnd - 1))) keyEnd--;
    let valueStart = delim + 1;
    while (valueStart < value.length && pySpace.has(value.charCodeAt(valueStart))) valueStart++;
    const rawKey = value.slice(0, keyEnd);
    if (!rawKey) errors.push({ type: 'ParsingError', line: lineno, reason: 'empty-key' });
    const key = pyRstrip(rawKey).toLowerCase();
    const addedKey = `${sectname}\u0000${key}`;
    const first = optionsAdded.get(addedKey);
    if (first !== undefined) {
      errors.push({ type: 'DuplicateOptionError', line: lineno, section: sectname, key, rawKey, firstLine: first });
      fatal ??= { type: 'DuplicateOptionError', line: lineno, section: sectname, key };
    } else {
      optionsAdded.set(addedKey, lineno);
    }
    const option: ParsedOption = {
      section: sectname,
      key,
      rawKey,
      line: lineno,
      continuation: [],
      valueColumn: curIndent + valueStart,
      value: '',
    };
    cursect.set(key, { option, parts: [pyStrip(value.slice(valueStart))] });
    optname = key;
  });

  const finish = (m: Map<string, Working>) => {
    const out = new Map<string, ParsedOption>();
    for (const [k, w] of m) {
      // _join_multiline_values: '\n'.join(parts).rstrip()
      w.option.value = pyRstrip(w.parts.join('\n'));
      // Empty lines recorded after the value's last text line are not part of it in the file.
      const textLines = w.option.continuation;
      while (textLines.length && !pyStrip(lines[textLines[textLines.length - 1] - 1].text)) textLines.pop();
      out.set(k, w.option);
    }
    return out;
  };
  const parseErrors = errors.filter((e) => e.type === 'ParsingError').map((e) => e.line);
  return {
    lines,
    defaults: finish(defaults),
    sections: new Map([...sections].map(([name, m]) => [name, finish(m)])),
    headers,
    errors,
    pythonError: fatal ?? (parseErrors.length ? { type: 'ParsingError', lines: parseErrors } : undefined),
  };
}

/**
 * `parser.items('config')`: [DEFAULT]'s options, then [config]'s (a key in both keeps its
 * DEFAULT position and takes the [config] value).
 */
export function configItems(parsed: ParsedConfig): ParsedOption[] {
  const merged = new Map<string, ParsedOption>(parsed.defaults);
  for (const [k, o] of parsed.sections.get(configSection) ?? []) merged.set(k, o);
  return [...merged.values()];
}

/** One entry of the Secret the deployer builds, and the option it came from. */
export interface SecretEntry {
  key: string;
  value: string;
  option: ParsedOption;
}

/**
 * The Secret's data as the deployer builds it: `data[key.upper()] = value.strip('"').strip("'")`
 * (a dict: when two keys upper-case alike, the first position and the last value win).
 */
export function secretEntries(parsed: ParsedConfig): SecretEntry[] {
  const data = new Map<string, SecretEntry>();
  for (const option of configItems(parsed)) {
    const key = deployerKey(option.key);
    data.set(key, { key, value: deployerValue(option.value), option });
  }
  return [...data.values()];
}
