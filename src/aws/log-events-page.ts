import type { OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs';

/**
 * One GetLogEvents answer whose events stay as the bytes that came over the wire until they are
 * asked for, a batch at a time. A full page (10,000 events, about 1 MB) decoded at once lives as
 * 10,000 objects twice over (JSON.parse, then the SDK's typed copy) and a megabyte of output text,
 * long enough to be copied by the garbage collector and to make it grow its young generation:
 * the memory of a long `logs tail` went there, not to the lines themselves.
 */
export interface LogEventsPage {
  nextForwardToken?: string;
  nextBackwardToken?: string;
  /** How many events the page holds. */
  readonly count: number;
  /**
   * The page's events in order, decoded `size` at a time. Iterate once: when the last batch is
   * out, the page's bytes are handed back for the next answer.
   */
  batches(size: number): Iterable<OutputLogEvent[]>;
}

/** A page over events already decoded (a fake, or an answer that was not kept as bytes). */
export function decodedPage(out: { events?: OutputLogEvent[]; nextForwardToken?: string; nextBackwardToken?: string }): LogEventsPage {
  const events = out.events ?? [];
  return {
    nextForwardToken: out.nextForwardToken,
    nextBackwardToken: out.nextBackwardToken,
    count: events.length,
    *batches(size) {
      for (let i = 0; i < events.length; i += size) yield events.slice(i, i + size);
    },
  };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** Where the `events` array of a GetLogEvents JSON answer sits, and where each of its elements ends. */
export interface EventsLayout {
  /** Offset of the array's `[`, or -1 when the answer has no `events` member. */
  arrayStart: number;
  /** Offset just past the array's `]`. */
  arrayEnd: number;
  /** Offset of each element's first byte. */
  starts: number[];
  /** Offset just past each element's last byte. */
  ends: number[];
}

/**
 * Finds the top-level `events` array of a JSON object and the extent of each of its elements
 * (objects), scanning the bytes once. JSON's structural characters are ASCII, and no byte of a
 * multi-byte UTF-8 sequence is below 0x80, so bytes can be scanned without decoding; strings are
 * skipped with indexOf of the closing quote. Throws on a body that is not such an object.
 */
export function eventsLayout(body: Uint8Array): EventsLayout {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const layout: EventsLayout = { arrayStart: -1, arrayEnd: -1, starts: [], ends: [] };
  let depth = 0;
  let lastKeyStart = -1;
  let lastKeyEnd = -1;
  let inEvents = false;
  const n = buf.length;
  for (let i = 0; i < n; i++) {
    const c = buf[i];
    if (inEvents && depth === 2 && c !== OPEN_BRACE && c !== CLOSE_BRACKET) {
      // Between the events: only commas and white space.
      if (c === 0x2c || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
      throw new SyntaxError('GetLogEvents answer: an event is not an object');
    }
    if (c === QUOTE) {
      const start = i;
      // Skip to the closing quote: one not preceded by an odd number of backslashes.
      for (;;) {
        i = buf.indexOf(QUOTE, i + 1);
        if (i === -1) throw new SyntaxError('GetLogEvents answer: unterminated string');
        let slashes = 0;
        for (let j = i - 1; buf[j] === BACKSLASH; j--) slashes++;
        if (slashes % 2 === 0) break;
      }
      if (depth === 1) {
        lastKeyStart = start + 1;
        lastKeyEnd = i;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth === 2 && c === OPEN_BRACKET && lastKeyEnd - lastKeyStart === 6 && buf.toString('latin1', lastKeyStart, lastKeyEnd) === 'events') {
        inEvents = true;
        layout.arrayStart = i;
      } else if (depth === 3 && inEvents) {
        layout.starts.push(i);
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth === 3 && inEvents) layout.ends.push(i + 1);
      else if (depth === 2 && inEvents) {
        inEvents = false;
        layout.arrayEnd = i + 1;
      }
      depth--;
      if (depth < 0) throw new SyntaxError('GetLogEvents answer: unbalanced brackets');
    }
  }
  if (depth !== 0) throw new SyntaxError('GetLogEvents answer: truncated');
  if (layout.arrayStart !== -1 && layout.arrayEnd === -1) throw new SyntaxError('GetLogEvents answer: unterminated events array');
  return layout;
}

/**
 * Splits a raw GetLogEvents answer: `rest` is the answer with an empty `events` array (the tokens,
 * for the SDK to decode as usual), `page(rest)` a LogEventsPage that decodes the events from the
 * bytes in batches.
 */
export function splitEventsAnswer(
  body: Uint8Array,
  onDone?: () => void,
): { rest: Buffer; page(tokens: { nextForwardToken?: string; nextBackwardToken?: string }): LogEventsPage } {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const layout = eventsLayout(buf);
  const rest = layout.arrayStart === -1 ? buf : Buffer.concat([buf.subarray(0, layout.arrayStart), Buffer.from('[]'), buf.subarray(layout.arrayEnd)]);
  const { starts, ends } = layout;
  return {
    rest,
    page: (tokens) => ({
      ...tokens,
      count: starts.length,
      *batches(size) {
        for (let i = 0; i < starts.length; i += size) {
          const last = Math.min(i + size, starts.length) - 1;
          // The elements with the commas between them: one JSON array per batch.
          yield JSON.parse(`[${buf.toString('utf8', starts[i], ends[last])}]`) as OutputLogEvent[];
        }
        onDone?.();
      },
    }),
  };
}

/**
 * One buffer that answers are read into, page after page. A new buffer per page would end in
 * the old generation (it lives while its page is printed) and be freed only by a full
 * collection, which a quiet heap rarely runs: a megabyte more resident per page. A page hands
 * its buffer back once its last batch is decoded; a page still being read keeps its own.
 */
export function answerBuffers(): { take(size: number): Buffer; give(buf: Buffer): void } {
  let spare: Buffer | undefined;
  return {
    take(size) {
      if (spare && spare.length >= size) {
        const b = spare;
        spare = undefined;
        return b;
      }
      spare = undefined;
      return Buffer.allocUnsafeSlow(Math.max(size, 64 * 1024));
    },
    give(buf) {
      if (!spare || buf.length > spare.length) spare = buf;
    },
  };
}

/**
 * Reads a body into a buffer from `buffers`: sized by Content-Length when there is one, grown
 * (doubled) when the body is longer. Returns the buffer and how many bytes it holds.
 */
export async function readBody(body: AsyncIterable<Uint8Array>, contentLength: number | undefined, buffers: ReturnType<typeof answerBuffers>): Promise<{ buf: Buffer; length: number }> {
  let buf = buffers.take(contentLength && contentLength > 0 ? contentLength : 256 * 1024);
  let length = 0;
  for await (const chunk of body) {
    if (length + chunk.byteLength > buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(buf.length * 2, length + chunk.byteLength));
      buf.copy(bigger, 0, 0, length);
      buffers.give(buf);
      buf = bigger;
    }
    buf.set(chunk, length);
    length += chunk.byteLength;
  }
  return { buf, length };
}
