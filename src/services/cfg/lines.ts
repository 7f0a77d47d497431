/**
 * A config file as lines that remember their own line ending, so that every rewrite (edit, set,
 * unset, merge) can give back the file's bytes untouched except where the content changed.
 * Line breaks are "\r\n", "\r" and "\n", the same as Python's universal newlines, which is how the
 * deployer opens the file: line numbers here are the deployer's line numbers.
 */
export type Eol = '\r\n' | '\n' | '\r' | '';

export interface Line {
  text: string;
  eol: Eol;
}

/** Splits text into lines; the last line has eol '' when the file has no final newline. */
export function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const re = /\r\n|\r|\n/g;
  let start = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    lines.push({ text: text.slice(start, m.index), eol: m[0] as Eol });
    start = m.index + m[0].length;
  }
  if (start < text.length) lines.push({ text: text.slice(start), eol: '' });
  return lines;
}

/** The inverse of splitLines. */
export function joinLines(lines: readonly Line[]): string {
  let out = '';
  for (const l of lines) out += l.text + l.eol;
  return out;
}

/** The line ending most lines use ("\n" when there is none), for lines sgn adds. */
export function dominantEol(lines: readonly Line[]): Exclude<Eol, ''> {
  const counts = { '\r\n': 0, '\n': 0, '\r': 0 };
  for (const l of lines) if (l.eol) counts[l.eol]++;
  if (counts['\r\n'] > counts['\n'] && counts['\r\n'] >= counts['\r']) return '\r\n';
  if (counts['\r'] > counts['\n'] && counts['\r'] > counts['\r\n']) return '\r';
  return '\n';
}

/** True when the last line ends with a line break (or the file is empty). */
export function endsWithNewline(lines: readonly Line[]): boolean {
  return lines.length === 0 || lines[lines.length - 1].eol !== '';
}

/**
 * Gives every line but the last a line ending (the file's dominant one where a line has none) and
 * makes the last line end, or not, as `finalNewline` says.
 */
export function normalizeEnds(lines: readonly Line[], eol: Exclude<Eol, ''>, finalNewline: boolean): Line[] {
  return lines.map((l, i) => {
    if (i < lines.length - 1) return l.eol ? l : { text: l.text, eol };
    if (!finalNewline) return { text: l.text, eol: '' };
    return l.eol ? l : { text: l.text, eol };
  });
}
