import assert from 'node:assert/strict';
import { answerBuffers, decodedPage, eventsLayout, readBody, splitEventsAnswer } from '../../../src/aws/log-events-page.js';

type Ev = { timestamp: number; message: string; ingestionTime: number };

/** Messages that try to fool a byte scanner: quotes, escapes, brackets, multi-byte UTF-8. */
const tricky = ['plain', 'a "quoted" word', 'ends with a backslash \\', '\\"', '{[}]', 'ünïcödé ✓ 日本', '\u0000\u001f\n\t', '', 'x'.repeat(3000), '"}]', '\\\\'];

function answer(events: Ev[], opts: { order?: 'events-first' | 'events-last'; spaces?: boolean } = {}): string {
  const body = { nextForwardToken: 'f/123/s', nextBackwardToken: 'b/4"5\\/s' };
  const json = opts.order === 'events-last' ? JSON.stringify({ ...body, events }) : JSON.stringify({ events, ...body });
  return opts.spaces ? JSON.stringify(JSON.parse(json), null, 2) : json;
}

const eventsOf = (n: number): Ev[] => Array.from({ length: n }, (_, i) => ({ timestamp: 1_700_000_000_000 + i, message: `${tricky[i % tricky.length]} #${i}\n`, ingestionTime: 1_700_000_000_500 + i }));

describe('GetLogEvents answers read as bytes (src/aws/log-events-page.ts)', () => {
  for (const order of ['events-first', 'events-last'] as const) {
    for (const spaces of [false, true]) {
      it(`given an answer with ${order === 'events-first' ? 'events before' : 'events after'} the tokens${spaces ? ', pretty-printed' : ''}, when decoded in batches, then every event comes back equal and in order, and the rest holds the tokens and an empty array`, () => {
        const events = eventsOf(2503);
        const text = answer(events, { order, spaces });
        const split = splitEventsAnswer(Buffer.from(text));
        const rest = JSON.parse(split.rest.toString()) as Record<string, unknown>;
        assert.deepEqual(rest, { events: [], nextForwardToken: 'f/123/s', nextBackwardToken: 'b/4"5\\/s' });
        const page = split.page({ nextForwardToken: 'f/123/s' });
        assert.equal(page.count, 2503);
        const batches = [...page.batches(1000)];
        assert.deepEqual(batches.map((b) => b.length), [1000, 1000, 503]);
        assert.deepEqual(batches.flat(), events);
      });
    }
  }

  it('given an empty events array or none at all, then the page has no events and the rest is the answer', () => {
    for (const text of ['{"events":[],"nextForwardToken":"f/1/s"}', '{"nextForwardToken":"f/1/s"}', '{}']) {
      const split = splitEventsAnswer(Buffer.from(text));
      assert.deepEqual([...split.page({}).batches(10)], []);
      assert.deepEqual(JSON.parse(split.rest.toString()), { ...JSON.parse(text), ...(text.includes('events') ? { events: [] } : {}) });
    }
  });

  it('given a key named events inside an event or a string value "events", then only the top-level member counts', () => {
    const text = '{"note":"events","events":[{"message":"{\\"events\\":[1]}","timestamp":1,"nested":{"events":[2]}}],"nextForwardToken":"f"}';
    const layout = eventsLayout(Buffer.from(text));
    assert.equal(layout.starts.length, 1);
    const events = [...splitEventsAnswer(Buffer.from(text)).page({}).batches(5)].flat();
    assert.deepEqual(events, [{ message: '{"events":[1]}', timestamp: 1, nested: { events: [2] } }]);
  });

  it('given a truncated or malformed answer, then it is refused, not half read', () => {
    for (const text of ['{"events":[{"message":"a"}', '{"events":[{"message":"a}]}', '{"events":[1,2]}', '{"events":[{}]}}']) {
      assert.throws(() => eventsLayout(Buffer.from(text)), SyntaxError, text);
    }
  });

  it('given an answer read from chunks of any size, with or without Content-Length, then the bytes are the answer and the buffer is reused for the next page once the first is done', async () => {
    const text = Buffer.from(answer(eventsOf(300)));
    const buffers = answerBuffers();
    async function* chunks(size: number) {
      for (let i = 0; i < text.length; i += size) yield text.subarray(i, i + size);
    }
    const first = await readBody(chunks(7), text.length, buffers);
    assert.equal(first.buf.subarray(0, first.length).toString(), text.toString());
    const page = splitEventsAnswer(first.buf.subarray(0, first.length), () => buffers.give(first.buf)).page({});
    // Not yet done: the next read gets a buffer of its own.
    const second = await readBody(chunks(4096), undefined, buffers);
    assert.notEqual(second.buf.buffer, first.buf.buffer);
    assert.equal(second.buf.subarray(0, second.length).toString(), text.toString());
    assert.equal([...page.batches(64)].flat().length, 300);
    const third = await readBody(chunks(1000), text.length, buffers);
    assert.equal(third.buf.buffer, first.buf.buffer);
    assert.equal(third.buf.subarray(0, third.length).toString(), text.toString());
  });

  it('given decoded events (a fake), then decodedPage hands them over in batches', () => {
    const events = eventsOf(5);
    assert.deepEqual([...decodedPage({ events, nextForwardToken: 'f' }).batches(2)].map((b) => b.length), [2, 2, 1]);
  });
});
