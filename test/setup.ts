// Root hooks (this file is loaded before every suite): the shared emulators a run starts are
// stopped once at the end, so that no moto, emulator or registry process outlives the run.
import { stopAll } from './helpers/processes.js';

after(async function () {
  this.timeout(30_000);
  await stopAll();
});
