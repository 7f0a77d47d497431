import type { IO } from './io.js';

export interface Column {
  header: string;
}

/** One model for people and scripts: cells are plain text; colour is applied per cell by role. */
export interface TableModel {
  columns: Column[];
  rows: Cell[][];
}

export type CellRole = 'normal' | 'dim' | 'good' | 'warn' | 'bad' | 'strong';
export type Cell = string | { text: string; role: CellRole };

function cellText(c: Cell): string {
  return typeof c === 'string' ? c : c.text;
}

/**
 * Prints a table: a cli-table3 grid on a terminal, tab-separated rows with a header line when
 * piped (as gh does), so that `cut` and `awk` work without stripping borders or colour.
 */
export async function printTable(io: IO, model: TableModel): Promise<void> {
  if (!io.stdoutIsTTY) {
    io.print(model.columns.map((c) => c.header.toUpperCase()).join('\t'));
    for (const row of model.rows) io.print(row.map(cellText).join('\t'));
    return;
  }
  const { default: Table } = await import('cli-table3');
  const paint = (c: Cell): string => {
    if (typeof c === 'string') return c;
    const o = io.out;
    switch (c.role) {
      case 'dim':
        return o.dim(c.text);
      case 'good':
        return o.green(c.text);
      case 'warn':
        return o.yellow(c.text);
      case 'bad':
        return o.red(c.text);
      case 'strong':
        return o.bold(c.text);
      default:
        return c.text;
    }
  };
  const table = new Table({
    head: model.columns.map((c) => io.out.bold(c.header)),
    style: { head: [], border: [], compact: true },
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
  });
  for (const row of model.rows) table.push(row.map(paint));
  io.print(table.toString().split('\n').map((l) => l.replace(/^ /, '').trimEnd()).join('\n'));
}
