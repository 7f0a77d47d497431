/**
 * YAML as the deployer reads it: PyYAML's `yaml.load` (FullLoader, YAML 1.1: `yes`/`on` are
 * booleans, `010` is octal, duplicate keys keep the last value, `<<` merges). The `yaml` package
 * with its 1.1 schema does the parsing; ints stay bigint and maps stay Maps so that templates see
 * Python's values (values.ts).
 */
import { parseAllDocuments, parseDocument, stringify, type DocumentOptions, type ParseOptions, type ScalarTag, type SchemaOptions, type ToJSOptions } from 'yaml';
import { fromYaml, type PyValue } from './jinja/values.js';

// PyYAML's implicit resolvers (yaml/resolver.py), which differ from the `yaml` package's 1.1
// schema: no y/n booleans, a float needs a dot and a signed exponent, `09` is a string.
const sexagesimal = (s: string) => s.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
const pyScalars: ScalarTag[] = [
  { tag: 'tag:yaml.org,2002:null', default: true, test: /^(?:~|null|Null|NULL|)$/, resolve: () => null },
  { tag: 'tag:yaml.org,2002:bool', default: true, test: /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/, resolve: () => true },
  { tag: 'tag:yaml.org,2002:bool', default: true, test: /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/, resolve: () => false },
  {
    tag: 'tag:yaml.org,2002:int',
    default: true,
    test: /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
    resolve: (raw: string) => {
      let v = raw.replace(/_/g, '');
      let sign = 1n;
      if (v[0] === '-') sign = -1n;
      if (v[0] === '-' || v[0] === '+') v = v.slice(1);
      if (v === '0') return 0n;
      if (v.startsWith('0b')) return sign * BigInt(v);
      if (v.startsWith('0x')) return sign * BigInt(v);
      if (v[0] === '0') return sign * BigInt('0o' + v.slice(1));
      if (v.includes(':')) return sign * v.split(':').reduce((acc, part) => acc * 60n + BigInt(part), 0n);
      return sign * BigInt(v);
    },
  },
  {
    tag: 'tag:yaml.org,2002:float',
    default: true,
    test: /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
    resolve: (raw: string) => {
      let v = raw.replace(/_/g, '').toLowerCase();
      let sign = 1;
      if (v[0] === '-') sign = -1;
      if (v[0] === '-' || v[0] === '+') v = v.slice(1);
      if (v === '.inf') return sign * Infinity;
      if (v === '.nan') return NaN;
      if (v.includes(':')) return sign * sexagesimal(v);
      return sign * Number(v);
    },
  },
  {
    tag: 'tag:yaml.org,2002:timestamp',
    default: true,
    test: /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
    resolve: (raw: string) => new Date(raw),
  },
];
const scalarTagNames = new Set(['tag:yaml.org,2002:null', 'tag:yaml.org,2002:bool', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:timestamp']);

const options: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  intAsBigInt: true,
  uniqueKeys: false,
  merge: true,
  prettyErrors: false,
  customTags: (tags) => [...pyScalars, ...tags.filter((t) => typeof t === 'string' || !scalarTagNames.has(t.tag))],
};
const toJs: ToJSOptions = { mapAsMap: true, maxAliasCount: 1000 };

export class YamlError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'YamlError';
  }
}

function lineOf(text: string, offset: number | undefined): number | undefined {
  return offset === undefined ? undefined : text.slice(0, offset).split('\n').length;
}

/** One YAML document as the deployer's `yaml.load` returns it (more than one is an error there too). */
export function loadYaml(text: string): PyValue {
  // PyYAML refuses tabs where indentation is expected (a ScannerError); so does `yaml`, mostly.
  const docs = parseAllDocuments(text, options);
  if (!Array.isArray(docs)) return null;
  if (docs.length > 1) throw new YamlError('expected a single document in the stream, but found another document', lineOf(text, docs[1].range[0]));
  const doc = docs[0] ?? parseDocument('', options);
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new YamlError(e.message.split('\n')[0], e.linePos?.[0]?.line ?? lineOf(text, e.pos[0]));
  }
  return fromYaml(doc.toJS(toJs));
}

/** A PyValue as plain JSON data (what the Kubernetes client sends), for manifests sgn prints. */
export function toPlain(v: PyValue): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [typeof k === 'string' ? k : String(toPlain(k)), toPlain(x)]));
  if (v !== null && typeof v === 'object') return String(v);
  return v;
}

/** A manifest as a YAML document (no line folding, so values stay on their line). */
export function dumpYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}
