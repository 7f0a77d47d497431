import assert from 'node:assert/strict';

// The bench's own library (bench/lib.mjs, plain JavaScript): how rows stop and what they count.
// No speed is asserted: the sides are fakes that answer made-up times.
interface Samples {
  label: string;
  ms: number[];
}
interface BenchLib {
  alternate(sides: { label: string; run(): Promise<{ ms: number; rssMiB: number }> }[], opts: { runs?: number; minRuns?: number; warmup?: number; maxSpread?: number; maxMs?: number; extraRounds?: number }): Promise<Samples[] & { stop: string }>;
  criticalPath(timeline: { start: number; end: number }[]): number;
  budgetMet(budget: unknown, row: Record<string, unknown>): string;
  budgetText(budget: unknown): string;
}

const load = async () => (await import(new URL('../../bench/lib.mjs', import.meta.url).href)) as BenchLib;

/** A side answering the given times in turn (cycling), counting its runs. */
function side(label: string, times: number[]) {
  let i = 0;
  return { label, calls: 0, run: async function (this: { calls: number }) { this.calls++; return { ms: times[i++ % times.length], rssMiB: 50 }; } };
}

describe('bench/lib.mjs: when a row stops, and the requests it counts', () => {
  it('given two sides whose runs agree, then the row stops settled after its minimum rounds', async () => {
    const { alternate } = await load();
    const a = side('sgn', [100, 101]);
    const b = side('peer', [200]);
    const samples = await alternate([a, b], { runs: 20, minRuns: 5, warmup: 1 });
    assert.equal(samples.stop, 'settled');
    assert.equal(samples[0].ms.length, 5);
    assert.equal(a.calls, 6, 'one warm-up round thrown away');
  });

  it('given a side whose runs keep disagreeing, then the row stops at its round cap', async () => {
    const { alternate } = await load();
    const samples = await alternate([side('sgn', [100, 300]), side('peer', [200])], { runs: 8, minRuns: 3, warmup: 0 });
    assert.equal(samples.stop, 'cap');
    assert.equal(samples[0].ms.length, 8);
  });

  it('given a row past its time bound, then it stops after the round in progress (at least one), and extra sides run only in their first rounds', async () => {
    const { alternate } = await load();
    const extra = side('aws --version', [900]);
    const samples = await alternate([side('sgn', [100, 300]), side('peer', [200, 500]), extra], { runs: 10, minRuns: 5, warmup: 2, maxMs: 0, extraRounds: 3 });
    assert.equal(samples.stop, 'time');
    assert.equal(samples[0].ms.length, 1);
    assert.equal(extra.calls, 1, 'no warm-up for extras, one measured round');
    const more = side('aws help', [900]);
    await alternate([side('sgn', [100, 300]), side('peer', [200]), more], { runs: 6, minRuns: 6, warmup: 0, extraRounds: 3 });
    assert.equal(more.calls, 3);
  });

  it('given requests in a chain and requests side by side, then the critical path counts the chain once per step', async () => {
    const { criticalPath } = await load();
    // a -> b -> c in sequence; d overlaps b; e starts before c ends.
    const t = [
      { start: 0, end: 10 },
      { start: 10, end: 20 },
      { start: 12, end: 18 },
      { start: 20, end: 30 },
      { start: 25, end: 40 },
    ];
    assert.equal(criticalPath(t), 3);
    assert.equal(criticalPath([]), 0);
  });

  it('given a path budget, then it is judged when the row has a count and shown in the budget text', async () => {
    const { budgetMet, budgetText } = await load();
    assert.equal(budgetText({ ratio: 0.5, path: 3 }), '<= 0.5x, <= 3 sequential requests');
    assert.equal(budgetMet({ path: 3 }, { ratio: 0.9, path: 2 }), 'yes');
    assert.equal(budgetMet({ ratio: 0.5, path: 1 }, { ratio: 0.4, path: 2 }), 'NO (path)');
    assert.equal(budgetMet({ ratio: 0.5, path: 1 }, { ratio: 0.4 }), 'yes', 'no count off the latency rows');
  });
});
