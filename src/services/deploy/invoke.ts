import type { LambdaApi } from '../../aws/lambda.js';
import { SgnError, awsErrorName, explainAwsError } from '../../errors.js';
import { classifyNetworkError, neverSent } from '../../net-errors.js';
import { hostOf } from '../../aws/faults.js';
import type { DeployPayload } from './plan.js';

/** What came back from the one invoke that ran. */
export interface InvokeResult {
  requestId?: string;
  /** Set when the handler raised ("Unhandled"). */
  functionError?: string;
  /** The function's result: `"Success"`, or {errorMessage, errorType, stackTrace}. */
  payloadText: string;
  /** The decoded X-Amz-Log-Result (last 4 KB of the invocation's log). */
  logTail?: string;
  /** Invoke requests sent (more than one only after throttling, which proves none started). */
  attempts: number;
}

/** The connection broke after the invoke was sent: the deployer may be running or done. */
export class InvokeOutcomeUnknownError extends SgnError {
  constructor(message: string, hint: string, cause: unknown) {
    super(message, { hint, cause });
    this.name = 'InvokeOutcomeUnknownError';
  }
}

export interface InvokeOptions {
  functionName: string;
  payload: DeployPayload;
  region: string;
  signal: AbortSignal;
  /** Called before waiting to retry a throttled invoke. */
  onThrottled?: (attempt: number, delayMs: number, reason: string) => void;
  /** Waits (injectable for tests); rejects when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  maxAttempts?: number;
}

const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Invokes the deployer synchronously (RequestResponse, LogType Tail), never twice: the client
 * makes one attempt and has no timeout below the function's own (see AwsFactory.lambda). The
 * only retry is ours, for TooManyRequestsException: Lambda throttles before it starts the
 * function, so a throttled invoke provably deployed nothing. Anything else that breaks the
 * connection after sending leaves the outcome unknown, and is reported as such, not retried.
 */
export async function invokeDeployer(lambda: LambdaApi, opts: InvokeOptions): Promise<InvokeResult> {
  const sleep = opts.sleep ?? abortableSleep;
  const maxAttempts = opts.maxAttempts ?? 5;
  const body = Buffer.from(JSON.stringify(opts.payload));
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await lambda.invoke(
        { FunctionName: opts.functionName, InvocationType: 'RequestResponse', LogType: 'Tail', Payload: body },
        { abortSignal: opts.signal },
      );
      return {
        requestId: out.$metadata.requestId,
        functionError: out.FunctionError,
        payloadText: out.Payload ? Buffer.from(out.Payload).toString('utf8') : '',
        logTail: out.LogResult ? Buffer.from(out.LogResult, 'base64').toString('utf8') : undefined,
        attempts: attempt,
      };
    } catch (e) {
      if (opts.signal.aborted) throw opts.signal.reason;
      const name = awsErrorName(e);
      if (name === 'TooManyRequestsException') {
        const reason = (e as { Reason?: string }).Reason ?? 'throttled';
        if (attempt >= maxAttempts) {
          const host = hostOf(e);
          throw new SgnError(`Lambda${host ? ` at ${host}` : ''} kept throttling ${opts.functionName} (${reason}) after ${attempt} attempts; nothing was deployed.`, {
            hint: 'Lambda refuses throttled invokes before the function starts. Try again in a minute.',
            code: 'deploy.not-invoked',
            cause: e,
          });
        }
        const retryAfter = Number((e as { retryAfterSeconds?: string }).retryAfterSeconds) * 1000;
        const backoff = Math.min(8000, 1000 * 2 ** (attempt - 1));
        const delay = Math.min(30_000, Number.isFinite(retryAfter) && retryAfter > backoff ? retryAfter : backoff);
        opts.onThrottled?.(attempt, delay, reason);
        await sleep(delay, opts.signal);
        continue;
      }
      throw explainInvokeError(e, opts);
    }
  }
}

function explainInvokeError(e: unknown, opts: InvokeOptions): Error {
  const name = awsErrorName(e);
  const code = (e as { code?: string }).code;
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === 'ResourceNotFoundException') {
    return new SgnError(`The deployer function "${opts.functionName}" was not found in ${opts.region}; nothing was deployed.`, {
      hint: 'Check the region (--region) or point sgn at the function: `sgn config set function <name>`.',
      cause: e,
    });
  }
  const known = explainAwsError(e, `invoking ${opts.functionName}`);
  if (known) return known;
  // The host the request went to (noted by the client), and the wire fault in the taxonomy's words.
  const host = hostOf(e);
  const at = host ? ` at ${host}` : '';
  const fault = classifyNetworkError(e, host ?? 'the Lambda endpoint');
  // Raised before the request left this machine: the deployer certainly did not start.
  if (neverSent(e) || /without establishing a connection/i.test((e as Error).message ?? '')) {
    return new SgnError(`Could not reach Lambda${at} to invoke ${opts.functionName} (${fault?.message ?? code ?? (e as Error).message}); nothing was deployed.`, {
      hint: 'Check your network or AWS_ENDPOINT_URL_LAMBDA, then try again.',
      code: 'deploy.not-invoked',
      cause: e,
    });
  }
  if (status !== undefined && status < 500) return e as Error;
  // A dropped connection or a Lambda-side 5xx after the request was sent: the deployer may have
  // started. Retrying could deploy twice, so say what is known and how to find out.
  return new InvokeOutcomeUnknownError(
    `The invoke of ${opts.functionName}${at} broke off (${fault?.message ?? `${status ? `${status} ` : ''}${name && name !== 'Error' ? `${name}: ` : ''}${(e as Error).message}`}); the deployer may still be running or may have finished.`,
    'It was not retried, so that nothing deploys twice.',
    e,
  );
}
