import { createCodebuildEmulator, serveCodebuildEmulator, type CodebuildEmulator } from '../../src/sandbox/codebuild-emulator.js';
import { onStop } from './processes.js';
import { testRegion } from './aws.js';

let served: Promise<{ emulator: CodebuildEmulator; url: string }> | undefined;

/**
 * The run's CodeBuild emulator (moto cannot run, fail or end a build; see codebuild-emulator.ts),
 * served in-process on a loopback port so that tests drive its builds directly while the CLI,
 * a separate process, reaches it through AWS_ENDPOINT_URL_CODEBUILD.
 */
export function codebuildServer(): Promise<{ emulator: CodebuildEmulator; url: string }> {
  served ??= (async () => {
    const emulator = createCodebuildEmulator({ region: testRegion });
    const server = await serveCodebuildEmulator(emulator);
    onStop(() => server.close());
    return { emulator, url: server.url };
  })();
  return served;
}
