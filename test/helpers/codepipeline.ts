import { createCodepipelineEmulator, serveCodepipelineEmulator, type CodepipelineEmulator } from '../../src/sandbox/codepipeline-emulator.js';
import { onStop } from './processes.js';
import { testRegion } from './aws.js';

let served: Promise<{ emulator: CodepipelineEmulator; url: string }> | undefined;

/**
 * The run's CodePipeline emulator (moto cannot serve stage states or run executions; see
 * codepipeline-emulator.ts), served in-process on a loopback port so that tests drive its
 * executions directly while the CLI, a separate process, reaches it through
 * AWS_ENDPOINT_URL_CODEPIPELINE.
 */
export function codepipelineServer(): Promise<{ emulator: CodepipelineEmulator; url: string }> {
  served ??= (async () => {
    const emulator = createCodepipelineEmulator({ region: testRegion });
    const server = await serveCodepipelineEmulator(emulator);
    onStop(() => server.close());
    return { emulator, url: server.url };
  })();
  return served;
}
