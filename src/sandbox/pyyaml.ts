/**
 * `yaml.load(open(path))` as the deployer's PyYAML (4.2b4; its scanner is unchanged in 6.x) does
 * it, for the deployer emulator. The document is read by the `yaml` package in YAML 1.1 mode
 * (`yes`/`on` are booleans, `<<` merges, a repeated key keeps the last value), like PyYAML.
 *
 * PyYAML refuses a tab wherever a token could start (indentation, after `key:` or `- `, after a
 * value, on a blank line) and accepts one only inside quoted scalars, block scalars and
 * comments; that is the commonest way a hand-edited template breaks, so it is reproduced here
 * exactly, message and mark included: ScannerError "found character '\t' that cannot start any
 * token" at the tab's line and column. Other syntax errors raise ParserError with the `yaml`
 * package's wording, not PyYAML's (see the emulator's header).
 */
import type * as Yaml from 'yaml';
import { PyError } from './py-error.js';

const breakChars = new Set(['\n']);
const isSpaceOrEnd = (c: string | undefined) => c === undefined || c === ' ' || c === '\t' || breakChars.has(c);
const flowIndicators = new Set([',', '[', ']', '{', '}']);

/** PyYAML's Mark.__str__ for a file stream (no snippet): `  in "<name>", line L, column C`. */
function mark(name: string, line: number, column: number): string {
  return `  in "${name}", line ${line + 1}, column ${column + 1}`;
}

function scannerError(name: string, context: string | undefined, problem: string, at: { line: number; column: number }, contextAt?: { line: number; column: number }): PyError {
  const lines = context === undefined ? [] : [context];
  if (contextAt && (contextAt.line !== at.line || contextAt.column !== at.column)) lines.push(mark(name, contextAt.line, contextAt.column));
  lines.push(problem, mark(name, at.line, at.column));
  return new PyError('ScannerError', lines.join('\n'));
}

/** Python's %r of one character. */
const reprChar = (c: string) => (c === '\t' ? "'\\t'" : c === "'" ? `"'"` : `'${c}'`);

/**
 * The ScannerError PyYAML raises for a tab (or for `@` and a backtick, which no token may start
 * with either) in this text, if any, and for a ": " where no key may be ("mapping values are not
 * allowed here", e.g. in a value on its key's line), which a tab after a colon also triggers.
 * Columns count characters, as Python's do.
 */
export function pyYamlTabError(text: string, name: string): PyError | undefined {
  // Universal newlines: Python's text mode gives PyYAML "\n" only.
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const col = (line: string, i: number) => [...line.slice(0, i)].length;
  let flow = 0;
  let quote: string | undefined;
  // PyYAML's allow_simple_key, and whether a token that may be a simple key started on this line.
  let allowKey = true;
  let possibleKey = false;
  const tokenBegins = () => {
    if (allowKey) possibleKey = true;
    allowKey = false;
  };
  // A block scalar whose content lines are being skipped (tabs are content there).
  let block: { minIndent: number; indent?: number } | undefined;
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln];
    if (block) {
      let spaces = 0;
      while (line[spaces] === ' ') spaces++;
      if (spaces === line.length) continue; // spaces only: part of the block
      block.indent ??= Math.max(block.minIndent, spaces);
      if (spaces >= block.indent) continue;
      block = undefined;
    }
    let i = 0;
    let tokenStart = !quote;
    if (!quote) {
      // A new line: keys may start again (in the block context); a key of the last line is stale.
      if (flow === 0) allowKey = true;
      possibleKey = false;
    }
    let inPlain = false;
    // Where the scalar being read started, the key before the last ":", the last "- ".
    let scalarCol = -1;
    let keyCol = -1;
    let dashCol = -1;
    const tabError = () => scannerError(name, 'while scanning for the next token', `found character ${reprChar(line[i])} that cannot start any token`, { line: ln, column: col(line, i) });
    while (i < line.length) {
      const c = line[i];
      if (quote) {
        if (quote === "'" && c === "'" && line[i + 1] === "'") i += 2;
        else if (quote === '"' && c === '\\') i += 2;
        else {
          if (c === quote) quote = undefined;
          i++;
        }
        continue;
      }
      if (c === ' ') {
        i++;
        if (!inPlain) tokenStart = true;
        continue;
      }
      if (c === '\t') return tabError();
      const indicatorFollows = isSpaceOrEnd(line[i + 1]) || (flow > 0 && flowIndicators.has(line[i + 1]));
      if (inPlain) {
        if (c === ':' && indicatorFollows) {
          inPlain = false;
        } else if (c === '#' && line[i - 1] === ' ') {
          break; // a comment
        } else if (flow > 0 && flowIndicators.has(c)) {
          inPlain = false;
        } else {
          i++;
          continue;
        }
      } else if (!tokenStart && !flowIndicators.has(c) && c !== ':') {
        i++;
        continue;
      }
      if (c === '#') break;
      if (c === '@' || c === '`') return tabError();
      if ((c === '-' || c === '?' || c === ':') && indicatorFollows) {
        if (c === ':') {
          if (possibleKey) {
            possibleKey = false;
            allowKey = false;
          } else if (flow === 0 && !allowKey) {
            return scannerError(name, undefined, 'mapping values are not allowed here', { line: ln, column: col(line, i) });
          } else allowKey = flow === 0;
          keyCol = scalarCol;
        } else {
          if (c === '-') dashCol = i;
          possibleKey = false;
          allowKey = true;
        }
        i++;
        tokenStart = true;
        continue;
      }
      if (flowIndicators.has(c)) {
        if (c === '[' || c === '{') {
          tokenBegins();
          flow++;
          allowKey = true;
        } else if (c === ']' || c === '}') {
          flow = Math.max(0, flow - 1);
          allowKey = false;
        } else {
          possibleKey = false;
          allowKey = true;
        }
        i++;
        tokenStart = true;
        continue;
      }
      if (c === '"' || c === "'") {
        tokenBegins();
        scalarCol = i;
        quote = c;
        i++;
        continue;
      }
      if (c === '&' || c === '*' || c === '!') {
        tokenBegins();
        while (i < line.length && line[i] !== ' ' && line[i] !== '\t' && !(flow > 0 && flowIndicators.has(line[i]))) i++;
        tokenStart = false;
        continue;
      }
      if ((c === '|' || c === '>') && flow === 0) {
        const start = i;
        let increment = 0;
        for (i++; i < line.length && /[-+1-9]/.test(line[i]); i++) if (line[i] !== '-' && line[i] !== '+') increment = Number(line[i]);
        while (line[i] === ' ') i++;
        if (i < line.length && line[i] !== '#') {
          return scannerError(name, 'while scanning a block scalar', `expected a comment or a line break, but found ${reprChar(line[i])}`, { line: ln, column: col(line, i) }, { line: ln, column: col(line, start) });
        }
        // PyYAML: content is indented more than the collection that holds the scalar.
        const parent = keyCol >= 0 ? keyCol : dashCol;
        const minIndent = Math.max(1, parent + 1);
        block = { minIndent, indent: increment ? minIndent + increment - 1 : undefined };
        allowKey = true;
        break;
      }
      // Anything else starts a plain scalar.
      tokenBegins();
      scalarCol = i;
      inPlain = true;
      tokenStart = false;
      i++;
    }
  }
  return undefined;
}

/**
 * PyYAML's `yaml.load` of a file at `name` (the path its error marks show): the document as JSON
 * values, or a PyError as PyYAML would raise it.
 */
export async function pyYamlLoad(text: string, name: string): Promise<unknown> {
  const tab = pyYamlTabError(text, name);
  if (tab) throw tab;
  // The bundle turns the package (CommonJS) into a default export only; tsx gives named ones too.
  const mod = (await import('yaml')) as typeof Yaml & { default?: typeof Yaml };
  const { parseAllDocuments } = mod.default ?? mod;
  const docs = parseAllDocuments(text.replace(/\r\n?/g, '\n'), { version: '1.1', uniqueKeys: false, merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) {
    if (d.errors.length) {
      const e = d.errors[0];
      const pos = e.linePos?.[0];
      throw new PyError('ParserError', `${e.message.split('\n')[0]}${pos ? `\n${mark(name, pos.line - 1, pos.col - 1)}` : ''}`);
    }
  }
  if (list.length > 1) {
    throw new PyError('ComposerError', `expected a single document in the stream\n${mark(name, 0, 0)}\nbut found another document`);
  }
  return list.length ? (list[0].toJS({ maxAliasCount: 1000 }) ?? null) : null;
}
