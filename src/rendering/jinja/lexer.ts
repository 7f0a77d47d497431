/**
 * Jinja2 2.10's lexer (jinja2/lexer.py) for the deployer's environment: default delimiters,
 * `trim_blocks` and `lstrip_blocks` on, no line statements, `keep_trailing_newline` off. The
 * regular expressions are Jinja2's, translated: whitespace control (`-`), lstrip (`{%+` turns it
 * off for one block tag; comments are always stripped), the one newline after a block or comment
 * tag, raw blocks, and the normalisation of the source (Python's splitlines, then '\n', which also
 * drops one trailing newline).
 */
import { JinjaError, pySplitlines } from './values.js';

export interface Token {
  type: string;
  value: string;
  line: number;
}

// Python's \s for str patterns (str.isspace), spelled out: JS's \s differs (\ufeff, \x1c-\x1f).
const WS = '[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
// Python's `^` under re.M: the start of the text or just after '\n'.
const BOL = '(?<![^\\n])';
const blockPrefix = `${BOL}[ \\t]*\\{%(?!\\+)|\\{%\\+?`;
const commentPrefix = `${BOL}[ \\t]*\\{#|\\{#\\+?`;
const rootRe = new RegExp(
  `([^]*?)(?:(?<raw_begin>(?:${WS}*\\{%\\-|${blockPrefix})${WS}*raw${WS}*(?:\\-%\\}${WS}*|%\\}))` +
    `|(?<variable_begin>${WS}*\\{\\{\\-|\\{\\{)|(?<comment_begin>${WS}*\\{#\\-|${commentPrefix})|(?<block_begin>${WS}*\\{%\\-|${blockPrefix}))`,
  'y',
);
const commentEndRe = new RegExp(`([^]*?)((?:\\-#\\}${WS}*|#\\})\\n?)`, 'y');
const blockEndRe = new RegExp(`(?:\\-%\\}${WS}*|%\\})\\n?`, 'y');
const variableEndRe = new RegExp(`\\-\\}\\}${WS}*|\\}\\}`, 'y');
const rawEndRe = new RegExp(`([^]*?)((?:${WS}*\\{%\\-|${blockPrefix})${WS}*endraw${WS}*(?:\\-%\\}${WS}*|%\\}\\n?))`, 'y');
const whitespaceRe = new RegExp(`${WS}+`, 'y');
const floatRe = /(?<!\.)\d+\.\d+/y;
const integerRe = /\d+/y;
const nameRe = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const stringRe = /('([^'\\]*(?:\\[^][^'\\]*)*)'|"([^"\\]*(?:\\[^][^"\\]*)*)")/y;
const operatorRe = /(\/\/|\*\*|==|!=|>=|<=|[+\-/*%~[\](){}><=.:|,;])/y;

/** Jinja2's source normalisation: splitlines() joined with '\n' (one trailing newline is lost). */
export function normalizeSource(source: string): string {
  return pySplitlines(source).join('\n');
}

function match(re: RegExp, s: string, pos: number): RegExpExecArray | null {
  re.lastIndex = pos;
  return re.exec(s);
}

const count = (s: string) => s.split('\n').length - 1;

/** Python's unicode-escape decoding of a string literal's body (after Jinja2's backslashreplace). */
export function unescapeString(body: string, file: string | undefined, line: number): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = body[++i];
    if (next === undefined) throw new JinjaError('truncated \\xXX escape', 'syntax', file, line);
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
    if (next in simple) {
      out += simple[next];
      continue;
    }
    const hex = (n: number, what: string) => {
      const digits = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) throw new JinjaError(`truncated ${what} escape`, 'syntax', file, line);
      i += n;
      const cp = parseInt(digits, 16);
      if (cp > 0x10ffff) throw new JinjaError('illegal Unicode character', 'syntax', file, line);
      return String.fromCodePoint(cp);
    };
    if (next === 'x') out += hex(2, '\\xXX');
    else if (next === 'u') out += hex(4, '\\uXXXX');
    else if (next === 'U') out += hex(8, '\\UXXXXXXXX');
    else if (/[0-7]/.test(next)) {
      let digits = next;
      while (digits.length < 3 && /[0-7]/.test(body[i + 1] ?? '')) digits += body[++i];
      out += String.fromCodePoint(parseInt(digits, 8));
    } else if (next === 'N') {
      throw new JinjaError('sgn does not render \\N{...} escapes in template strings; write the character itself.', 'refused', file, line);
    } else out += '\\' + next;
  }
  return out;
}

/** The tokens of a template, as Jinja2's lexer yields them to its parser (whitespace and comments dropped). */
export function tokenize(source: string, file?: string): Token[] {
  const src = normalizeSource(source);
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  const push = (type: string, value: string) => tokens.push({ type, value, line });
  let state: 'root' | 'block' | 'variable' = 'root';
  const balance: string[] = [];
  while (pos < src.length || state !== 'root') {
    if (state === 'root') {
      const m = match(rootRe, src, pos);
      if (!m) {
        push('data', src.slice(pos));
        break;
      }
      const [, data] = m;
      if (data) push('data', data);
      line += count(data);
      const groups = m.groups!;
      const kind = (['raw_begin', 'variable_begin', 'comment_begin', 'block_begin'] as const).find((k) => groups[k] !== undefined)!;
      const tag = groups[kind]!;
      pos = m.index + m[0].length;
      // Jinja2's lexer stops without an error when a comment or raw block opens at the very end.
      if ((kind === 'raw_begin' || kind === 'comment_begin') && pos >= src.length) break;
      if (kind === 'raw_begin') {
        line += count(tag);
        const r = match(rawEndRe, src, pos);
        if (!r) throw new JinjaError('Missing end of raw directive', 'syntax', file, line);
        if (r[1]) push('data', r[1]);
        line += count(r[1]) + count(r[2]);
        pos = r.index + r[0].length;
      } else if (kind === 'comment_begin') {
        line += count(tag);
        const c = match(commentEndRe, src, pos);
        if (!c) throw new JinjaError('Missing end of comment tag', 'syntax', file, line);
        line += count(c[0]);
        pos = c.index + c[0].length;
      } else {
        push(kind, tag);
        line += count(tag);
        state = kind === 'block_begin' ? 'block' : 'variable';
      }
      continue;
    }
    if (pos >= src.length) {
      throw new JinjaError(`unexpected end of template, expected '${state === 'block' ? 'end of statement block' : 'end of print statement'}'.`, 'syntax', file, line);
    }
    if (!balance.length) {
      const end = match(state === 'block' ? blockEndRe : variableEndRe, src, pos);
      if (end) {
        push(state === 'block' ? 'block_end' : 'variable_end', end[0]);
        line += count(end[0]);
        pos += end[0].length;
        state = 'root';
        continue;
      }
    }
    let m: RegExpExecArray | null;
    if ((m = match(whitespaceRe, src, pos))) {
      line += count(m[0]);
    } else if ((m = match(floatRe, src, pos))) push('float', m[0]);
    else if ((m = match(integerRe, src, pos))) push('integer', m[0]);
    else if ((m = match(nameRe, src, pos))) {
      if (/^[\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}]/u.test(src.slice(pos + m[0].length))) throw new JinjaError('sgn does not render non-ASCII names in templates.', 'refused', file, line);
      push('name', m[0]);
    } else if ((m = match(stringRe, src, pos))) {
      push('string', unescapeString(m[0].slice(1, -1), file, line));
      line += count(m[0]);
    } else if ((m = match(operatorRe, src, pos))) {
      const op = m[0];
      if (op === '{' || op === '(' || op === '[') balance.push(op === '{' ? '}' : op === '(' ? ')' : ']');
      else if (op === '}' || op === ')' || op === ']') {
        if (!balance.length) throw new JinjaError(`unexpected '${op}'`, 'syntax', file, line);
        const expected = balance.pop();
        if (expected !== op) throw new JinjaError(`unexpected '${op}', expected '${expected}'`, 'syntax', file, line);
      }
      push(op, op);
    } else {
      const ch = src[pos];
      if (ch.charCodeAt(0) > 0x7f) throw new JinjaError('sgn does not render non-ASCII characters inside a tag outside of strings.', 'refused', file, line);
      throw new JinjaError(`unexpected char '${ch}' at ${pos}`, 'syntax', file, line);
    }
    pos += m[0].length;
  }
  tokens.push({ type: 'eof', value: '', line });
  return tokens;
}
