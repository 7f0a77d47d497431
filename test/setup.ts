// Root hooks, passed to mocha as rootHooks by scripts/test.mjs: the shared emulators a run starts
// are stopped once at the end, so that no moto, emulator or registry process outlives the run.
import { stopAll } from './helpers/processes.js';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    await stopAll();
  },
};
