/**
 * Python values as the deployer's Jinja2 sees them, in JS: str = string, int = bigint,
 * float = number, bool = boolean, None = null, list = array, tuple = PyTuple, dict = Map (Python
 * dicts keep insertion order and non-string keys; JS objects do neither), plus Jinja2's Undefined
 * and Markup (what `tojson` returns). The deployspec's YAML is parsed into this model
 * (yaml's `intAsBigInt`), so that `{{ replicas }}` prints `3` and `{{ ratio }}` prints `3.0`.
 */

/** A value the template engine fails on instead of guessing: sgn renders nothing rather than something else. */
export class JinjaError extends Error {
  constructor(
    message: string,
    /** 'syntax': Jinja2 refuses it too; 'runtime': Jinja2 raises while rendering; 'refused': sgn does not render it. */
    readonly kind: 'syntax' | 'runtime' | 'refused' | 'undefined' | 'notfound',
    public file?: string,
    public line?: number,
  ) {
    super(message);
    this.name = 'JinjaError';
  }
}

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** Jinja2's `Markup`: text that `tojson` produced. Only its text matters here. */
export class Markup {
  constructor(readonly text: string) {}
}

/** Jinja2's default Undefined: prints as '', is falsy, iterates as empty, fails on attribute access. */
export class Undefined {
  constructor(
    /** The message Jinja2's UndefinedError would carry: `'x' is undefined`. */
    readonly message: string,
  ) {}
}

/** The `loop` variable of a for loop. */
export class LoopInfo {
  constructor(
    readonly index0: number,
    readonly length: number,
  ) {}
}

/** What dict.keys(), .values() and .items() return: iterable, printed as `dict_keys([...])`. */
export class DictView {
  constructor(
    readonly kind: 'keys' | 'values' | 'items',
    readonly items: PyValue[],
  ) {}
}

export type PyValue = string | bigint | number | boolean | null | PyValue[] | PyTuple | Map<PyValue, PyValue> | Undefined | Markup | LoopInfo | DictView;

const refuse = (message: string) => new JinjaError(message, 'refused');

/** Python's type name, as its error messages spell it. */
export function typeName(v: PyValue): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'string' || v instanceof Markup) return 'str';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof Map) return 'dict';
  if (v instanceof Undefined) return 'Undefined';
  if (v instanceof DictView) return `dict_${v.kind}`;
  return 'LoopContext';
}

/** Python's str(). */
export function pyStr(v: PyValue): string {
  if (typeof v === 'string') return v;
  if (v instanceof Markup) return v.text;
  if (v instanceof Undefined) return '';
  return pyRepr(v);
}

/** Python's repr(). */
export function pyRepr(v: PyValue): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return floatRepr(v);
  if (typeof v === 'string') return strRepr(v);
  if (v instanceof Markup) return `Markup(${strRepr(v.text)})`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (v instanceof PyTuple) return v.items.length === 1 ? `(${pyRepr(v.items[0])},)` : `(${v.items.map(pyRepr).join(', ')})`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  if (v instanceof Undefined) return 'Undefined';
  if (v instanceof DictView) return `dict_${v.kind}([${v.items.map(pyRepr).join(', ')}])`;
  throw refuse('sgn does not print the `loop` object itself; print one of its attributes (loop.index, loop.first, ...).');
}

/** Python's repr of a float: shortest round-trip digits, exponent outside 1e-4 <= |x| < 1e16. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}.${frac || '0'}`;
}

/** Python's str.isprintable() for one code point, as far as repr() needs it. */
function printable(cp: number): boolean {
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp === 0xad) return false;
  // Separators (Zl, Zp, Zs except space) and a few format characters are not printable.
  if (cp === 0x2028 || cp === 0x2029 || cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200f) || cp === 0x202f || cp === 0x205f || cp === 0x3000) return false;
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) || cp === 0xfeff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0xe000 && cp <= 0xf8ff)) return false;
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(String.fromCodePoint(cp));
}

/** Python's repr of a str. */
export function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp === 0x20 || printable(cp)) out += ch;
    else if (cp <= 0xff) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp <= 0xffff) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + quote;
}

/** Python's truthiness. */
export function truthy(v: PyValue): boolean {
  if (v === null || v === false || v instanceof Undefined) return false;
  if (v === true) return true;
  if (typeof v === 'string') return v.length > 0;
  if (v instanceof Markup) return v.text.length > 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'number') return v !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof PyTuple) return v.items.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (v instanceof DictView) return v.items.length > 0;
  return true;
}

const numeric = (v: PyValue): number | bigint | undefined => (typeof v === 'boolean' ? BigInt(v) : typeof v === 'bigint' || typeof v === 'number' ? v : undefined);
const text = (v: PyValue): string | undefined => (typeof v === 'string' ? v : v instanceof Markup ? v.text : undefined);

/** Python's ==. */
/**
 * Equality of two items inside containers (and `in`): Python asks identity first, so one NaN
 * object equals itself there, and sgn cannot tell one NaN object from another: refuse.
 */
export function itemEq(a: PyValue, b: PyValue): boolean {
  if (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b)) throw refuse('sgn does not compare lists or dicts that hold NaN (Python compares such items by identity).');
  return pyEq(a, b);
}

export function pyEq(a: PyValue, b: PyValue): boolean {
  // A container equals itself: Python compares its items by identity first (RichCompareBool).
  if (a === b && (Array.isArray(a) || a instanceof Map || a instanceof PyTuple)) return true;
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) {
    if (typeof na === 'bigint' && typeof nb === 'bigint') return na === nb;
    if (typeof na === 'number' && typeof nb === 'number') return na === nb;
    const [big, float] = typeof na === 'bigint' ? [na, nb as number] : [nb as bigint, na];
    return Number.isInteger(float) && BigInt(float) === big;
  }
  const ta = text(a);
  const tb = text(b);
  if (ta !== undefined || tb !== undefined) return ta === tb;
  if (a === null || b === null) return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => itemEq(x, b[i]));
  if (a instanceof PyTuple && b instanceof PyTuple) return a.items.length === b.items.length && a.items.every((x, i) => itemEq(x, b.items[i]));
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) {
      const other = mapGet(b, k);
      if (other === undefined || !itemEq(v, other)) return false;
    }
    return true;
  }
  if (a instanceof Undefined && b instanceof Undefined) return true;
  if (a instanceof DictView || b instanceof DictView) throw refuse('sgn does not compare the result of keys(), values() or items().');
  return a === b;
}

/** Python's hash-equality lookup in a dict (1, 1.0 and True are the same key). */
export function mapGet(m: Map<PyValue, PyValue>, key: PyValue): PyValue | undefined {
  if (m.has(key)) return m.get(key);
  if (typeof key === 'string' || key === null) return undefined;
  for (const [k, v] of m) if (pyEq(k, key)) return v;
  return undefined;
}

/** Python's <, for the types where it is defined (numbers, str, lists); a TypeError otherwise. */
export function pyLess(a: PyValue, b: PyValue, op: string): boolean {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) {
    if (typeof na === typeof nb) return na < nb;
    return Number(na) < Number(nb);
  }
  const ta = text(a);
  const tb = text(b);
  if (ta !== undefined && tb !== undefined) return codepointLess(ta, tb);
  if ((Array.isArray(a) || a instanceof PyTuple) && (Array.isArray(b) || b instanceof PyTuple)) throw refuse('sgn does not compare lists or tuples with <, >, <= or >=.');
  throw new JinjaError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`, 'runtime');
}

function codepointLess(a: string, b: string): boolean {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i].codePointAt(0)! < y[i].codePointAt(0)!;
  }
  return x.length < y.length;
}

/** What `for x in value` iterates, as Python does; a TypeError for what is not iterable. */
export function pyIter(v: PyValue): PyValue[] {
  if (v instanceof Undefined) return [];
  if (typeof v === 'string') return [...v];
  if (v instanceof Markup) return [...v.text];
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple) return v.items;
  if (v instanceof Map) return [...v.keys()];
  if (v instanceof DictView) return v.items;
  throw new JinjaError(`'${typeName(v)}' object is not iterable`, 'runtime');
}

/** Python's len(). */
export function pyLen(v: PyValue): bigint {
  if (v instanceof Undefined) return 0n;
  if (typeof v === 'string') return BigInt([...v].length);
  if (v instanceof Markup) return BigInt([...v.text].length);
  if (Array.isArray(v)) return BigInt(v.length);
  if (v instanceof PyTuple) return BigInt(v.items.length);
  if (v instanceof Map) return BigInt(v.size);
  if (v instanceof DictView) return BigInt(v.items.length);
  throw new JinjaError(`object of type '${typeName(v)}' has no len()`, 'runtime');
}

// Python's str.isspace() characters (str.strip() and str.splitlines() use these sets).
const spaceChars = new Set([...'\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000']);
const lineBreaks = new Set([...'\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029']);

/** Python's str.isspace() for one character. */
export function isPySpace(ch: string): boolean {
  return spaceChars.has(ch);
}

/** Python's str.strip() with no argument. */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && spaceChars.has(s[start])) start++;
  while (end > start && spaceChars.has(s[end - 1])) end--;
  return s.slice(start, end);
}

/** Python's str.splitlines() (no keepends). */
export function pySplitlines(s: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (!lineBreaks.has(ch)) continue;
    lines.push(s.slice(start, i));
    if (ch === '\r' && s[i + 1] === '\n') i++;
    start = i + 1;
  }
  if (start < s.length) lines.push(s.slice(start));
  return lines;
}

/** Python's str.upper()/lower(): JS's case mapping, refused where the two disagree. */
export function pyCase(s: string, upper: boolean): string {
  const out = upper ? s.toUpperCase() : s.toLowerCase();
  // JS and Python agree on ASCII and on the common scripts; a few special casings differ
  // (e.g. final sigma, 'İ'.lower()). Refuse those rather than print different text.
  if (/[\u0130\u03a3\u03c2]/.test(s)) throw refuse(`sgn does not ${upper ? 'upper' : 'lower'}-case this text: its special case mappings differ between Python and JavaScript.`);
  return out;
}

/** Python's json.dumps(value, sort_keys=True) (ensure_ascii, ', ' and ': ' separators). */
export function jsonDumps(v: PyValue): string {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
    return floatRepr(v);
  }
  const t = text(v);
  if (t !== undefined) return jsonString(t);
  if (Array.isArray(v)) return `[${v.map(jsonDumps).join(', ')}]`;
  if (v instanceof PyTuple) return `[${v.items.map(jsonDumps).join(', ')}]`;
  if (v instanceof Map) {
    const entries = [...v].map(([k, x]) => [jsonKey(k), x] as const);
    const kinds = new Set([...v.keys()].map((k) => (typeof k === 'string' ? 's' : 'n')));
    if (kinds.size > 1) throw new JinjaError("'<' not supported between instances of 'int' and 'str'", 'runtime');
    if (kinds.has('n')) throw refuse('sgn does not tojson a dict with non-string keys (Python sorts them by value).');
    entries.sort((a, b) => (codepointLess(a[0], b[0]) ? -1 : codepointLess(b[0], a[0]) ? 1 : 0));
    return `{${entries.map(([k, x]) => `${jsonString(k)}: ${jsonDumps(x)}`).join(', ')}}`;
  }
  if (v instanceof Undefined) throw new JinjaError('Object of type Undefined is not JSON serializable', 'runtime');
  throw new JinjaError(`Object of type ${typeName(v)} is not JSON serializable`, 'runtime');
}

function jsonKey(k: PyValue): string {
  if (typeof k === 'string') return k;
  throw refuse('sgn does not tojson a dict with non-string keys (Python sorts them by value).');
}

function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** Converts a parsed YAML value (yaml's toJS with mapAsMap and intAsBigInt) into the model. */
export function fromYaml(v: unknown): PyValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map(fromYaml);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [fromYaml(k), fromYaml(x)]));
  if (v instanceof Set) return new Map([...v].map((k) => [fromYaml(k), null]));
  if (v instanceof Date) throw refuse('sgn does not pass a YAML timestamp to templates (PyYAML makes it a datetime); quote it to make it a string.');
  if (v instanceof Uint8Array) throw refuse('sgn does not pass YAML binary values to templates; quote it to make it a string.');
  throw refuse(`sgn does not pass this YAML value to templates: ${String(v)}`);
}
