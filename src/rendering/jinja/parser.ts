/**
 * Jinja2 2.10's parser (jinja2/parser.py), for the subset sgn renders. It follows Jinja2's
 * grammar and precedence exactly, so that what it accepts means what it means to the deployer;
 * constructs outside the subset (macros, blocks, imports, call/filter blocks, slices, ...) are
 * refused here with a sentence naming them, rather than rendered approximately.
 */
import type { Token } from './lexer.js';
import { JinjaError } from './values.js';

export type Expr =
  | { t: 'const'; value: string | bigint | number | boolean | null; line: number }
  | { t: 'name'; name: string; line: number }
  | { t: 'getattr'; obj: Expr; attr: string; line: number }
  | { t: 'getitem'; obj: Expr; key: Expr; line: number }
  | { t: 'list'; items: Expr[]; line: number }
  | { t: 'tuple'; items: Expr[]; line: number }
  | { t: 'dict'; items: [Expr, Expr][]; line: number }
  | { t: 'filter'; expr: Expr; name: string; args: Expr[]; kwargs: [string, Expr][]; line: number }
  | { t: 'test'; expr: Expr; name: string; args: Expr[]; line: number }
  | { t: 'call'; fn: Expr; args: Expr[]; kwargs: [string, Expr][]; line: number }
  | { t: 'cond'; test: Expr; then: Expr; else?: Expr; line: number }
  | { t: 'bin'; op: string; left: Expr; right: Expr; line: number }
  | { t: 'unary'; op: 'neg' | 'pos' | 'not'; expr: Expr; line: number }
  | { t: 'and' | 'or'; left: Expr; right: Expr; line: number }
  | { t: 'compare'; expr: Expr; ops: [string, Expr][]; line: number }
  | { t: 'concat'; items: Expr[]; line: number };

export type Target = { names: string[]; tuple: boolean };

export type Node =
  | { t: 'data'; text: string; line: number }
  | { t: 'output'; expr: Expr; line: number }
  | { t: 'if'; test: Expr; body: Node[]; else: Node[]; line: number; /** An {% elif %}: Jinja2 keeps these apart from the else branch. */ elif?: boolean }
  | { t: 'for'; target: Target; iter: Expr; body: Node[]; else: Node[]; line: number }
  | { t: 'set'; target: Target; expr: Expr; line: number }
  | { t: 'include'; template: Expr; ignoreMissing: boolean; withContext: boolean; line: number };

/** Jinja2 2.10's built-in filters: a name outside this list is an error in Jinja2 too. */
const knownFilters = new Set(
  'abs attr batch capitalize center count d default dictsort e escape filesizeformat first float forceescape format groupby indent int join last length list lower map max min pprint random reject rejectattr replace reverse round safe select selectattr slice sort string striptags sum title tojson trim truncate unique upper urlencode urlize wordcount wordwrap xmlattr'.split(' '),
);
/** The filters sgn renders (the ones deploy templates use). */
export const supportedFilters = new Set(['default', 'd', 'join', 'upper', 'lower', 'replace', 'indent', 'tojson', 'trim', 'string', 'length', 'count']);
const knownTests = new Set(
  'callable defined divisibleby equalto escaped even ge greaterthan gt in iterable le lessthan lower lt mapping ne none number odd sameas sequence string undefined upper eq == != > >= < <='.split(' '),
);
export const supportedTests = new Set(['defined', 'undefined', 'none', 'string', 'number', 'mapping']);
const statementKeywords = new Set(['for', 'if', 'block', 'extends', 'print', 'macro', 'include', 'from', 'import', 'set', 'with', 'autoescape']);
const compareOps = new Set(['==', '!=', '>', '>=', '<', '<=']);

const tokenNames: Record<string, string> = {
  block_begin: 'begin of statement block',
  block_end: 'end of statement block',
  variable_begin: 'begin of print statement',
  variable_end: 'end of print statement',
  data: 'template data / text',
  eof: 'end of template',
};

class Stream {
  pos = 0;
  constructor(
    readonly tokens: Token[],
    readonly file: string | undefined,
  ) {}
  get current(): Token {
    return this.tokens[this.pos];
  }
  look(): Token {
    return this.tokens[Math.min(this.pos + 1, this.tokens.length - 1)];
  }
  next(): Token {
    const t = this.tokens[this.pos];
    if (t.type !== 'eof') this.pos++;
    return t;
  }
  /** `name:if` tests a name's value, anything else the token type. */
  test(expr: string, t = this.current): boolean {
    if (expr.startsWith('name:')) return t.type === 'name' && t.value === expr.slice(5);
    return t.type === expr;
  }
  skipIf(expr: string): boolean {
    if (!this.test(expr)) return false;
    this.next();
    return true;
  }
  expect(expr: string): Token {
    if (!this.test(expr)) {
      const want = expr.startsWith('name:') ? expr.slice(5) : (tokenNames[expr] ?? expr);
      if (this.current.type === 'eof') throw this.error(`unexpected end of template, expected '${want}'.`);
      throw this.error(`expected token '${want}', got '${describe(this.current)}'`);
    }
    return this.next();
  }
  error(message: string, line = this.current.line): JinjaError {
    return new JinjaError(message, 'syntax', this.file, line);
  }
  refuse(message: string, line = this.current.line): JinjaError {
    return new JinjaError(message, 'refused', this.file, line);
  }
}

function describe(t: Token): string {
  return t.type === 'name' ? t.value : (tokenNames[t.type] ?? t.value);
}

/** Parses a template's tokens into its node tree. */
export function parse(tokens: Token[], file?: string): Node[] {
  const p = new Parser(new Stream(tokens, file));
  return p.subparse(null);
}

class Parser {
  constructor(private readonly s: Stream) {}

  subparse(endTokens: string[] | null): Node[] {
    const body: Node[] = [];
    const s = this.s;
    while (s.current.type !== 'eof') {
      const token = s.current;
      if (token.type === 'data') {
        body.push({ t: 'data', text: token.value, line: token.line });
        s.next();
      } else if (token.type === 'variable_begin') {
        s.next();
        body.push({ t: 'output', expr: this.parseTuple({}), line: token.line });
        s.expect('variable_end');
      } else if (token.type === 'block_begin') {
        s.next();
        if (endTokens && endTokens.some((e) => s.test(e))) return body;
        body.push(this.parseStatement());
        s.expect('block_end');
      } else throw s.error('internal parsing error');
    }
    if (endTokens) {
      const names = endTokens.map((e) => `'${e.slice(5)}'`).join(' or ');
      throw s.error(`Unexpected end of template. Jinja was looking for the following tags: ${names}.`);
    }
    return body;
  }

  parseStatements(endTokens: string[], dropNeedle = false): Node[] {
    this.s.skipIf(':');
    this.s.expect('block_end');
    const body = this.subparse(endTokens);
    if (this.s.current.type === 'eof') throw this.s.error(`Unexpected end of template. Jinja was looking for the following tags: ${endTokens.map((e) => `'${e.slice(5)}'`).join(' or ')}.`);
    if (dropNeedle) this.s.next();
    return body;
  }

  parseStatement(): Node {
    const s = this.s;
    const token = s.current;
    if (token.type !== 'name') throw s.error('tag name expected');
    const name = token.value;
    if (name === 'if') return this.parseIf();
    if (name === 'for') return this.parseFor();
    if (name === 'set') return this.parseSet();
    if (name === 'include') return this.parseInclude();
    if (name === 'print') {
      s.next();
      return { t: 'output', expr: this.parseTuple({}), line: token.line };
    }
    if (statementKeywords.has(name) || name === 'call' || name === 'filter') {
      throw s.refuse(`sgn does not render {% ${name} %} tags: deploy templates are rendered with if, for, set, include and filters only.`);
    }
    throw s.error(`Encountered unknown tag '${name}'.`);
  }

  parseIf(): Node {
    return this.ifChain(this.s.expect('name:if').line);
  }

  /** An if, or the rest of one after an elif (Jinja2 nests it in the else branch; it shares the endif). */
  private ifChain(line: number, elif = false): Node {
    const test = this.parseTuple({ condexpr: false });
    const body = this.parseStatements(['name:elif', 'name:else', 'name:endif']);
    const token = this.s.next();
    let elseBody: Node[] = [];
    if (this.s.test('name:elif', token)) elseBody = [this.ifChain(token.line, true)];
    else if (this.s.test('name:else', token)) elseBody = this.parseStatements(['name:endif'], true);
    return { t: 'if', test, body, else: elseBody, line, ...(elif ? { elif } : {}) };
  }

  parseFor(): Node {
    const s = this.s;
    const line = s.expect('name:for').line;
    const target = this.parseAssignTarget(['name:in']);
    s.expect('name:in');
    const iter = this.parseTuple({ condexpr: false, extraEnd: ['name:recursive'] });
    if (s.test('name:if')) throw s.refuse('sgn does not render loop filters ({% for x in items if ... %}); put an {% if %} inside the loop.');
    if (s.test('name:recursive')) throw s.refuse('sgn does not render recursive loops.');
    const body = this.parseStatements(['name:endfor', 'name:else']);
    const elseBody = s.next().value === 'endfor' ? [] : this.parseStatements(['name:endfor'], true);
    return { t: 'for', target, iter, body, else: elseBody, line };
  }

  parseSet(): Node {
    const s = this.s;
    const line = s.next().line;
    const target = this.parseAssignTarget(null, true);
    if (!s.skipIf('=')) throw s.refuse('sgn does not render block assignments ({% set x %}...{% endset %}); use {% set x = ... %}.');
    return { t: 'set', target, expr: this.parseTuple({}), line };
  }

  parseInclude(): Node {
    const s = this.s;
    const line = s.next().line;
    const template = this.parseExpression(true);
    let ignoreMissing = false;
    if (s.test('name:ignore') && s.test('name:missing', s.look())) {
      ignoreMissing = true;
      s.next();
      s.next();
    }
    let withContext = true;
    if ((s.test('name:with') || s.test('name:without')) && s.test('name:context', s.look())) {
      withContext = s.next().value === 'with';
      s.next();
    }
    return { t: 'include', template, ignoreMissing, withContext, line };
  }

  parseAssignTarget(extraEnd: string[] | null, withNamespace = false): Target {
    const s = this.s;
    if (withNamespace && s.look().type === '.') throw s.refuse('sgn does not render namespace assignments ({% set ns.x = ... %}).');
    const target = this.parseTuple({ simplified: true, extraEnd: extraEnd ?? undefined });
    const names: string[] = [];
    const check = (e: Expr) => {
      if (e.t !== 'name') throw s.error(`can't assign to '${e.t === 'const' ? 'Const' : e.t}'`, e.line);
      if (['true', 'false', 'none', 'True', 'False', 'None'].includes(e.name)) throw s.error("can't assign to 'Const'", e.line);
      names.push(e.name);
    };
    if (target.t === 'tuple') {
      for (const item of target.items) check(item);
      return { names, tuple: true };
    }
    check(target);
    return { names, tuple: false };
  }

  parseExpression(condexpr = true): Expr {
    return condexpr ? this.parseCondexpr() : this.parseOr();
  }

  parseCondexpr(): Expr {
    const line = this.s.current.line;
    let expr1 = this.parseOr();
    while (this.s.skipIf('name:if')) {
      const expr2 = this.parseOr();
      const expr3 = this.s.skipIf('name:else') ? this.parseCondexpr() : undefined;
      expr1 = { t: 'cond', test: expr2, then: expr1, else: expr3, line };
    }
    return expr1;
  }

  parseOr(): Expr {
    let left = this.parseAnd();
    while (this.s.test('name:or')) {
      const line = this.s.next().line;
      left = { t: 'or', left, right: this.parseAnd(), line };
    }
    return left;
  }

  parseAnd(): Expr {
    let left = this.parseNot();
    while (this.s.test('name:and')) {
      const line = this.s.next().line;
      left = { t: 'and', left, right: this.parseNot(), line };
    }
    return left;
  }

  parseNot(): Expr {
    if (this.s.test('name:not')) {
      const line = this.s.next().line;
      return { t: 'unary', op: 'not', expr: this.parseNot(), line };
    }
    return this.parseCompare();
  }

  parseCompare(): Expr {
    const s = this.s;
    const line = s.current.line;
    const expr = this.parseMath1();
    const ops: [string, Expr][] = [];
    for (;;) {
      if (compareOps.has(s.current.type)) {
        const op = s.next().type;
        ops.push([op, this.parseMath1()]);
      } else if (s.skipIf('name:in')) ops.push(['in', this.parseMath1()]);
      else if (s.test('name:not') && s.test('name:in', s.look())) {
        s.next();
        s.next();
        ops.push(['notin', this.parseMath1()]);
      } else break;
    }
    if (ops.length) for (const e of [expr, ...ops.map(([, x]) => x)]) this.noBareCompare(e);
    if (ops.length > 1 && ![expr, ...ops.map(([, x]) => x)].some(notFoldable)) {
      throw this.s.refuse('sgn does not render a chain of comparisons (a < b < c) of constants: Jinja2 2.10 folds it at compile time into the last comparison alone.', line);
    }
    return ops.length ? { t: 'compare', expr, ops, line } : expr;
  }

  /**
   * Jinja2 2.10 writes a comparison into Python without parentheses, so `(a < b) < c` runs as
   * the chain `a < b < c` and `(a < b) + 1` as `a < b + 1`: refuse a comparison used that way.
   */
  private noBareCompare(e: Expr): Expr {
    if (e.t === 'compare') throw this.s.refuse('sgn does not render a comparison (==, <, in, ...) inside another comparison or arithmetic: Jinja2 2.10 drops its parentheses and computes something else.', e.line);
    return e;
  }

  parseMath1(): Expr {
    let left = this.parseConcat();
    while (this.s.current.type === '+' || this.s.current.type === '-') {
      const tok = this.s.next();
      left = { t: 'bin', op: tok.type, left: this.noBareCompare(left), right: this.noBareCompare(this.parseConcat()), line: tok.line };
    }
    return left;
  }

  parseConcat(): Expr {
    const line = this.s.current.line;
    const items = [this.parseMath2()];
    while (this.s.skipIf('~')) items.push(this.parseMath2());
    return items.length === 1 ? items[0] : { t: 'concat', items, line };
  }

  parseMath2(): Expr {
    let left = this.parsePow();
    while (['*', '/', '//', '%'].includes(this.s.current.type)) {
      const tok = this.s.next();
      left = { t: 'bin', op: tok.type, left: this.noBareCompare(left), right: this.noBareCompare(this.parsePow()), line: tok.line };
    }
    return left;
  }

  parsePow(): Expr {
    const left = this.parseUnary();
    if (this.s.current.type === '**') throw this.s.refuse('sgn does not render the ** operator.');
    return left;
  }

  parseUnary(withFilter = true): Expr {
    const s = this.s;
    const tok = s.current;
    let node: Expr;
    if (tok.type === '-' || tok.type === '+') {
      s.next();
      node = { t: 'unary', op: tok.type === '-' ? 'neg' : 'pos', expr: this.noBareCompare(this.parseUnary(false)), line: tok.line };
    } else node = this.parsePrimary();
    node = this.parsePostfix(node);
    if (withFilter) node = this.parseFilterExpr(node);
    return node;
  }

  parsePrimary(): Expr {
    const s = this.s;
    const token = s.current;
    const line = token.line;
    if (token.type === 'name') {
      s.next();
      if (['true', 'false', 'True', 'False'].includes(token.value)) return { t: 'const', value: token.value === 'true' || token.value === 'True', line };
      if (token.value === 'none' || token.value === 'None') return { t: 'const', value: null, line };
      return { t: 'name', name: token.value, line };
    }
    if (token.type === 'string') {
      let value = '';
      while (s.current.type === 'string') value += s.next().value;
      return { t: 'const', value, line };
    }
    if (token.type === 'integer') {
      s.next();
      return { t: 'const', value: BigInt(token.value), line };
    }
    if (token.type === 'float') {
      s.next();
      return { t: 'const', value: Number(token.value), line };
    }
    if (token.type === '(') {
      s.next();
      const node = this.parseTuple({ explicitParentheses: true });
      s.expect(')');
      return node;
    }
    if (token.type === '[') {
      s.next();
      const items: Expr[] = [];
      while (s.current.type !== ']') {
        if (items.length) s.expect(',');
        if (s.current.type === ']') break;
        items.push(this.parseExpression());
      }
      s.expect(']');
      return { t: 'list', items, line };
    }
    if (token.type === '{') {
      s.next();
      const items: [Expr, Expr][] = [];
      while (s.current.type !== '}') {
        if (items.length) s.expect(',');
        if (s.current.type === '}') break;
        const key = this.parseExpression();
        s.expect(':');
        items.push([key, this.parseExpression()]);
      }
      s.expect('}');
      return { t: 'dict', items, line };
    }
    throw s.error(`unexpected '${describe(token)}'`);
  }

  parseTuple(o: { simplified?: boolean; condexpr?: boolean; extraEnd?: string[]; explicitParentheses?: boolean }): Expr {
    const s = this.s;
    let line = s.current.line;
    const parse = o.simplified ? () => this.parsePrimary() : () => this.parseExpression(o.condexpr ?? true);
    const args: Expr[] = [];
    let isTuple = false;
    for (;;) {
      if (args.length) s.expect(',');
      if (this.isTupleEnd(o.extraEnd)) break;
      args.push(parse());
      if (s.current.type === ',') isTuple = true;
      else break;
      line = s.current.line;
    }
    if (!isTuple) {
      if (args.length) return args[0];
      if (!o.explicitParentheses) throw s.error(`Expected an expression, got '${describe(s.current)}'`);
    }
    return { t: 'tuple', items: args, line };
  }

  isTupleEnd(extraEnd?: string[]): boolean {
    const type = this.s.current.type;
    if (type === 'variable_end' || type === 'block_end' || type === ')') return true;
    return extraEnd ? extraEnd.some((e) => this.s.test(e)) : false;
  }

  parsePostfix(node: Expr): Expr {
    for (;;) {
      const type = this.s.current.type;
      if (type === '.' || type === '[') node = this.parseSubscript(node);
      else if (type === '(') node = this.parseCall(node);
      else return node;
    }
  }

  parseFilterExpr(node: Expr): Expr {
    for (;;) {
      const type = this.s.current.type;
      if (type === '|') node = this.parseFilter(node);
      else if (this.s.test('name:is')) node = this.parseTest(node);
      else if (type === '(') node = this.parseCall(node);
      else return node;
    }
  }

  parseSubscript(node: Expr): Expr {
    const s = this.s;
    const token = s.next();
    if (token.type === '.') {
      const attr = s.next();
      if (attr.type === 'name') return { t: 'getattr', obj: node, attr: attr.value, line: token.line };
      if (attr.type !== 'integer') throw s.error('expected name or number', attr.line);
      return { t: 'getitem', obj: node, key: { t: 'const', value: BigInt(attr.value), line: attr.line }, line: token.line };
    }
    const args: Expr[] = [];
    while (s.current.type !== ']') {
      if (args.length) s.expect(',');
      if (s.current.type === ':' ) throw s.refuse('sgn does not render slices (x[a:b]).');
      args.push(this.parseExpression());
      if (s.current.type === ':') throw s.refuse('sgn does not render slices (x[a:b]).');
    }
    s.expect(']');
    if (args.length === 0) throw s.error("expected an expression, got ']'");
    return { t: 'getitem', obj: node, key: args.length === 1 ? args[0] : { t: 'tuple', items: args, line: token.line }, line: token.line };
  }

  parseCallArgs(): { args: Expr[]; kwargs: [string, Expr][] } {
    const s = this.s;
    const token = s.expect('(');
    const args: Expr[] = [];
    const kwargs: [string, Expr][] = [];
    let requireComma = false;
    while (s.current.type !== ')') {
      if (requireComma) {
        s.expect(',');
        if (s.current.type === ')') break;
      }
      if (s.current.type === '*' || s.current.type === '**') throw s.refuse('sgn does not render *args or **kwargs in calls.');
      if (s.current.type === 'name' && s.look().type === '=') {
        const key = s.next().value;
        s.next();
        kwargs.push([key, this.parseExpression()]);
      } else {
        if (kwargs.length) throw s.error('invalid syntax for function call expression', token.line);
        args.push(this.parseExpression());
      }
      requireComma = true;
    }
    s.expect(')');
    return { args, kwargs };
  }

  parseCall(node: Expr): Expr {
    const line = this.s.current.line;
    const { args, kwargs } = this.parseCallArgs();
    return { t: 'call', fn: node, args, kwargs, line };
  }

  parseFilter(node: Expr): Expr {
    const s = this.s;
    while (s.current.type === '|') {
      s.next();
      const token = s.expect('name');
      let name = token.value;
      while ((s.current.type as string) === '.') {
        s.next();
        name += '.' + s.expect('name').value;
      }
      if (!knownFilters.has(name)) throw s.error(`no filter named '${name}'`, token.line);
      if (!supportedFilters.has(name)) throw s.refuse(`sgn does not render the '${name}' filter; the filters it renders are ${[...supportedFilters].join(', ')}.`, token.line);
      const { args, kwargs } = (s.current.type as string) === '(' ? this.parseCallArgs() : { args: [], kwargs: [] };
      node = { t: 'filter', expr: node, name, args, kwargs, line: token.line };
    }
    return node;
  }

  parseTest(node: Expr): Expr {
    const s = this.s;
    const token = s.next();
    const negated = s.skipIf('name:not');
    let name = s.expect('name').value;
    while (s.current.type === '.') {
      s.next();
      name += '.' + s.expect('name').value;
    }
    let args: Expr[] = [];
    if (s.current.type === '(') {
      const call = this.parseCallArgs();
      if (call.kwargs.length) throw s.refuse('sgn does not render keyword arguments of tests.');
      args = call.args;
    } else if (['name', 'string', 'integer', 'float', '(', '[', '{'].includes(s.current.type) && !['name:else', 'name:or', 'name:and'].some((e) => s.test(e))) {
      if (s.test('name:is')) throw s.error('You cannot chain multiple tests with is');
      args = [this.parsePrimary()];
    }
    if (!knownTests.has(name)) throw s.error(`no test named '${name}'`, token.line);
    if (!supportedTests.has(name)) throw s.refuse(`sgn does not render the '${name}' test; the tests it renders are ${[...supportedTests].join(', ')}.`, token.line);
    if (args.length) throw s.refuse(`sgn does not render arguments to the '${name}' test.`, token.line);
    const test: Expr = { t: 'test', expr: node, name, args, line: token.line };
    return negated ? { t: 'unary', op: 'not', expr: test, line: token.line } : test;
  }
}

/**
 * True when Jinja2 2.10's constant folding (nodes' as_const) surely fails on `e`: it reads a
 * variable or calls something. Anything else may fold, so this errs towards "may fold".
 */
function notFoldable(e: Expr): boolean {
  switch (e.t) {
    case 'name':
    case 'call':
      return true;
    case 'getattr':
      return notFoldable(e.obj);
    case 'getitem':
      return notFoldable(e.obj) || notFoldable(e.key);
    case 'list':
    case 'tuple':
    case 'concat':
      return e.items.some(notFoldable);
    case 'dict':
      return e.items.some(([k, v]) => notFoldable(k) || notFoldable(v));
    case 'filter':
      return notFoldable(e.expr) || e.args.some(notFoldable) || e.kwargs.some(([, v]) => notFoldable(v));
    case 'test':
      return notFoldable(e.expr) || e.args.some(notFoldable);
    case 'bin':
      return notFoldable(e.left) || notFoldable(e.right);
    case 'unary':
      return notFoldable(e.expr);
    case 'and':
    case 'or':
      return notFoldable(e.left);
    case 'cond':
      return notFoldable(e.test);
    case 'compare':
      return notFoldable(e.expr) || e.ops.some(([, x]) => notFoldable(x));
    case 'const':
      return false;
  }
}
