import assert from 'node:assert/strict';
import { ServiceException, TooManyRequestsException, type InvokeCommandInput, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type { LambdaApi } from '../../../../src/aws/lambda.js';
import { tagHost } from '../../../../src/aws/faults.js';
import { SgnError } from '../../../../src/errors.js';
import { InvokeOutcomeUnknownError, invokeDeployer } from '../../../../src/services/deploy/invoke.js';
import { deployPayload } from '../../../../src/services/deploy/plan.js';

const throttle = (retryAfterSeconds?: string) =>
  new TooManyRequestsException({ message: 'Rate Exceeded.', $metadata: { httpStatusCode: 429 }, Reason: 'ConcurrentInvocationLimitExceeded', retryAfterSeconds });
const success: InvokeCommandOutput = { StatusCode: 200, Payload: new TextEncoder().encode('"Success"') as InvokeCommandOutput['Payload'], $metadata: { requestId: 'req-1' } };

/** A LambdaApi fake that plays a script of outcomes, one per invoke, and fails on anything else. */
function scripted(outcomes: (Error | InvokeCommandOutput)[]) {
  const inputs: InvokeCommandInput[] = [];
  const api: LambdaApi = {
    invoke: async (input) => {
      inputs.push(input);
      const next = outcomes.shift();
      if (!next) throw new Error('unexpected extra invoke');
      if (next instanceof Error) throw next;
      return next;
    },
    getFunction: async () => {
      throw new Error('unexpected getFunction');
    },
    getFunctionConfiguration: async () => {
      throw new Error('unexpected getFunctionConfiguration');
    },
  };
  return { api, inputs };
}

describe('invokeDeployer (fakes: what the emulator cannot produce)', () => {
  const opts = (extra: Partial<Parameters<typeof invokeDeployer>[1]> = {}) => {
    const sleeps: number[] = [];
    return {
      sleeps,
      opts: {
        functionName: 'notify_k8s_deploy',
        payload: deployPayload('web', 'staging', 'production'),
        region: 'eu-west-1',
        signal: new AbortController().signal,
        sleep: async (ms: number) => void sleeps.push(ms),
        ...extra,
      },
    };
  };

  it('given throttling twice, then it backs off (honouring Retry-After) and sends the exact payload each time', async () => {
    const { api, inputs } = scripted([throttle(), throttle('5'), success]);
    const { sleeps, opts: o } = opts();
    const result = await invokeDeployer(api, o);
    assert.equal(result.attempts, 3);
    assert.equal(result.payloadText, '"Success"');
    assert.equal(result.requestId, 'req-1');
    assert.deepEqual(sleeps, [1000, 5000]);
    for (const input of inputs) {
      assert.equal(input.InvocationType, 'RequestResponse');
      assert.equal(input.LogType, 'Tail');
      assert.equal(Buffer.from(input.Payload as Uint8Array).toString(), '{"SGNRunDeploy.job":{"Application":"web","envFrom":"staging","envTo":"production"}}');
    }
  });

  it('given throttling that does not stop, then it gives up after 5 attempts saying nothing was deployed', async () => {
    const { api, inputs } = scripted([throttle(), throttle(), throttle(), throttle(), throttle()]);
    await assert.rejects(invokeDeployer(api, opts().opts), (e: Error) => e instanceof SgnError && /kept throttling notify_k8s_deploy .* after 5 attempts; nothing was deployed/.test(e.message));
    assert.equal(inputs.length, 5);
  });

  it('given a Lambda 5xx after sending, then it is not retried and the outcome is reported unknown', async () => {
    const { api, inputs } = scripted([new ServiceException({ message: 'internal error', $metadata: { httpStatusCode: 500 } })]);
    await assert.rejects(invokeDeployer(api, opts().opts), (e: Error) => e instanceof InvokeOutcomeUnknownError && /may still be running/.test(e.message));
    assert.equal(inputs.length, 1);
  });

  it('given a dropped connection (ECONNRESET), then it is not retried', async () => {
    const { api, inputs } = scripted([Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })]);
    await assert.rejects(invokeDeployer(api, opts().opts), InvokeOutcomeUnknownError);
    assert.equal(inputs.length, 1);
  });

  it('given the endpoint refuses connections, then nothing was sent and it says so, naming the host the client noted', async () => {
    const { api } = scripted([Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })]);
    await assert.rejects(invokeDeployer(api, opts().opts), (e: SgnError) => e.code === 'deploy.not-invoked' && /^Could not reach Lambda to invoke notify_k8s_deploy \(connection refused by the Lambda endpoint\); nothing was deployed\.$/.test(e.message));
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    tagHost(refused, '127.0.0.1:9');
    await assert.rejects(invokeDeployer(scripted([refused]).api, opts().opts), /^SgnError: Could not reach Lambda at 127\.0\.0\.1:9 to invoke notify_k8s_deploy \(connection refused by 127\.0\.0\.1:9\); nothing was deployed\.$/);
  });

  it('given a dropped connection at a host, then the outcome is unknown and the sentence names the host', async () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', name: 'TimeoutError' });
    tagHost(reset, 'lambda.example:443');
    await assert.rejects(invokeDeployer(scripted([reset]).api, opts().opts), (e: Error) => e instanceof InvokeOutcomeUnknownError && /^The invoke of notify_k8s_deploy at lambda\.example:443 broke off \(lambda\.example:443 closed the connection without answering\); the deployer may still be running/.test(e.message));
  });

  it('given Ctrl-C during a throttling backoff, then it stops without another invoke', async () => {
    const { api, inputs } = scripted([throttle(), success]);
    const controller = new AbortController();
    const { opts: o } = opts({
      signal: controller.signal,
      sleep: async () => {
        controller.abort(new Error('interrupted'));
        throw controller.signal.reason;
      },
    });
    await assert.rejects(invokeDeployer(api, o), /interrupted/);
    assert.equal(inputs.length, 1);
  });
});
