/**
 * Jinja2 2.10's variable scoping (jinja2/idtracking.py), as far as it shows in output. Each
 * frame (the template's top level, each for body, each for-else) gives every name it reads or
 * assigns a local, initialised when the frame starts: from the context when the frame's first use
 * of the name (in source order) is a read, or to "missing" when it is an assignment. So a name
 * assigned at the top level *after* a loop reads as undefined inside that loop, even when the
 * render values hold it; a loop body assigning a name its enclosing frames never mention does the
 * same to loops nested in it. This module finds those names per frame; the engine binds them to
 * MISSING when the frame starts.
 */
import type { Expr, Node } from './parser.js';
import { JinjaError } from './values.js';

interface Analysis {
  /** Names bound to "missing" when the frame starts. */
  missing: Set<string>;
  /** Every name the frame reads or assigns (what nested frames alias). */
  refs: Set<string>;
}

function exprNames(e: Expr, out: string[]): void {
  switch (e.t) {
    case 'const':
      return;
    case 'name':
      out.push(e.name);
      return;
    case 'getattr':
      return exprNames(e.obj, out);
    case 'getitem':
      exprNames(e.obj, out);
      return exprNames(e.key, out);
    case 'list':
    case 'tuple':
    case 'concat':
      for (const x of e.items) exprNames(x, out);
      return;
    case 'dict':
      for (const [k, v] of e.items) {
        exprNames(k, out);
        exprNames(v, out);
      }
      return;
    case 'filter':
      exprNames(e.expr, out);
      for (const a of e.args) exprNames(a, out);
      for (const [, a] of e.kwargs) exprNames(a, out);
      return;
    case 'test':
      exprNames(e.expr, out);
      for (const a of e.args) exprNames(a, out);
      return;
    case 'call':
      exprNames(e.fn, out);
      for (const a of e.args) exprNames(a, out);
      for (const [, a] of e.kwargs) exprNames(a, out);
      return;
    case 'cond':
      exprNames(e.then, out);
      exprNames(e.test, out);
      if (e.else) exprNames(e.else, out);
      return;
    case 'bin':
    case 'and':
    case 'or':
      exprNames(e.left, out);
      return exprNames(e.right, out);
    case 'unary':
      return exprNames(e.expr, out);
    case 'compare':
      exprNames(e.expr, out);
      for (const [, x] of e.ops) exprNames(x, out);
      return;
  }
}

class FrameState {
  refs: Set<string>;
  missing: Set<string>;
  stores: Set<string>;
  constructor(
    readonly parentRefs: ReadonlySet<string> | undefined,
    from?: FrameState,
  ) {
    this.refs = new Set(from?.refs);
    this.missing = new Set(from?.missing);
    this.stores = new Set(from?.stores);
  }
  load(name: string): void {
    this.refs.add(name);
  }
  store(name: string): void {
    this.stores.add(name);
    if (this.refs.has(name)) return;
    this.refs.add(name);
    // A loop frame aliases a name its enclosing frames know; otherwise it starts missing.
    if (!this.parentRefs?.has(name)) this.missing.add(name);
  }
}

function visit(nodes: Node[], st: FrameState, file: string | undefined): void {
  const loads = (e: Expr) => {
    const names: string[] = [];
    exprNames(e, names);
    for (const n of names) st.load(n);
  };
  for (const node of nodes) {
    switch (node.t) {
      case 'output':
        loads(node.expr);
        break;
      case 'set':
        loads(node.expr);
        for (const n of node.target.names) st.store(n);
        break;
      case 'for':
        loads(node.iter);
        break;
      case 'include':
        loads(node.template);
        break;
      case 'if': {
        loads(node.test);
        // Jinja2's three branches: the body, every elif, and the final else.
        const elifs: Node[] = [];
        let last = node;
        while (last.else.length === 1 && last.else[0].t === 'if' && last.else[0].elif) {
          last = last.else[0];
          elifs.push(last);
        }
        const branches = [node.body, elifs, last.else].map((b) => {
          const copy = new FrameState(st.parentRefs, st);
          if (b === elifs) {
            for (const e of elifs) if (e.t === 'if') {
              const names: string[] = [];
              exprNames(e.test, names);
              for (const n of names) copy.load(n);
              const inner = new FrameState(copy.parentRefs, copy);
              visit(e.body, inner, file);
              for (const n of inner.stores) if (!copy.stores.has(n)) copy.stores.add(n);
              for (const n of inner.refs) copy.refs.add(n);
              // Inside an elif's own branches, a store is partial: it resolves.
            }
          } else visit(b, copy, file);
          return copy;
        });
        const counts = new Map<string, number>();
        for (const b of branches) for (const n of b.stores) if (!st.stores.has(n)) counts.set(n, (counts.get(n) ?? 0) + 1);
        for (const b of branches) for (const n of b.refs) st.refs.add(n);
        for (const [n, count] of counts) {
          st.stores.add(n);
          if (count === 3 && !st.missing.has(n) && branches.some((b) => b.missing.has(n))) {
            throw new JinjaError(`sgn does not render a variable ("${n}") first assigned in every branch of an if/elif/else: Jinja2 2.10's scoping of it depends on details sgn does not reproduce.`, 'refused', file, node.line);
          }
        }
        break;
      }
      case 'data':
        break;
    }
  }
}

const cache = new WeakMap<Node[], Analysis>();

/** The scoping of a frame's nodes, given the names its enclosing frames know (none at the top level). */
export function analyzeFrame(nodes: Node[], parentRefs: ReadonlySet<string> | undefined, params: string[] = [], file?: string): Analysis {
  const hit = cache.get(nodes);
  if (hit) return hit;
  const st = new FrameState(parentRefs);
  // A loop's target and `loop` are its parameters: known from the start, never missing.
  for (const p of params) st.refs.add(p);
  visit(nodes, st, file);
  const result = { missing: st.missing, refs: st.refs };
  cache.set(nodes, result);
  return result;
}
