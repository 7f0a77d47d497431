import assert from 'node:assert/strict';
import type { ActionExecutionDetail, GetPipelineStateCommandOutput, PipelineExecutionSummary } from '@aws-sdk/client-codepipeline';
import type { CodePipelineApi } from '../../../../src/aws/codepipeline.js';
import { commitMessage, executionView, integrationOf, tagMatchesCommit, type ExecutionView } from '../../../../src/services/status/model.js';
import { changesBetween, watchPipeline, type WatchUpdate } from '../../../../src/services/status/watch.js';
import { promotionGate } from '../../../../src/services/deploy/gate.js';
import { renderStatus, noPaint } from '../../../../src/commands/render/status.js';
import { changeLines } from '../../../../src/commands/render/status-watch.js';
import { loadSettings } from '../../../../src/settings/load.js';
import { strictFake } from '../../helpers/fakes.js';

const settings = loadSettings({ env: {}, cwd: '/nonexistent', flags: {} }).values;
const stages = ['Source', 'Build', 'Deploy', 'IntegrationTests'];
const t0 = Date.parse('2026-11-30T10:00:00Z');
const at = (s: number) => new Date(t0 + s * 1000);
const sha = '3f9c2a1b4d5e6f708192a3b4c5d6e7f809112233';

const action = (stage: string, status: string, start: number, end: number, extra: Partial<ActionExecutionDetail> = {}): ActionExecutionDetail => ({
  pipelineExecutionId: 'e1',
  stageName: stage,
  actionName: stage,
  status: status as ActionExecutionDetail['status'],
  startTime: at(start),
  lastUpdateTime: at(end),
  ...extra,
});
const summary = (status: string, extra: Partial<PipelineExecutionSummary> = {}): PipelineExecutionSummary => ({
  pipelineExecutionId: 'e1',
  status: status as PipelineExecutionSummary['status'],
  startTime: at(0),
  lastUpdateTime: at(300),
  sourceRevisions: [{ actionName: 'Source', revisionId: sha, revisionSummary: JSON.stringify({ ProviderType: 'GitHub', CommitMessage: 'Fix the cart\n\nlong body' }) }],
  trigger: { triggerType: 'WebhookV2' },
  ...extra,
});

describe('status model (pure)', () => {
  it('given action executions with a retried Build that failed, then stages in pipeline order, the latest attempt, durations, and the failure with the logs command', () => {
    const v = executionView(
      'web',
      summary('Failed'),
      [
        action('Source', 'Succeeded', 0, 4),
        action('Build', 'Failed', 5, 30, { output: { executionResult: { externalExecutionId: 'web:old' } } }),
        action('Build', 'Failed', 40, 100, { input: { actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' } }, output: { executionResult: { externalExecutionId: 'web:1111', errorDetails: { code: 'JobFailed', message: 'Build terminated with state: FAILED' } } } }),
      ],
      stages,
      settings,
      at(400),
    );
    assert.deepEqual(
      v.stages.map((s) => [s.name, s.status, s.durationMs]),
      [
        ['Source', 'Succeeded', 4000],
        ['Build', 'Failed', 60_000],
        ['Deploy', 'NotRun', undefined],
        ['IntegrationTests', 'NotRun', undefined],
      ],
    );
    assert.deepEqual(v.stages[1].failure, { action: 'Build', code: 'JobFailed', message: 'Build terminated with state: FAILED' });
    assert.equal(v.stages[1].more, 'sgn logs tail --build web:1111 --failed');
    assert.deepEqual(v.commit, { sha, short: '3f9c2a1', summary: 'Fix the cart' });
    assert.equal(v.tag, 'git-3f9c2a1');
  });

  it('given a running execution, then the running stage lasts until now and later stages are Pending', () => {
    const v = executionView('web', summary('InProgress'), [action('Source', 'Succeeded', 0, 4), action('Build', 'InProgress', 5, 5)], stages, settings, at(65));
    assert.deepEqual(
      v.stages.map((s) => [s.status, s.durationMs]),
      [
        ['Succeeded', 4000],
        ['InProgress', 60_000],
        ['Pending', undefined],
        ['Pending', undefined],
      ],
    );
  });

  it('given no source revision, odd summaries and stage names the pipeline no longer has, then nothing crashes', () => {
    const v = executionView('web', summary('Succeeded', { sourceRevisions: [] }), [action('Old', 'Succeeded', 0, 1)], stages, settings, at(10));
    assert.equal(v.commit, undefined);
    assert.equal(v.tag, undefined);
    assert.deepEqual(v.stages.map((s) => s.name), [...stages, 'Old']);
    assert.equal(commitMessage('{not json'), '{not json');
    assert.equal(commitMessage(''), undefined);
    assert.equal(commitMessage('\n  plain message \nbody'), 'plain message');
  });

  it('given tags, then only git-<prefix of the SHA> matches its commit', () => {
    assert.ok(tagMatchesCommit('git-3f9c2a1', sha));
    assert.ok(tagMatchesCommit('git-3F9C2A1', sha));
    assert.ok(!tagMatchesCommit('git-3f9c2a2', sha));
    assert.ok(!tagMatchesCommit('latest', sha));
    assert.ok(!tagMatchesCommit('git-', sha));
    assert.ok(!tagMatchesCommit('git-3f9c2a1', undefined));
  });

  it('given the integration stage in each state, then the result the gate reads', () => {
    const view = (status: string): ExecutionView => ({ id: 'e1', status: 'x', stages: stages.map((name) => ({ name, status: (name === 'IntegrationTests' ? status : 'Succeeded') as never })) });
    assert.equal(integrationOf('git-1', view('Succeeded'), stages, settings).result, 'succeeded');
    assert.equal(integrationOf('git-1', view('Failed'), stages, settings).result, 'failed');
    assert.equal(integrationOf('git-1', view('InProgress'), stages, settings).result, 'running');
    assert.equal(integrationOf('git-1', view('Pending'), stages, settings).result, 'running');
    assert.equal(integrationOf('git-1', view('NotRun'), stages, settings).result, 'not-run');
    assert.equal(integrationOf('git-1', undefined, stages, settings).result, 'no-execution');
    assert.equal(integrationOf('git-1', view('Succeeded'), ['Source', 'Build'], settings).result, 'no-stage');
    assert.equal(integrationOf('git-1', view('Succeeded'), ['Source', 'integrationtests'], settings).result, 'not-run', 'stage names match case-insensitively');
  });
});

describe('status screen (pure renderer)', () => {
  it('given a model, then the screen for people: envs, promotion, executions and the failure', () => {
    const exec = executionView('web', summary('Failed'), [action('Source', 'Succeeded', 0, 4), action('Build', 'Failed', 5, 65, { output: { executionResult: { externalExecutionId: 'web:1111', errorDetails: { message: 'boom' } } } })], stages, settings, at(400));
    const text = renderStatus(
      {
        project: 'web',
        pipeline: 'web',
        region: 'eu-west-1',
        generatedAt: at(3600).toISOString(),
        stages,
        executions: [exec],
        environments: [
          { env: 'staging', tag: 'git-3f9c2a1', deployedAt: at(600).toISOString() },
          { env: 'production', tag: 'git-0000000', deployedAt: at(-86_400).toISOString(), waiting: { from: 'staging', tag: 'git-3f9c2a1' } },
        ],
        integration: [{ env: 'staging', tag: 'git-3f9c2a1', result: 'failed', stage: 'IntegrationTests', execution: { id: 'e1234567-aaaa', status: 'Failed' } }],
        notes: [],
      },
      { width: 80, paint: noPaint },
    );
    assert.equal(
      text,
      [
        'web · pipeline web · eu-west-1',
        '',
        'Environments',
        '  staging     git-3f9c2a1  50m ago  ✗ integration tests failed (execution e1234567)',
        '  production  git-0000000  1d ago   waiting for promotion: staging runs git-3f9c2a1',
        '',
        'Executions (newest first)',
        '  ✗ Failed     3f9c2a1  Fix the cart                                      1h ago',
        '      ✓ Source 4.0s › ✗ Build 1m00s › · Deploy › · IntegrationTests',
        '      Build failed: boom',
        '      see: sgn logs tail --build web:1111 --failed',
        '',
      ].join('\n'),
    );
  });

  it('given watch changes, then one line each (a failure with the command to see more)', () => {
    const e = { id: 'e1234567-0000', status: 'Failed', stages: [] };
    assert.deepEqual(changeLines({ stage: 'Build', status: 'InProgress' }, e, noPaint), ['● Build running']);
    assert.deepEqual(changeLines({ stage: 'Build', status: 'Succeeded', durationMs: 62_000 }, e, noPaint), ['✓ Build succeeded in 1m02s']);
    assert.deepEqual(changeLines({ stage: 'Build', status: 'Failed', durationMs: 3000, message: 'boom', more: 'sgn logs tail --build w:1 --failed' }, e, noPaint), ['✗ Build failed after 3.0s: boom', '  see: sgn logs tail --build w:1 --failed']);
    assert.deepEqual(changeLines({ status: 'Stopped', message: 'Stopped by ana' }, e, noPaint), ['■ Execution e1234567 stopped: Stopped by ana']);
  });

  it('given two views, then each stage change once, and the end of the execution', () => {
    const before = executionView('web', summary('InProgress'), [action('Source', 'Succeeded', 0, 4), action('Build', 'InProgress', 5, 5)], stages, settings, at(10));
    const after = executionView('web', summary('Succeeded'), [action('Source', 'Succeeded', 0, 4), action('Build', 'Succeeded', 5, 20), action('Deploy', 'Succeeded', 21, 30), action('IntegrationTests', 'Succeeded', 31, 60)], stages, settings, at(61));
    assert.deepEqual(
      changesBetween(before, after).map((c) => [c.stage, c.status]),
      [
        ['Build', 'Succeeded'],
        ['Deploy', 'Succeeded'],
        ['IntegrationTests', 'Succeeded'],
        [undefined, 'Succeeded'],
      ],
    );
    assert.deepEqual(changesBetween(after, after), []);
  });
});

/** A pipeline the test moves by hand, behind the narrow CodePipeline interface. */
function fakePipeline() {
  const world = { status: 'InProgress', actions: [action('Source', 'InProgress', 0, 0)] as ActionExecutionDetail[], throttle: 0, stateCalls: 0 };
  const api = strictFake<CodePipelineApi>('codepipeline', {
    getPipelineState: async () => {
      world.stateCalls++;
      if (world.throttle > 0) {
        world.throttle--;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
      }
      const latest = (stage: string) => world.actions.filter((a) => a.stageName === stage).at(-1);
      return {
        stageStates: stages.map((name) => ({ stageName: name, ...(latest(name) ? { latestExecution: { pipelineExecutionId: 'e1', status: latest(name)!.status as never }, actionStates: [{ latestExecution: { status: latest(name)!.status, lastStatusChange: latest(name)!.lastUpdateTime } }] } : {}) })),
      } as unknown as GetPipelineStateCommandOutput;
    },
    listPipelineExecutions: async () => ({ pipelineExecutionSummaries: [summary(world.status, { statusSummary: undefined })], $metadata: {} }),
    getPipelineExecution: async () => ({ pipelineExecution: { pipelineExecutionId: 'e1', status: world.status as never }, $metadata: {} }),
    listActionExecutions: async () => ({ actionExecutionDetails: [...world.actions].reverse(), $metadata: {} }),
  });
  const move = (stage: string, status: string, s: number) => {
    const open = world.actions.find((a) => a.status === 'InProgress');
    if (open && status !== 'InProgress') Object.assign(open, { status, lastUpdateTime: at(s) });
    if (status === 'InProgress') world.actions.push(action(stage, 'InProgress', s, s));
  };
  return { world, api, move };
}

describe('status --watch loop (fake CodePipeline, injected clock and sleep)', () => {
  it('given a pipeline moved between polls, then every change is handed on once, in order, and the result follows the end', async () => {
    const { world, api, move } = fakePipeline();
    // The "world" moves on each sleep: the script of what happens between two polls.
    const script: (() => void)[] = [
      () => move('Source', 'Succeeded', 4),
      () => move('Build', 'InProgress', 5),
      () => undefined,
      () => move('Build', 'Succeeded', 60),
      () => {
        move('Deploy', 'InProgress', 61);
      },
      () => {
        move('Deploy', 'Failed', 90);
        world.status = 'Failed';
      },
    ];
    const updates: WatchUpdate[] = [];
    let clock = 100;
    const result = await watchPipeline(
      {
        codepipeline: api,
        settings,
        now: () => at(clock),
        signal: new AbortController().signal,
        sleep: async () => {
          clock += 2;
          script.shift()?.();
        },
        onUpdate: (u) => updates.push(u),
      },
      { project: 'web', wait: false, intervalMs: 2000 },
    );
    assert.equal(result.ok, false);
    assert.equal(result.execution.status, 'Failed');
    const lines = updates.flatMap((u) => u.changes.map((c) => `${c.stage ?? 'execution'} ${c.status}`));
    assert.deepEqual(lines, ['Source InProgress', 'Source Succeeded', 'Build InProgress', 'Build Succeeded', 'Deploy InProgress', 'Deploy Failed', 'execution Failed']);
    assert.equal(updates[0].first, true);
    assert.equal(updates.at(-1)!.done, true);
  });

  it('given GetPipelineState throttles, then the call is retried with back-off and the poll interval doubles, then comes back', async () => {
    const { world, api, move } = fakePipeline();
    const sleeps: number[] = [];
    let polls = 0;
    await watchPipeline(
      {
        codepipeline: api,
        settings,
        now: () => at(100),
        signal: new AbortController().signal,
        backoff: { baseMs: 100, maxMs: 400, attempts: 5 },
        sleep: async (ms) => {
          sleeps.push(ms);
          // Poll sleeps are multiples of the interval; back-off sleeps are below 500 ms.
          if (ms < 500) return;
          polls++;
          if (polls === 1) world.throttle = 2;
          if (polls === 4) {
            move('Source', 'Failed', 10);
            world.status = 'Failed';
          }
        },
        onUpdate: () => undefined,
      },
      { project: 'web', wait: false, intervalMs: 1000 },
    );
    const pollSleeps = sleeps.filter((ms) => ms >= 500);
    assert.equal(sleeps.filter((ms) => ms < 500).length, 2, 'two back-offs for two throttles');
    assert.deepEqual(pollSleeps, [1000, 2000, 1000, 1000], 'doubled after the throttled poll, then back to the interval');
  });
});

describe('promotion gate (fake CodePipeline)', () => {
  const gateDeps = (api: CodePipelineApi, extra: Partial<typeof settings> = {}) => ({
    codepipeline: api,
    settings: { ...settings, ...extra },
    now: () => at(1000),
    signal: new AbortController().signal,
    sleep: async () => undefined,
  });
  const withTests = (status: string) =>
    strictFake<CodePipelineApi>('codepipeline', {
      listPipelineExecutions: async () => ({ pipelineExecutionSummaries: [summary(status === 'InProgress' ? 'InProgress' : 'Failed')], $metadata: {} }),
      getPipelineState: async () => ({ stageStates: stages.map((stageName) => ({ stageName })), $metadata: {} }),
      listActionExecutions: async () => ({ actionExecutionDetails: [action('IntegrationTests', status, 10, 20, { output: { executionResult: { errorDetails: { message: '2 failed' } } } })], $metadata: {} }),
    });

  it('given failed or running tests, then a protected env is refused and another one warned', async () => {
    const failed = await promotionGate(gateDeps(withTests('Failed')), { project: 'web', tag: 'git-3f9c2a1', env: 'production', protected: true });
    assert.equal(failed.verdict, 'refuse');
    assert.match(failed.message, /IntegrationTests failed \(execution e1: 2 failed\)/);
    assert.equal((await promotionGate(gateDeps(withTests('InProgress')), { project: 'web', tag: 'git-3f9c2a1', env: 'production', protected: true })).verdict, 'refuse');
    assert.equal((await promotionGate(gateDeps(withTests('Failed')), { project: 'web', tag: 'git-3f9c2a1', env: 'qa', protected: false })).verdict, 'warn');
    assert.equal((await promotionGate(gateDeps(withTests('Succeeded')), { project: 'web', tag: 'git-3f9c2a1', env: 'production', protected: true })).verdict, 'pass');
  });

  it('given the setting off, then nothing is read; given no pipeline, then a warning; given denied access, then protected envs are refused', async () => {
    const none = strictFake<CodePipelineApi>('codepipeline', {});
    assert.equal((await promotionGate(gateDeps(none, { promotionGate: false }), { project: 'web', tag: 'git-1', env: 'production', protected: true })).verdict, 'off');
    const missing = strictFake<CodePipelineApi>('codepipeline', {
      listPipelineExecutions: async () => {
        throw Object.assign(new Error('no such pipeline'), { name: 'PipelineNotFoundException' });
      },
    });
    const warned = await promotionGate(gateDeps(missing), { project: 'web', tag: 'git-1', env: 'production', protected: true });
    assert.equal(warned.verdict, 'warn');
    assert.match(warned.message, /No pipeline named web/);
    const denied = strictFake<CodePipelineApi>('codepipeline', {
      listPipelineExecutions: async () => {
        throw Object.assign(new Error('User is not authorized to perform: codepipeline:ListPipelineExecutions'), { name: 'AccessDeniedException' });
      },
    });
    const refused = await promotionGate(gateDeps(denied), { project: 'web', tag: 'git-1', env: 'production', protected: true });
    assert.equal(refused.verdict, 'refuse');
    assert.match(refused.message, /could not be checked: .*codepipeline:ListPipelineExecutions/);
  });
});
