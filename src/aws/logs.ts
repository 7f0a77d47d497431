import type {
  DescribeLogGroupsCommandInput,
  DescribeLogGroupsCommandOutput,
  FilterLogEventsCommandInput,
  FilterLogEventsCommandOutput,
  GetLogEventsCommandInput,
  GetLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import type { AwsFactory } from './clients.js';

/** Per-call options: an abort signal so that Ctrl-C cancels a request in flight. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** The CloudWatch Logs operations sgn uses, named after the SDK's. Services take this, tests fake it. */
export interface LogsApi {
  getLogEvents(input: GetLogEventsCommandInput, opts?: CallOptions): Promise<GetLogEventsCommandOutput>;
  filterLogEvents(input: FilterLogEventsCommandInput, opts?: CallOptions): Promise<FilterLogEventsCommandOutput>;
  describeLogGroups(input: DescribeLogGroupsCommandInput): Promise<DescribeLogGroupsCommandOutput>;
}

/** The real CloudWatch Logs client behind LogsApi. */
export async function logsApi(aws: AwsFactory): Promise<LogsApi> {
  const [client, sdk] = await Promise.all([aws.logs(), import('@aws-sdk/client-cloudwatch-logs')]);
  return {
    getLogEvents: (input, opts = {}) => client.send(new sdk.GetLogEventsCommand(input), { abortSignal: opts.signal }),
    filterLogEvents: (input, opts = {}) => client.send(new sdk.FilterLogEventsCommand(input), { abortSignal: opts.signal }),
    describeLogGroups: (input) => client.send(new sdk.DescribeLogGroupsCommand(input)),
  };
}
