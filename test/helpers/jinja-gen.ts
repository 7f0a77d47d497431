import type { OracleCase } from './jinja-oracle.js';

/**
 * Random deploy-like Jinja2 templates and YAML values, from a seed (the same seed gives the same
 * cases, so a failure printed with its seed replays). They mix what deploy templates use (output,
 * if/elif/else, for with loop.*, set, include, comments, raw, default/join/upper/lower/replace/
 * indent/tojson/trim, tests, comparisons) with the whitespace that trim_blocks/lstrip_blocks and
 * the `-`/`+` markers act on, undefined names, wrong types, and a few constructs sgn refuses.
 */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof rng>;

const scalarYaml = [
  'web', '"quoted value"', "'single'", 'hello world', '3', '0', '-7', '2.5', '1.0', '1e3', '1.5e+3', '0.1', '100000000000000000000', '12345678901234567890.5',
  'true', 'false', 'yes', 'no', 'on', 'off', 'null', '~', '""', "''", '010', '0o17', '0x1F', '1_000', '.inf', '-.inf', '.nan',
  '"a\\tb"', '"line1\\nline2"', '"<b>&\'"', '"ünïcödé"', '"日本"', '"x: y"', '"  padded  "', '"O\'Neil"', '"say \\"hi\\""', 'v1.2.3', 'git-3f9c2a1', '"   "',
];
const names = ['a', 'b', 'c', 'name', 'items', 'env', 'flag', 'n', 'f', 'd', 'lst', 'missing', 'image', 'ports'];

function genValues(r: Rng): string {
  const lines: string[] = [];
  for (const name of names) {
    if (name === 'missing' || r.chance(0.15)) continue;
    const kind = name === 'lst' || name === 'ports' ? 'list' : name === 'd' || name === 'env' ? 'map' : r.pick(['scalar', 'scalar', 'scalar', 'list', 'map']);
    if (kind === 'scalar') lines.push(`${name}: ${r.pick(scalarYaml)}`);
    else if (kind === 'list') {
      if (r.chance(0.2)) lines.push(`${name}: []`);
      else if (r.chance(0.3)) lines.push(`${name}: [${Array.from({ length: 1 + r.int(3) }, () => r.pick(scalarYaml)).join(', ')}]`);
      else {
        lines.push(`${name}:`);
        for (let i = 0, n = 1 + r.int(4); i < n; i++) lines.push(`  - ${r.pick(scalarYaml)}`);
      }
    } else {
      if (r.chance(0.15)) lines.push(`${name}: {}`);
      else {
        lines.push(`${name}:`);
        const keys = ['a', 'b', 'key', 'name', 'port', 'items', 'k-1', 'Z'];
        for (let i = 0, n = 1 + r.int(4); i < n; i++) lines.push(`  ${r.pick(keys)}: ${r.pick(scalarYaml)}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

const literals = ['1', '0', '-2', '2.5', '1.0', "'x'", '"y z"', "'a,b'", "''", 'true', 'false', 'none', 'None', 'True', '[1, 2]', "['p', 'q']", "{'k': 1}", '(1, 2)', "'\\n'", "'\\t'", "'it''s'"];

function genExpr(r: Rng, depth = 0): string {
  const atom = (): string => {
    const k = r.int(10);
    if (k < 4) return r.pick(names) + (r.chance(0.2) ? r.pick(['.a', '.name', '.key', '[0]', "['a']", '.0', '[-1]', '.items()', '.keys()', '.values()', ".get('a')", ".get('zz', 'dflt')", '.upper()', '.split(",")', '.strip()']) : '');
    if (k < 7) return r.pick(literals);
    if (k < 8 && (loopDepth > 0 || wild)) return 'loop.' + r.pick(['index', 'index0', 'first', 'last', 'length', 'revindex']);
    return r.pick(names);
  };
  if (depth > 2) return atom();
  const k = r.int(18);
  if (k < 5) return atom();
  if (k < 9) return `${genExpr(r, depth + 1)}|${genFilter(r)}`;
  if (k < 10) return `${genExpr(r, depth + 1)} ${r.pick(['==', '!=', '<', '>', '<=', '>=', 'in', 'not in'])} ${genExpr(r, depth + 1)}`;
  if (k < 11) return `${genExpr(r, depth + 1)} ${r.pick(['and', 'or'])} ${genExpr(r, depth + 1)}`;
  if (k < 12) return `not ${genExpr(r, depth + 1)}`;
  if (k < 13) return `${genExpr(r, depth + 1)} is ${r.pick(['defined', 'undefined', 'none', 'string', 'number', 'mapping', 'not defined', 'not none'])}`;
  if (k < 14) return `${genExpr(r, depth + 1)} ~ ${genExpr(r, depth + 1)}`;
  if (k < 15) return `${genExpr(r, depth + 1)} ${r.pick(['+', '-', '*', '//', '%', '/'])} ${genExpr(r, depth + 1)}`;
  if (!wild && k === 17) return atom();
  if (k < 16 && !noCond) return `${genExpr(r, depth + 1)} if ${genExpr(r, depth + 1)}${r.chance(0.7) ? ` else ${genExpr(r, depth + 1)}` : ''}`;
  if (k < 17) return `(${genExpr(r, depth + 1)})`;
  return `-${atom()}`;
}

function genFilter(r: Rng): string {
  if (!wild || r.chance(0.85)) return r.pick(supportedFilterCalls);
  return r.pick(['title', 'capitalize', 'int', 'first', 'sort', 'tojson(2)', 'center(9)']);
}

const supportedFilterCalls = [
    'default', "default('dflt')", "default('dflt', true)", 'd(3)', "default(none)", 'join', "join(', ')", "join('-')", 'upper', 'lower', "replace('a', 'b')", "replace('', '-')",
    "replace('e', 'E', 1)", 'indent', 'indent(2)', 'indent(2, true)', 'indent(4, first=true)', 'indent(2, blank=true)', 'indent(width=6)', 'tojson', 'trim', 'string', 'length', 'count',
];

/** A wild case also has malformed tags, stray braces and constructs sgn refuses; a tame one is what a deploy template looks like. */
let wild = false;
/** Inside a for loop (`loop` is defined); in an if/for header (no inline if there). */
let loopDepth = 0;
let noCond = false;
const header = (make: () => string) => {
  noCond = !wild;
  const text = make();
  noCond = false;
  return text;
};

const before = ['', '', '\n', '\n  ', '  ', '\t', 'x ', '\n\n', ' \n '];
const after = ['', '', '\n', '\n\n', ' \n', '  x', '\nkey: '];
const tameData = ['key: ', 'value', '\n', '  ', '- item\n', ' ', 'a: b\n  c: d\n', '\t', '#', '%', '-', '', 'name: app\n', '    '];
const wildData = ['{', '}', 'x{{', '{%', '%}', '}}', '{#'];

function open(r: Rng, kind: '%' | '{' | '#'): string {
  const marker = r.pick(['', '', '', '-', kind === '{' ? '' : '+']);
  return (kind === '%' ? '{%' : kind === '{' ? '{{' : '{#') + marker + r.pick([' ', ' ', '', '  ']);
}
function close(r: Rng, kind: '%' | '{' | '#'): string {
  const marker = r.pick(['', '', '', '-']);
  return r.pick([' ', ' ', '']) + marker + (kind === '%' ? '%}' : kind === '{' ? '}}' : '#}');
}
const block = (r: Rng, body: string) => r.pick(before) + open(r, '%') + body + close(r, '%') + r.pick(after);

function genBody(r: Rng, depth: number, includes: string[]): string {
  let out = '';
  for (let i = 0, n = 1 + r.int(5); i < n; i++) {
    const k = r.int(20);
    if (k < 5) out += wild && r.chance(0.2) ? r.pick(wildData) : r.pick(tameData);
    else if (k < 10) out += r.pick(before) + open(r, '{') + genExpr(r) + close(r, '{') + r.pick(after);
    else if (k < 12 && depth < 3) {
      out += block(r, header(() => `if ${genExpr(r)}`)) + genBody(r, depth + 1, includes);
      if (r.chance(0.3)) out += block(r, header(() => `elif ${genExpr(r)}`)) + genBody(r, depth + 1, includes);
      if (r.chance(0.4)) out += block(r, 'else') + genBody(r, depth + 1, includes);
      out += block(r, 'endif');
    } else if (k < 14 && depth < 3) {
      const target = r.pick(['x', 'x', 'k, v', 'item']);
      const iter = target === 'k, v' ? r.pick(['d.items()', 'env.items()', "{'a': 1, 'b': 2}.items()", 'lst', 'd']) : r.pick(['lst', 'ports', 'd', 'env', 'name', '[1, 2, 3]', 'missing', 'n', 'd.keys()']);
      loopDepth++;
      out += block(r, `for ${target} in ${iter}`) + genBody(r, depth + 1, includes);
      loopDepth--;
      if (r.chance(0.2)) out += block(r, 'else') + genBody(r, depth + 1, includes);
      out += block(r, 'endfor');
    } else if (k < 16) out += block(r, `set ${r.pick(['a', 'n', 'tmp', 'x', 'a, b'])} = ${genExpr(r)}`);
    else if (k < 17) out += r.pick(before) + open(r, '#') + r.pick(['note', ' a comment ', 'multi\nline', '{{ not }}', '']) + close(r, '#') + r.pick(after);
    else if (k < 18) out += block(r, 'raw') + r.pick(['{{ raw }}', 'text\n', ' {% if %} ', '']) + block(r, 'endraw');
    else if (k < 19 && includes.length) out += block(r, `include '${r.pick(includes)}'${r.pick(['', '', ' ignore missing', ' without context'])}`);
    else if (!wild) out += r.pick(tameData);
    else out += r.pick(['{% macro m() %}x{% endmacro %}', '{{ lst[1:] }}', '{{ 2 ** 3 }}', '{{ range(3)|join }}', '{% filter upper %}x{% endfilter %}', '{{ "%s"|format(1) }}', '{{ a.__class__ }}', '{% if %}', '{{ }}', '{% endif %}', '{{ a b }}']);
  }
  return out;
}

/** One case: a main template (maybe including helpers) and its values. */
export function genCase(r: Rng): OracleCase {
  wild = r.chance(0.3);
  const templates: Record<string, string> = {};
  const includes = r.chance(0.3) ? ['deploy/_helpers.tpl', 'deploy/labels.yml'] : [];
  for (const inc of includes) templates[inc] = genBody(r, 2, []) + r.pick(['', '\n', '\n\n']);
  if (includes.length && r.chance(0.3)) includes.push('deploy/nothere.yml');
  templates['deploy/main.yml'] = genBody(r, 0, includes) + r.pick(['', '\n', '\n\n', ' \n']);
  return { templates, main: 'deploy/main.yml', values: genValues(r) };
}
