/**
 * Renders templates the way the deployer's Jinja2 2.10 environment does
 * (`Environment(loader=FileSystemLoader(dir), trim_blocks=True, lstrip_blocks=True)`), for the
 * subset deploy templates use: output, if/elif/else, for (with `loop` and else), set, include,
 * comments, raw, whitespace control, and the filters default, join, upper, lower, replace,
 * indent, tojson, trim, string, length. Values follow Python's rules (see values.ts). Anything
 * whose result could differ from Jinja2's is refused with a JinjaError of kind 'refused'.
 * Why not nunjucks: it prints JS values (`true`, `a,b`, `1` for 1.0) where Jinja2 prints
 * Python's (`True`, `['a', 'b']`, `1.0`), and its whitespace control differs in corner cases;
 * telling those apart would take a parser of its own, which is most of this engine.
 */
import { tokenize } from './lexer.js';
import { parse, type Expr, type Node, type Target } from './parser.js';
import { analyzeFrame } from './scoping.js';
import {
  DictView,
  JinjaError,
  LoopInfo,
  Markup,
  PyTuple,
  Undefined,
  jsonDumps,
  mapGet,
  pyCase,
  itemEq,
  pyEq,
  pyIter,
  pyLen,
  pySplitlines,
  pyStr,
  isPySpace,
  pyStrip,
  truthy,
  typeName,
  type PyValue,
} from './values.js';

export interface TemplateLoader {
  /** The template's text, or undefined when there is no such file. */
  load(name: string): string | undefined;
}

export interface RenderHooks {
  /** An undefined value was printed, joined or iterated (Jinja2 prints nothing for it). */
  onUndefined?(message: string, file: string, line: number): void;
}

/** A frame's local that Jinja2 2.10 starts as "missing" (see scoping.ts): reads are undefined. */
const MISSING = Symbol('missing');
type Scope = Map<string, PyValue | typeof MISSING>;

/**
 * Where a node runs: scopes[0] is the template's context (render values, and top-level sets once
 * they ran, as Jinja2 exports them), scopes[1] the top-level frame, then one per enclosing loop.
 */
interface Frame {
  file: string;
  scopes: Scope[];
  depth: number;
  /** The names the enclosing frames read or assign (what a nested frame aliases). */
  known: ReadonlySet<string>;
}

/** A new frame's scope: its missing names bound to MISSING, then its parameters. */
function frameScope(nodes: Node[], known: ReadonlySet<string>, params: [string, PyValue][], file: string, top: boolean): { scope: Scope; known: Set<string> } {
  const analysis = analyzeFrame(nodes, top ? undefined : known, params.map(([n]) => n), file);
  const scope: Scope = new Map();
  for (const n of analysis.missing) scope.set(n, MISSING);
  for (const [n, v] of params) scope.set(n, v);
  return { scope, known: new Set([...known, ...analysis.refs]) };
}

const refuse = (message: string) => new JinjaError(message, 'refused');
const runtime = (message: string) => new JinjaError(message, 'runtime');
const undefinedError = (u: Undefined) => new JinjaError(u.message, 'undefined');

/** Jinja2's `object_type_repr`, for "'dict object' has no attribute 'x'". */
function objectTypeRepr(v: PyValue): string {
  return v === null ? 'None' : `${typeName(v)} object`;
}

/** Python's attributes of the built-in types templates meet: Jinja2's getattr finds these before keys. */
const pyAttributes: Record<string, Set<string>> = {
  dict: new Set(['clear', 'copy', 'fromkeys', 'get', 'items', 'keys', 'pop', 'popitem', 'setdefault', 'update', 'values']),
  list: new Set(['append', 'clear', 'copy', 'count', 'extend', 'index', 'insert', 'pop', 'remove', 'reverse', 'sort']),
  tuple: new Set(['count', 'index']),
  str: new Set(
    'capitalize casefold center count encode endswith expandtabs find format format_map index isalnum isalpha isascii isdecimal isdigit isidentifier islower isnumeric isprintable isspace istitle isupper join ljust lower lstrip maketrans partition removeprefix removesuffix replace rfind rindex rjust rpartition rsplit rstrip split splitlines startswith strip swapcase title translate upper zfill'.split(
      ' ',
    ),
  ),
};

/** Python's str.replace(old, new, count) on code points. */
function pyReplace(s: string, old: string, repl: string, count: bigint): string {
  const limit = count < 0n ? Infinity : Number(count);
  if (old === '') {
    const chars = [...s];
    let out = '';
    let n = 0;
    for (let i = 0; i <= chars.length; i++) {
      if (n < limit) {
        out += repl;
        n++;
      }
      if (i < chars.length) out += chars[i];
    }
    return out;
  }
  let out = '';
  let pos = 0;
  let n = 0;
  while (n < limit) {
    const at = s.indexOf(old, pos);
    if (at < 0) break;
    out += s.slice(pos, at) + repl;
    pos = at + old.length;
    n++;
  }
  return out + s.slice(pos);
}

/** Python's str.split(sep) / str.split(). */
function pySplit(s: string, sep: string | null): string[] {
  if (sep === null) {
    const words: string[] = [];
    let word = '';
    for (const ch of s) {
      if (isPySpace(ch)) {
        if (word) words.push(word);
        word = '';
      } else word += ch;
    }
    if (word) words.push(word);
    return words;
  }
  if (sep === '') throw runtime('empty separator');
  return s.split(sep);
}

function isInt(v: PyValue): v is bigint | boolean {
  return typeof v === 'bigint' || typeof v === 'boolean';
}
const toBig = (v: bigint | boolean) => (typeof v === 'boolean' ? BigInt(v) : v);
const safeFloat = (v: bigint) => {
  if (v > 2n ** 53n || v < -(2n ** 53n)) throw refuse('sgn does not mix integers beyond 2**53 with floats.');
  return Number(v);
};

function arith(op: string, a: PyValue, b: PyValue): PyValue {
  // str % x is formatting, decided by str before x is looked at (even an Undefined x).
  if (op === '%' && (typeof a === 'string' || a instanceof Markup)) throw refuse('sgn does not render %-formatting of strings; use ~ to join text.');
  // keys()/items() views are sets: `view - x` and `x - view` (any iterable x, an Undefined too)
  // are set differences.
  if ((a instanceof DictView && a.kind !== 'values') || (b instanceof DictView && b.kind !== 'values')) throw refuse(`sgn does not apply ${op} to the result of keys() or items() (Python treats it as a set).`);
  if (a instanceof Undefined) throw undefinedError(a);
  if (b instanceof Undefined) throw undefinedError(b);
  if (a instanceof Markup || b instanceof Markup) throw refuse(`sgn does not apply ${op} to the output of tojson (Jinja2 escapes the other operand); use ~ to join text.`);
  const unsupported = () => runtime(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
  const numA = isInt(a) || typeof a === 'number';
  const numB = isInt(b) || typeof b === 'number';
  if (numA && numB) {
    if (isInt(a) && isInt(b)) {
      const x = toBig(a);
      const y = toBig(b);
      if (op === '+') return x + y;
      if (op === '-') return x - y;
      if (op === '*') return x * y;
      if (y === 0n && op !== '/') throw runtime(op === '%' ? 'integer division or modulo by zero' : 'integer division or modulo by zero');
      if (op === '//') return x / y - ((x % y !== 0n && (x < 0n) !== (y < 0n)) ? 1n : 0n);
      if (op === '%') {
        const r = x % y;
        return r !== 0n && (r < 0n) !== (y < 0n) ? r + y : r;
      }
      if (y === 0n) throw runtime('division by zero');
      return safeFloat(x) / safeFloat(y);
    }
    const x = typeof a === 'number' ? a : safeFloat(toBig(a));
    const y = typeof b === 'number' ? b : safeFloat(toBig(b));
    if (op === '+') return x + y;
    if (op === '-') return x - y;
    if (op === '*') return x * y;
    if (op === '/') {
      if (y === 0) throw runtime('float division by zero');
      return x / y;
    }
    throw refuse(`sgn does not apply ${op} to floats.`);
  }
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    if (a instanceof PyTuple && b instanceof PyTuple) return new PyTuple([...a.items, ...b.items]);
    if (typeof a === 'string') throw runtime(`can only concatenate str (not "${typeName(b)}") to str`);
    throw unsupported();
  }
  if (op === '*') {
    const [seq, n] = isInt(b) ? [a, toBig(b)] : isInt(a) ? [b, toBig(a)] : [undefined, 0n];
    if (seq !== undefined && (typeof seq === 'string' || Array.isArray(seq) || seq instanceof PyTuple)) {
      // A repeat count beyond a C ssize_t fails in Python before the length is looked at ('' too).
      if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) throw runtime("cannot fit 'int' into an index-sized integer");
      const times = n < 0n ? 0 : Number(n);
      const items = seq instanceof PyTuple ? seq.items : seq;
      if (times * items.length > 10_000_000) throw refuse('sgn does not build text or lists this large.');
      if (typeof items === 'string') return items.repeat(times);
      const repeated = Array.from({ length: times }, () => items).flat();
      return seq instanceof PyTuple ? new PyTuple(repeated) : repeated;
    }
  }
  throw unsupported();
}

function compare(op: string, a: PyValue, b: PyValue): boolean {
  if (op === '==') return pyEq(a, b);
  if (op === '!=') return !pyEq(a, b);
  if (op === 'in' || op === 'notin') {
    const found = contains(b, a);
    return op === 'in' ? found : !found;
  }
  if (a instanceof Undefined) throw undefinedError(a);
  if (b instanceof Undefined) throw undefinedError(b);
  const num = (v: PyValue) => (typeof v === 'boolean' ? BigInt(v) : typeof v === 'bigint' || typeof v === 'number' ? v : undefined);
  const x = num(a);
  const y = num(b);
  if (x !== undefined && y !== undefined) {
    if (op === '<') return x < y;
    if (op === '<=') return x <= y;
    if (op === '>') return x > y;
    return x >= y;
  }
  const sa = typeof a === 'string' ? a : a instanceof Markup ? a.text : undefined;
  const sb = typeof b === 'string' ? b : b instanceof Markup ? b.text : undefined;
  if (sa !== undefined && sb !== undefined) {
    const ca = [...sa].map((c) => c.codePointAt(0)!);
    const cb = [...sb].map((c) => c.codePointAt(0)!);
    let cmp = 0;
    for (let i = 0; i < Math.min(ca.length, cb.length) && cmp === 0; i++) cmp = ca[i] - cb[i];
    if (cmp === 0) cmp = ca.length - cb.length;
    return op === '<' ? cmp < 0 : op === '<=' ? cmp <= 0 : op === '>' ? cmp > 0 : cmp >= 0;
  }
  if ((Array.isArray(a) || a instanceof PyTuple) && (Array.isArray(b) || b instanceof PyTuple)) throw refuse('sgn does not compare lists or tuples with <, >, <= or >=.');
  throw runtime(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

/**
 * The part of `v` Python cannot hash (a list, a dict, a set-like keys()/items() view, also inside
 * a tuple), if any. A values() view hashes by identity.
 */
function unhashable(v: PyValue): PyValue | undefined {
  if (Array.isArray(v) || v instanceof Map || (v instanceof DictView && v.kind !== 'values')) return v;
  if (v instanceof PyTuple) for (const x of v.items) {
    const bad = unhashable(x);
    if (bad) return bad;
  }
  return undefined;
}

function contains(container: PyValue, item: PyValue): boolean {
  if (container instanceof Undefined) return false;
  if (typeof container === 'string' || container instanceof Markup) {
    const text = typeof item === 'string' ? item : item instanceof Markup ? item.text : undefined;
    if (text === undefined) throw runtime(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return (typeof container === 'string' ? container : container.text).includes(text);
  }
  // A dict and its keys()/items() views look the key up by hash: an unhashable one is a TypeError.
  const key = container instanceof DictView && container.kind === 'items' ? (item instanceof PyTuple && item.items.length === 2 ? item.items[0] : undefined) : item;
  if ((container instanceof Map || (container instanceof DictView && container.kind !== 'values')) && key !== undefined) {
    const bad = unhashable(key);
    if (bad) throw runtime(`unhashable type: '${typeName(bad)}'`);
  }
  if (container instanceof Map) return mapGet(container, item) !== undefined;
  if (Array.isArray(container) || container instanceof PyTuple || container instanceof DictView) return pyIter(container).some((x) => itemEq(x, item));
  throw runtime(`argument of type '${typeName(container)}' is not iterable`);
}

/** Python's dict[key] = value with its key equality (1 == 1.0 == True). */
function mapSet(m: Map<PyValue, PyValue>, key: PyValue, value: PyValue): void {
  if (Array.isArray(key) || key instanceof Map) throw runtime(`unhashable type: '${typeName(key)}'`);
  if (key instanceof Undefined) throw refuse('sgn does not use an undefined value as a dict key.');
  if (typeof key !== 'string') {
    for (const k of m.keys()) {
      if (pyEq(k, key)) {
        m.set(k, value);
        return;
      }
    }
  }
  m.set(key, value);
}

/** Binds positional and keyword arguments to a Python signature. */
function bind(fn: string, params: [string, PyValue][], args: PyValue[], kwargs: [string, PyValue][]): PyValue[] {
  if (args.length > params.length) throw runtime(`${fn}() takes up to ${params.length} arguments (${args.length} given)`);
  const out: (PyValue | typeof missing)[] = params.map((_, i) => (i < args.length ? args[i] : missing));
  for (const [k, v] of kwargs) {
    const i = params.findIndex(([name]) => name === k);
    if (i < 0) throw runtime(`${fn}() got an unexpected keyword argument '${k}'`);
    if (out[i] !== missing) throw runtime(`${fn}() got multiple values for argument '${k}'`);
    out[i] = v;
  }
  return out.map((v, i) => (v === missing ? params[i][1] : v)) as PyValue[];
}
const missing = Symbol('missing');

export class JinjaEnvironment {
  private readonly cache = new Map<string, Node[]>();

  constructor(
    private readonly loader: TemplateLoader,
    private readonly hooks: RenderHooks = {},
  ) {}

  /** `env.get_template(name).render(vars)`: the rendered text, or a JinjaError with file and line. */
  render(name: string, vars: Map<string, PyValue>): string {
    return this.renderTemplate(name, new Map(vars), 0);
  }

  /** Parses a template's text (what lint runs on every template, rendered or not). */
  compile(source: string, file: string): Node[] {
    const cached = this.cache.get(source);
    if (cached) return cached;
    const nodes = parse(tokenize(source, file), file);
    this.cache.set(source, nodes);
    return nodes;
  }

  private load(name: string): string {
    const parts: string[] = [];
    for (const piece of name.split('/')) {
      if (piece === '..') throw new JinjaError(name, 'notfound');
      if (piece && piece !== '.') parts.push(piece);
    }
    const source = this.loader.load(parts.join('/'));
    if (source === undefined) throw new JinjaError(name, 'notfound');
    return source;
  }

  private renderTemplate(name: string, root: Scope, depth: number): string {
    if (depth > 40) throw refuse(`sgn stops at 40 nested includes (${name}): the templates include each other in a loop.`);
    const source = this.load(name);
    let nodes: Node[];
    try {
      nodes = this.compile(source, name);
    } catch (e) {
      if (e instanceof JinjaError) e.file ??= name;
      throw e;
    }
    const out: string[] = [];
    const top = frameScope(nodes, new Set(), [], name, true);
    this.run(nodes, { file: name, scopes: [root, top.scope], depth, known: top.known }, out);
    return out.join('');
  }

  private run(nodes: Node[], frame: Frame, out: string[]): void {
    for (const node of nodes) {
      try {
        this.exec(node, frame, out);
      } catch (e) {
        if (e instanceof JinjaError && e.file === undefined) {
          e.file = frame.file;
          e.line ??= node.line;
        }
        throw e;
      }
    }
  }

  private exec(node: Node, frame: Frame, out: string[]): void {
    switch (node.t) {
      case 'data':
        out.push(node.text);
        return;
      case 'output': {
        const v = this.eval(node.expr, frame);
        out.push(this.str(v, frame, node.line));
        return;
      }
      case 'if':
        this.run(truthy(this.eval(node.test, frame)) ? node.body : node.else, frame, out);
        return;
      case 'for': {
        const iterable = this.eval(node.iter, frame);
        if (iterable instanceof Undefined) this.undefinedUsed(iterable, frame, node.line);
        const items = pyIter(iterable);
        if (items.length === 0) {
          // The else block is a frame of its own: its sets do not outlive it.
          const inner = frameScope(node.else, frame.known, [], frame.file, false);
          this.run(node.else, { ...frame, scopes: [...frame.scopes, inner.scope], known: inner.known }, out);
          return;
        }
        items.forEach((item, i) => {
          const params: [string, PyValue][] = [['loop', new LoopInfo(i, items.length)]];
          const targets = new Map<string, PyValue>();
          this.assign(node.target, item, targets);
          const inner = frameScope(node.body, frame.known, [...params, ...targets], frame.file, false);
          this.run(node.body, { ...frame, scopes: [...frame.scopes, inner.scope], known: inner.known }, out);
        });
        return;
      }
      case 'set': {
        const values = new Map<string, PyValue>();
        this.assign(node.target, this.eval(node.expr, frame), values);
        const scope = frame.scopes[frame.scopes.length - 1];
        // A top-level set is also exported to the context (what includes and later loops resolve).
        const exported = frame.scopes.length === 2 ? frame.scopes[0] : undefined;
        for (const [k, v] of values) {
          scope.set(k, v);
          exported?.set(k, v);
        }
        return;
      }
      case 'include': {
        const name = this.eval(node.template, frame);
        if (name instanceof Undefined) throw runtime('Tried to select from an empty list of templates.');
        if (typeof name !== 'string') throw refuse('sgn renders {% include %} of one template name (a string) only.');
        const root: Scope = new Map();
        // Included templates see the context and the loop variables and sets around them, but not `loop`.
        if (node.withContext) frame.scopes.forEach((scope, i) => scope.forEach((v, k) => v !== MISSING && (i < 2 || k !== 'loop') && root.set(k, v)));
        try {
          out.push(this.renderTemplate(name, root, frame.depth + 1));
        } catch (e) {
          if (e instanceof JinjaError && e.kind === 'notfound' && node.ignoreMissing && e.message === name) return;
          throw e;
        }
        return;
      }
    }
  }

  private assign(target: Target, value: PyValue, scope: Map<string, PyValue>): void {
    if (!target.tuple) {
      scope.set(target.names[0], value);
      return;
    }
    if (value instanceof Undefined) throw undefinedError(value);
    const items = pyIter(value);
    if (items.length < target.names.length) throw runtime(`not enough values to unpack (expected ${target.names.length}, got ${items.length})`);
    if (items.length > target.names.length) throw runtime(`too many values to unpack (expected ${target.names.length})`);
    target.names.forEach((n, i) => scope.set(n, items[i]));
  }

  private undefinedUsed(u: Undefined, frame: Frame, line: number): void {
    this.hooks.onUndefined?.(u.message, frame.file, line);
  }

  /** str(value), noting undefined values. */
  private str(v: PyValue, frame: Frame, line: number): string {
    if (v instanceof Undefined) this.undefinedUsed(v, frame, line);
    if (v instanceof LoopInfo) throw refuse('sgn does not print the `loop` object itself; print one of its attributes (loop.index, loop.first, ...).');
    return pyStr(v);
  }

  private lookup(name: string, frame: Frame): PyValue {
    for (let i = frame.scopes.length - 1; i >= 0; i--) {
      const scope = frame.scopes[i];
      if (scope.has(name)) {
        const v = scope.get(name)!;
        return v === MISSING ? new Undefined(`'${name}' is undefined`) : v;
      }
    }
    if (['range', 'dict', 'lipsum', 'cycler', 'joiner', 'namespace'].includes(name)) throw refuse(`sgn does not render Jinja2's global '${name}'.`);
    return new Undefined(`'${name}' is undefined`);
  }

  private getattr(obj: PyValue, attr: string): PyValue {
    if (attr.startsWith('__')) throw refuse(`sgn does not read Python's special attributes ('${attr}').`);
    if (obj instanceof Undefined) throw undefinedError(obj);
    if (obj instanceof LoopInfo) {
      const { index0, length } = obj;
      const attrs: Record<string, PyValue> = {
        index: BigInt(index0 + 1),
        index0: BigInt(index0),
        revindex: BigInt(length - index0),
        revindex0: BigInt(length - index0 - 1),
        first: index0 === 0,
        last: index0 === length - 1,
        length: BigInt(length),
      };
      if (attr in attrs) return attrs[attr];
      throw refuse(`sgn does not render loop.${attr}; it renders loop.index, index0, revindex, revindex0, first, last and length.`);
    }
    if (typeof obj === 'bigint' || typeof obj === 'number' || typeof obj === 'boolean' || obj instanceof Markup) {
      throw refuse(`sgn does not read attributes of a ${typeName(obj)} ('${attr}').`);
    }
    const kind = typeName(obj);
    if (pyAttributes[kind]?.has(attr)) throw refuse(`sgn does not render '${attr}' of a ${kind} except as a call it knows (items(), keys(), values(), get() of a dict; upper(), lower(), strip(), split(), replace(), startswith(), endswith() of a str).`);
    if (obj instanceof Map) {
      const v = mapGet(obj, attr);
      if (v !== undefined) return v;
    }
    return new Undefined(`'${objectTypeRepr(obj)}' has no attribute '${attr}'`);
  }

  private getitem(obj: PyValue, key: PyValue): PyValue {
    if (obj instanceof Undefined) throw undefinedError(obj);
    if (key instanceof Undefined) throw refuse('sgn does not index with an undefined value.');
    const miss = () => {
      if (typeof key === 'string') {
        if (pyAttributes[typeName(obj)]?.has(key) || key.startsWith('__') || obj instanceof LoopInfo) return this.getattr(obj, key);
        return new Undefined(`'${objectTypeRepr(obj)}' has no attribute '${key}'`);
      }
      return new Undefined(`'${objectTypeRepr(obj)}' has no element ${pyStrRepr(key)}`);
    };
    if (obj instanceof Map) {
      if (Array.isArray(key) || key instanceof Map) return miss();
      const v = mapGet(obj, key);
      return v === undefined ? miss() : v;
    }
    if (Array.isArray(obj) || obj instanceof PyTuple || typeof obj === 'string') {
      if (!isInt(key)) return miss();
      const items = typeof obj === 'string' ? [...obj] : Array.isArray(obj) ? obj : obj.items;
      let i = toBig(key);
      if (i < 0n) i += BigInt(items.length);
      if (i < 0n || i >= BigInt(items.length)) return miss();
      return items[Number(i)];
    }
    if (obj instanceof Markup || obj instanceof LoopInfo) throw refuse(`sgn does not index a ${typeName(obj)}.`);
    if (obj instanceof DictView) return new Undefined(`'${typeName(obj)} object' has no element ${pyStrRepr(key)}`);
    return miss();
  }

  private callMethod(obj: PyValue, name: string, args: PyValue[], kwargs: [string, PyValue][]): PyValue {
    if (obj instanceof Undefined) throw undefinedError(obj);
    if (kwargs.length) throw refuse(`sgn does not render keyword arguments of ${name}().`);
    const arity = (min: number, max: number) => {
      if (args.length < min || args.length > max) throw runtime(`${name}() takes ${min === max ? min : `${min} to ${max}`} arguments (${args.length} given)`);
    };
    const strArg = (v: PyValue) => {
      if (typeof v !== 'string') throw refuse(`sgn renders ${name}() with string arguments only.`);
      return v;
    };
    if (obj instanceof Map) {
      if (name === 'items') return arity(0, 0), new DictView('items', [...obj].map(([k, v]) => new PyTuple([k, v])));
      if (name === 'keys') return arity(0, 0), new DictView('keys', [...obj.keys()]);
      if (name === 'values') return arity(0, 0), new DictView('values', [...obj.values()]);
      if (name === 'get') {
        arity(1, 2);
        const v = args[0] instanceof Undefined ? undefined : mapGet(obj, args[0]);
        return v === undefined ? (args[1] ?? null) : v;
      }
    }
    if (typeof obj === 'string') {
      if (name === 'upper' || name === 'lower') return arity(0, 0), pyCase(obj, name === 'upper');
      if (name === 'strip') return arity(0, 0), pyStrip(obj);
      if (name === 'startswith') return arity(1, 1), obj.startsWith(strArg(args[0]));
      if (name === 'endswith') return arity(1, 1), obj.endsWith(strArg(args[0]));
      if (name === 'replace') return arity(2, 2), pyReplace(obj, strArg(args[0]), strArg(args[1]), -1n);
      if (name === 'split') {
        arity(0, 1);
        return pySplit(obj, args.length && args[0] !== null ? strArg(args[0]) : null);
      }
    }
    throw refuse(`sgn does not render ${name}() on a ${typeName(obj)}; it renders items(), keys(), values(), get() of a dict and upper(), lower(), strip(), split(), replace(), startswith(), endswith() of a str.`);
  }

  private eval(e: Expr, frame: Frame): PyValue {
    try {
      return this.evalInner(e, frame);
    } catch (err) {
      if (err instanceof JinjaError && err.line === undefined && err.file === undefined) {
        err.file = frame.file;
        err.line = e.line;
      }
      throw err;
    }
  }

  private evalInner(e: Expr, frame: Frame): PyValue {
    switch (e.t) {
      case 'const':
        return e.value;
      case 'name':
        return this.lookup(e.name, frame);
      case 'getattr':
        return this.getattr(this.eval(e.obj, frame), e.attr);
      case 'getitem':
        return this.getitem(this.eval(e.obj, frame), this.eval(e.key, frame));
      case 'list':
        return e.items.map((x) => this.eval(x, frame));
      case 'tuple':
        return new PyTuple(e.items.map((x) => this.eval(x, frame)));
      case 'dict': {
        const m = new Map<PyValue, PyValue>();
        for (const [k, v] of e.items) mapSet(m, this.eval(k, frame), this.eval(v, frame));
        return m;
      }
      case 'cond':
        if (truthy(this.eval(e.test, frame))) return this.eval(e.then, frame);
        return e.else ? this.eval(e.else, frame) : new Undefined(`the inline if-expression on line ${e.line} evaluated to false and no else section was defined.`);
      case 'and': {
        const left = this.eval(e.left, frame);
        return truthy(left) ? this.eval(e.right, frame) : left;
      }
      case 'or': {
        const left = this.eval(e.left, frame);
        return truthy(left) ? left : this.eval(e.right, frame);
      }
      case 'unary': {
        const v = this.eval(e.expr, frame);
        if (e.op === 'not') return !truthy(v);
        if (v instanceof Undefined) throw undefinedError(v);
        if (isInt(v)) return e.op === 'neg' ? -toBig(v) : toBig(v);
        if (typeof v === 'number') return e.op === 'neg' ? -v : v;
        throw runtime(`bad operand type for unary ${e.op === 'neg' ? '-' : '+'}: '${typeName(v)}'`);
      }
      case 'bin':
        return arith(e.op, this.eval(e.left, frame), this.eval(e.right, frame));
      case 'compare': {
        let left = this.eval(e.expr, frame);
        for (const [op, rightExpr] of e.ops) {
          const right = this.eval(rightExpr, frame);
          if (!compare(op, left, right)) return false;
          left = right;
        }
        return true;
      }
      case 'concat':
        return e.items.map((x) => this.str(this.eval(x, frame), frame, e.line)).join('');
      case 'test':
        return this.test(e.name, this.eval(e.expr, frame));
      case 'filter':
        return this.filter(
          e.name,
          this.eval(e.expr, frame),
          e.args.map((a) => this.eval(a, frame)),
          e.kwargs.map(([k, v]) => [k, this.eval(v, frame)] as [string, PyValue]),
          frame,
          e.line,
        );
      case 'call': {
        if (e.fn.t === 'getattr') {
          const obj = this.eval(e.fn.obj, frame);
          const args = e.args.map((a) => this.eval(a, frame));
          const kwargs = e.kwargs.map(([k, v]) => [k, this.eval(v, frame)] as [string, PyValue]);
          return this.callMethod(obj, e.fn.attr, args, kwargs);
        }
        const fn = this.eval(e.fn, frame);
        if (fn instanceof Undefined) throw undefinedError(fn);
        throw refuse(`sgn does not call a ${typeName(fn)}; the calls it renders are methods of dicts and strings.`);
      }
    }
  }

  private test(name: string, v: PyValue): boolean {
    switch (name) {
      case 'defined':
        return !(v instanceof Undefined);
      case 'undefined':
        return v instanceof Undefined;
      case 'none':
        return v === null;
      case 'string':
        return typeof v === 'string' || v instanceof Markup;
      case 'number':
        return typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean';
      case 'mapping':
        return v instanceof Map;
    }
    throw refuse(`sgn does not render the '${name}' test.`);
  }

  private filter(name: string, value: PyValue, args: PyValue[], kwargs: [string, PyValue][], frame: Frame, line: number): PyValue {
    const text = (v: PyValue) => this.str(v, frame, line);
    switch (name) {
      case 'default':
      case 'd': {
        const [, fallback, boolean] = bind(name, [['value', null], ['default_value', ''], ['boolean', false]], [value, ...args], kwargs);
        return value instanceof Undefined || (truthy(boolean) && !truthy(value)) ? fallback : value;
      }
      case 'join': {
        const [, sep, attribute] = bind(name, [['value', null], ['d', ''], ['attribute', null]], [value, ...args], kwargs);
        if (attribute !== null) throw refuse('sgn does not render join(attribute=...).');
        if (value instanceof Undefined) this.undefinedUsed(value, frame, line);
        return pyIter(value).map(text).join(text(sep));
      }
      case 'upper':
      case 'lower':
        bind(name, [['s', null]], [value, ...args], kwargs);
        return pyCase(text(value), name === 'upper');
      case 'trim':
        bind(name, [['value', null]], [value, ...args], kwargs);
        return pyStrip(text(value));
      case 'string':
        bind(name, [['value', null]], [value, ...args], kwargs);
        return value instanceof Markup ? value : text(value);
      case 'length':
      case 'count':
        bind(name, [['value', null]], [value, ...args], kwargs);
        if (value instanceof Undefined) this.undefinedUsed(value, frame, line);
        return pyLen(value);
      case 'replace': {
        const [, old, repl, count] = bind(name, [['s', null], ['old', null], ['new', null], ['count', null]], [value, ...args], kwargs);
        if (old === null && args.length + kwargs.length < 1) throw runtime("do_replace() missing 2 required positional arguments: 'old' and 'new'");
        if (repl === null && args.length + kwargs.length < 2) throw runtime("do_replace() missing 1 required positional argument: 'new'");
        let n = -1n;
        if (count !== null) {
          if (!isInt(count)) throw runtime(`'${typeName(count)}' object cannot be interpreted as an integer`);
          n = toBig(count);
        }
        return pyReplace(text(value), text(old), text(repl), n);
      }
      case 'indent': {
        const [, width, first, blank, indentfirst] = bind(name, [['s', null], ['width', 4n], ['first', false], ['blank', false], ['indentfirst', null]], [value, ...args], kwargs);
        if (value instanceof Undefined) throw undefinedError(value);
        if (typeof value !== 'string' && !(value instanceof Markup)) throw runtime(`unsupported operand type(s) for +=: '${typeName(value)}' and 'str'`);
        if (!isInt(width)) throw runtime(`can't multiply sequence by non-int of type '${typeName(width)}'`);
        const w = toBig(width);
        const indention = ' '.repeat(w < 0n ? 0 : Math.min(Number(w), 10_000));
        const s = (typeof value === 'string' ? value : value.text) + '\n';
        const firstFlag = indentfirst !== null ? truthy(indentfirst) : truthy(first);
        let rv: string;
        if (truthy(blank)) rv = pySplitlines(s).join('\n' + indention);
        else {
          const lines = pySplitlines(s);
          rv = lines.shift()!;
          if (lines.length) rv += '\n' + lines.map((l) => (l ? indention + l : l)).join('\n');
        }
        return firstFlag ? indention + rv : rv;
      }
      case 'tojson': {
        const [, indent] = bind(name, [['value', null], ['indent', null]], [value, ...args], kwargs);
        if (indent !== null) throw refuse('sgn does not render tojson(indent=...).');
        const json = jsonDumps(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027');
        return new Markup(json);
      }
    }
    throw refuse(`sgn does not render the '${name}' filter.`);
  }
}

function pyStrRepr(v: PyValue): string {
  try {
    return typeof v === 'string' ? `'${v}'` : pyStr(v);
  } catch {
    return '?';
  }
}
