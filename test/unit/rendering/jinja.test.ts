import assert from 'node:assert/strict';
import { JinjaEnvironment } from '../../../src/rendering/jinja/engine.js';
import { JinjaError, type PyValue } from '../../../src/rendering/jinja/values.js';
import { loadYaml } from '../../../src/rendering/yaml.js';

function render(templates: Record<string, string>, values = '', main = Object.keys(templates)[0]): string {
  const parsed = loadYaml(values);
  const vars = new Map<string, PyValue>();
  if (parsed instanceof Map) for (const [k, v] of parsed) vars.set(String(k), v);
  return new JinjaEnvironment({ load: (name) => templates[name] }).render(main, vars);
}

// Expected texts are Python Jinja2 2.10.3's output with the deployer's options (trim_blocks,
// lstrip_blocks) for the same template and YAML values; the differential suite checks thousands more.
const pinned: [string, string, string, string][] = [
  ["if/elif/else on their own lines", "{% if a %}\n  yes\n{% elif b %}\n  b\n{% else %}\n  no\n{% endif %}\n", "a: false\nb: 1\n", "  b\n"],
  ["for with loop.index, loop.length, loop.last and else", "{% for x in xs %}\n- {{ loop.index }}/{{ loop.length }} {{ x }}{% if not loop.last %},{% endif %}\n{% else %}\nnone\n{% endfor %}\n", "xs: [a, 2, 1.0, true, null]\n", "- 1/5 a,- 2/5 2,- 3/5 1.0,- 4/5 True,- 5/5 None"],
  ["set, ~ and integer arithmetic", "{% set n = 3 %}{% set s = 'x' ~ n %}{{ s }} {{ n + 1 }} {{ n * 2 }} {{ 7 // 2 }} {{ -7 % 3 }} {{ 1 / 2 }}", "", "x3 4 6 3 2 0.5"],
  ["default, with boolean and on None", "{{ missing | default('d') }} {{ '' | default('e', true) }} {{ none | default('f') }}", "", "d e None"],
  ["join, upper, lower, replace, trim", "{{ xs | join(', ') }}|{{ 'abc' | upper }}|{{ 'ABC' | lower }}|{{ 'a-b-c' | replace('-', '_') }}|{{ '  t  ' | trim }}", "xs: [1, b, 2.5]\n", "1, b, 2.5|ABC|abc|a_b_c|t"],
  ["indent (blank lines kept empty; first=true)", "env:\n  {{ block | indent(2) }}\n{{ block | indent(4, true) }}", "block: \"a: 1\\nb:\\n\\n  c: 2\"\n", "env:\n  a: 1\n  b:\n\n    c: 2\n    a: 1\n    b:\n\n      c: 2"],
  ["tojson: sorted keys, HTML-safe escapes, Python floats", "{{ d | tojson }} {{ 'it\\'s <b>' | tojson }} {{ [1, 2.0, none, true] | tojson }}", "d: {b: 1, a: [x, y]}\n", "{\"a\": [\"x\", \"y\"], \"b\": 1} \"it\\u0027s \\u003cb\\u003e\" [1, 2.0, null, true]"],
  ["whitespace control with - and comments (lstripped and trimmed)", "a  {{- ' b ' -}}  c\n  {%- if true %}\n    d\n  {% endif -%}\n\ne {# comment #}\n  {# own line #}\nf", "", "a b c    d\ne f"],
  ["Python printing of dicts, lists, yes, 1.0, None, undefined", "{{ d }} {{ xs }} {{ t }} {{ f }} {{ n }} {{ u }}", "d: {k: v, n: 1}\nxs: [a, 'b c']\nt: yes\nf: 1.0\nn: ~\n", "{'k': 'v', 'n': 1} ['a', 'b c'] True 1.0 None "],
  ["raw, and {%+ turning lstrip off", "{% raw %}{{ not rendered }}{% endraw %}\n{%+ if true %}kept{% endif %}", "", "{{ not rendered }}kept"],
  ["a chain of comparisons with a variable: Python's chain", "{{ 'a' < name < 'b' }} {{ 'a' < name < 'x' }}", "name: web\n", "False True"],
  ["in on a dict's views: keys and items look up by key, values compare", "{{ 'a' in d.keys() }} {{ ('a', 1) in d.items() }} {{ [1, 2] in d.items() }} {{ [1] in d.values() }} {{ (1, [2]) in d.items() }} {{ d.values() in d }}", "d: {a: 1}\n", "True True False False False False"],
  ["a container equals itself even holding NaN (Python compares items by identity first; seed 730036)", "{{ d == d }} {{ l == l }} {{ n == n }} {{ d != d }}", "d: {a: .nan}\nl: [.nan]\nn: .nan\n", "True True False False"],
  ["dict.items() in a loop keeps YAML order", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "d: {b: 2, a: 1}\n", "b=2;a=1;"],
];

describe('Jinja2 engine: the features deploy templates use, as Jinja2 2.10 renders them', () => {
  for (const [name, source, values, expected] of pinned) {
    it(`Given ${name}, When rendered, Then the text is Jinja2's`, () => {
      assert.equal(render({ 'deploy/t.yml': source }, values), expected);
    });
  }

  it('Given an include, When rendered, Then the included template sees the context and loop variables but not `loop`, and its trailing newline is dropped', () => {
    const out = render({ 'main.yml': "{% for x in [1, 2] %}{% include 'part.yml' %}{% endfor %}", 'part.yml': '[{{ x }}{{ name }}{{ loop is defined }}]\n' }, 'name: n\n');
    assert.equal(out, '[1nFalse][2nFalse]');
  });

  // Outputs of Jinja2 2.10.3 for the same templates with a=1, b=7, c=8 (its idtracking quirks).
  for (const [source, expected] of [
    ['{% for i in [1] %}{{ a }}{% endfor %}{% set a = 2 %}{{ a }}', '2'],
    ['{{ a }}{% for i in [1] %}{{ a }}{% endfor %}{% set a = 2 %}{{ a }}', '112'],
    ['{% if true %}{{ a }}{% endif %}{% set a = 2 %}', '1'],
    ['{% for i in [1] %}{% for j in [1] %}{{ b }}{% endfor %}{% set b = 5 %}{% endfor %}', ''],
    ['{% for i in [1,2] %}{% for j in [1] %}{{ c }}{% endfor %}{% set c = 5 %}{% endfor %}{% set c = 9 %}', ''],
    ['{% for x in [] %}{% else %}{% set a = 5 %}{% endfor %}{{ a }}', '1'],
    ['{% if false %}{% set a = 5 %}{% endif %}{% for i in [1] %}{{ a }}{% endfor %}', '1'],
  ] as const) {
    it(`Given ${source}, When rendered, Then Jinja2 2.10's scoping: ${JSON.stringify(expected)}`, () => {
      assert.equal(render({ t: source }, 'a: 1\nb: 7\nc: 8\n'), expected);
    });
  }

  it('Given a set inside a loop, When rendered, Then it does not outlive the iteration (Jinja2 2.10 scoping)', () => {
    assert.equal(render({ t: '{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}' }), '12121');
  });

  for (const [construct, source] of [
    ['macros', '{% macro m() %}x{% endmacro %}'],
    ['an unsupported filter', '{{ name | title }}'],
    ['slices', '{{ name[1:] }}'],
    ['the ** operator', '{{ 2 ** 3 }}'],
    ['%-formatting', "{{ '%s' % name }}"],
    ['a method sgn does not know', '{{ name.zfill(3) }}'],
    ['printing a method', '{{ d.items }}'],
    ['a comparison inside arithmetic (Jinja2 2.10 drops its parentheses)', '{{ (name == "web") + 1 }}'],
    ['a comparison inside a comparison', '{{ "w" in (name >= none) }}'],
    ['a chain of comparisons of constants (Jinja2 2.10 folds it into its last comparison: seed 267698)', "{% if '' > '' != false %}x{% endif %}"],
    ['set arithmetic on keys() (seed 117214)', "{{ d.keys() - ['a'] }}"],
    ['set arithmetic on keys() with an undefined operand (seed 55555)', '{{ d.keys() - missing }}'],
  ] as const) {
    it(`Given ${construct}, When rendered, Then sgn refuses with a sentence naming it (rather than render something else)`, () => {
      assert.throws(() => render({ t: source }, 'name: web\nd: {a: 1}\n'), (e: unknown) => e instanceof JinjaError && e.kind === 'refused' && e.message.startsWith('sgn does not'));
    });
  }

  it('Given an undefined variable with an attribute, When rendered, Then it fails as Jinja2 does (UndefinedError), with file and line', () => {
    assert.throws(() => render({ 'deploy/x.yml': 'a\n{{ nothing.here }}' }), (e: unknown) => e instanceof JinjaError && e.kind === 'undefined' && e.file === 'deploy/x.yml' && e.line === 2);
  });

  it('Given an undefined value printed, When rendered with a hook, Then the hook hears of it and the text has nothing there', () => {
    const seen: string[] = [];
    const env = new JinjaEnvironment({ load: () => 'x={{ nope }}' }, { onUndefined: (m, f, l) => seen.push(`${f}:${l} ${m}`) });
    assert.equal(env.render('t', new Map()), 'x=');
    assert.deepEqual(seen, ["t:1 'nope' is undefined"]);
  });
});

describe('Jinja2 engine: membership needs a hashable key where Python hashes it (seeds 55555, 206894)', () => {
  for (const [source, type] of [['{{ [1] in d.keys() }}', 'list'], ['{{ ([1], 2) in d.items() }}', 'list'], ['{{ ([1],) in d }}', 'list'], ["{{ ['p', 'q'] in d }}", 'list'], ['{{ (d,) in d }}', 'dict'], ['{{ d.keys() in d }}', 'dict_keys']] as const) {
    it(`Given ${source}, When rendered, Then it fails as Jinja2 2.10 does: unhashable type: '${type}'`, () => {
      assert.throws(() => render({ t: source }, 'd: {a: 1}\n'), (e: unknown) => e instanceof JinjaError && e.kind === 'runtime' && e.message === `unhashable type: '${type}'`);
    });
  }
});

describe('Jinja2 engine: repeating text by a count beyond a C ssize_t (seed 547411)', () => {
  it("Given '' * 100000000000000000000, When rendered, Then it fails as Python does (OverflowError), not an empty text", () => {
    assert.throws(() => render({ t: "{{ f * '' }}" }, 'f: 100000000000000000000\n'), (e: unknown) => e instanceof JinjaError && e.kind === 'runtime' && e.message === "cannot fit 'int' into an index-sized integer");
    assert.equal(render({ t: "{{ f * '' }}|{{ -f * 'x' }}" }, 'f: 9223372036854775807\n'), '|');
  });
});

describe('Jinja2 engine: NaN inside containers (Python compares their items by identity first)', () => {
  it('Given two lists holding NaN, When compared or searched, Then sgn refuses rather than guess which NaN objects are the same', () => {
    for (const t of ['{{ [n] == [n] }}', '{{ n in [n] }}']) {
      assert.throws(() => render({ t }, 'n: .nan\n'), (e: unknown) => e instanceof JinjaError && e.kind === 'refused' && e.message.startsWith('sgn does not compare lists or dicts that hold NaN'));
    }
  });
});
