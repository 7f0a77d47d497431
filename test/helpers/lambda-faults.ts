import { startFaultProxy, type FaultRule } from './fault-proxy.js';

/** What the faulty front does with the n-th invoke. */
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

const invocations = /\/invocations(\?|$)/;

/**
 * Lambda's faults in front of the deployer emulator, in order: the n-th invoke meets `faults[n]`,
 * invokes beyond them and other calls (GetFunction) pass through. A fault-proxy (fault-proxy.ts)
 * configured as a sequence; counts the invokes it received.
 */
export async function faultyLambda(target: string, faults: LambdaFault[]): Promise<{ url: string; requests: () => number; invokes: () => number }> {
  const proxy = await startFaultProxy(target, faults.map((f) => ({ path: invocations, fault: lambdaFault[f], times: 1 })));
  const invokes = () => proxy.hits.filter((h) => invocations.test(h.path)).length;
  return { url: proxy.url, requests: invokes, invokes };
}
