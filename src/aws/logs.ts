import type {
  DescribeLogGroupsCommandInput,
  DescribeLogGroupsCommandOutput,
  FilterLogEventsCommandInput,
  FilterLogEventsCommandOutput,
  GetLogEventsCommandInput,
  GetLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import type { AwsFactory } from './clients.js';
import { answerBuffers, decodedPage, readBody, splitEventsAnswer, type LogEventsPage } from './log-events-page.js';

export type { LogEventsPage } from './log-events-page.js';

/** Per-call options: an abort signal so that Ctrl-C cancels a request in flight. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** The CloudWatch Logs operations sgn uses, named after the SDK's. Services take this, tests fake it. */
export interface LogsApi {
  getLogEvents(input: GetLogEventsCommandInput, opts?: CallOptions): Promise<GetLogEventsCommandOutput>;
  /** GetLogEvents with the page's events left encoded until asked for, a batch at a time (log-events-page.ts). */
  getLogEventsPage(input: GetLogEventsCommandInput, opts?: CallOptions): Promise<LogEventsPage>;
  filterLogEvents(input: FilterLogEventsCommandInput, opts?: CallOptions): Promise<FilterLogEventsCommandOutput>;
  describeLogGroups(input: DescribeLogGroupsCommandInput): Promise<DescribeLogGroupsCommandOutput>;
}

interface RawResponse {
  response: { statusCode?: number; headers?: Record<string, string>; body?: AsyncIterable<Uint8Array> | unknown };
}

/** The real CloudWatch Logs client behind LogsApi. */
export async function logsApi(aws: AwsFactory): Promise<LogsApi> {
  const [client, sdk, { Readable }] = await Promise.all([aws.logs(), import('@aws-sdk/client-cloudwatch-logs'), import('node:stream')]);
  const buffers = answerBuffers();
  return {
    getLogEvents: (input, opts = {}) => client.send(new sdk.GetLogEventsCommand(input), { abortSignal: opts.signal }),
    getLogEventsPage: async (input, opts = {}) => {
      const command = new sdk.GetLogEventsCommand(input);
      let split: ReturnType<typeof splitEventsAnswer> | undefined;
      // Inside the SDK's deserializer (and its retries): a successful answer is read whole as
      // bytes, and the SDK decodes only what is left once the events array is taken out.
      type Middleware = Parameters<typeof command.middlewareStack.add>[0];
      command.middlewareStack.add(
        ((next: (args: unknown) => Promise<RawResponse>) => async (args: unknown) => {
          const result = await next(args);
          const { response } = result;
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300 && response.body && typeof (response.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
            const length = Number((response.headers ?? {})['content-length']);
            const { buf, length: read } = await readBody(response.body as AsyncIterable<Uint8Array>, Number.isFinite(length) ? length : undefined, buffers);
            split = splitEventsAnswer(buf.subarray(0, read), () => buffers.give(buf));
            response.body = Readable.from([split.rest]);
          }
          return result;
        }) as unknown as Middleware,
        { step: 'deserialize', name: 'sgnLogEventsAsBytes', priority: 'low', override: true },
      );
      const out = await client.send(command, { abortSignal: opts.signal });
      const tokens = { nextForwardToken: out.nextForwardToken, nextBackwardToken: out.nextBackwardToken };
      return split ? split.page(tokens) : decodedPage({ ...tokens, events: out.events });
    },
    filterLogEvents: (input, opts = {}) => client.send(new sdk.FilterLogEventsCommand(input), { abortSignal: opts.signal }),
    describeLogGroups: (input) => client.send(new sdk.DescribeLogGroupsCommand(input)),
  };
}
