import type { ChalkInstance } from 'chalk';
import type { LogEvent } from '../../services/logs/reader.js';

export interface LineFormat {
  timestamps: boolean;
  json: boolean;
  /** The build id, carried in each JSON line. */
  build: string;
  color: ChalkInstance;
}

// CodeBuild ends each log event with a newline: it terminates the line, it is not part of it.
const withoutEol = (message: string) => (message.endsWith('\r\n') ? message.slice(0, -2) : message.endsWith('\n') ? message.slice(0, -1) : message);

/** One page of events as the text to write: a line per event, or a JSON object per line with --json. */
export function formatEvents(events: LogEvent[], f: LineFormat): string {
  let out = '';
  for (const e of events) {
    const message = withoutEol(e.message ?? '');
    if (f.json) {
      out += JSON.stringify({ build: f.build, timestamp: new Date(e.timestamp ?? 0).toISOString(), message }) + '\n';
    } else if (f.timestamps) {
      out += `${f.color.dim(new Date(e.timestamp ?? 0).toISOString())} ${message}\n`;
    } else {
      out += message + '\n';
    }
  }
  return out;
}
