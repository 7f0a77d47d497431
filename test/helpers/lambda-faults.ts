import { startFaultProxy, type FaultRule } from './fault-proxy.js';

/** What the faulty front does with the n-th request. */
export type LambdaFault = 'throttle' | 'drop' | 'pass';

const lambdaFault: Record<LambdaFault, FaultRule['fault']> = {
  // 429 TooManyRequestsException, as Lambda answers before starting a function.
  throttle: {
    kind: 'status',
    status: 429,
    retryAfter: '1',
    headers: { 'x-amzn-ErrorType': 'TooManyRequestsException' },
    body: JSON.stringify({ Type: 'User', message: 'Rate Exceeded.', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' }),
  },
  // The invoke reaches the deployer, then the caller's connection is cut mid-wait.
  drop: { kind: 'reset' },
  pass: { kind: 'pass' },
};

/**
 * Lambda's faults in front of the deployer emulator, in order: the n-th request meets
 * `faults[n]`, requests beyond them pass through. A fault-proxy (fault-proxy.ts) configured
 * as a sequence; counts the requests it received.
 */
export async function faultyLambda(target: string, faults: LambdaFault[]): Promise<{ url: string; requests: () => number }> {
  const proxy = await startFaultProxy(target, faults.map((f) => ({ fault: lambdaFault[f], times: 1 })));
  return { url: proxy.url, requests: () => proxy.hits.length };
}
