/**
 * Exceptions as the deployer's Python raises them, for the deployer emulator: the type name and
 * str(exception) are what the Lambda runtime puts into errorType and errorMessage; the frames are
 * the traceback lines it puts into stackTrace (outermost first).
 */
export class PyError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly frames: string[] = [],
  ) {
    super(message);
  }

  /** The same exception raised through more frames (appended innermost). */
  through(...frames: string[]): PyError {
    return new PyError(this.type, this.message, [...this.frames, ...frames]);
  }
}

export const handlerFile = '/var/task/handler.py';

/** One traceback entry of the handler, as Python's traceback.format_list writes it. */
export function frame(fn: string, line: number, code: string, file = handlerFile): string {
  return `  File "${file}", line ${line}, in ${fn}\n    ${code}\n`;
}

/** Python's repr() of a str (the quotes Python would pick, common escapes). */
export function reprStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const c of s) {
    const code = c.codePointAt(0)!;
    if (c === '\\') out += '\\\\';
    else if (c === quote) out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return quote + out + quote;
}

/** Python's type(v).__name__ for a value loaded from YAML. */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Date) return 'datetime';
  return 'dict';
}

export const isDict = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** Python's `obj[key]` with a str key on a value loaded from YAML: KeyError or TypeError as Python raises them. */
export function getItem(obj: unknown, key: string): unknown {
  if (isDict(obj)) {
    if (!(key in obj)) throw new PyError('KeyError', reprStr(key));
    return obj[key];
  }
  if (typeof obj === 'string') throw new PyError('TypeError', 'string indices must be integers');
  if (Array.isArray(obj)) throw new PyError('TypeError', 'list indices must be integers or slices, not str');
  throw new PyError('TypeError', `'${pyTypeName(obj)}' object is not subscriptable`);
}

/** Python's `key in obj` for a str key on a value loaded from YAML. */
export function pyIn(key: string, obj: unknown): boolean {
  if (isDict(obj)) return key in obj;
  if (typeof obj === 'string') return obj.includes(key);
  if (Array.isArray(obj)) return obj.includes(key);
  throw new PyError('TypeError', `argument of type '${pyTypeName(obj)}' is not iterable`);
}

/** Python's str() of a scalar loaded from YAML (True, None, 1.5). */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  return String(v);
}
