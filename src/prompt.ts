import type { IO } from './io.js';
import { CancelledError, InterruptedError, UsageError } from './errors.js';

export interface Prompter {
  /** Asks yes/no on the terminal; refuses with a usage error when there is no terminal. */
  confirm(message: string, opts: { default: boolean; noTtyHint: string }): Promise<boolean>;
  /** Picks one of several choices. */
  select<T extends string>(message: string, choices: { value: T; name: string }[]): Promise<T>;
  /** Asks for a short text (an MFA code), checked by `validate` (true, or the reason it is refused). */
  text(message: string, opts: { validate?: (value: string) => true | string; noTtyHint: string }): Promise<string>;
}

/** Prompts on stderr with @inquirer/prompts, only when a person can see and answer them. */
export function createPrompter(io: IO, signal: AbortSignal): Prompter {
  const output = io.streams.stderr as NodeJS.WritableStream;
  const input = io.streams.stdin as NodeJS.ReadableStream;
  const guard = async <T>(ask: () => Promise<T>): Promise<T> => {
    try {
      return await ask();
    } catch (e) {
      const name = (e as Error)?.name;
      if (name === 'ExitPromptError' || name === 'AbortPromptError') {
        if (signal.aborted) throw new InterruptedError('Interrupted; nothing was changed.');
        throw new CancelledError();
      }
      throw e;
    }
  };
  return {
    async confirm(message, opts) {
      if (!io.canPrompt) throw new UsageError('Confirmation needed, but there is no terminal to ask on.', opts.noTtyHint);
      const { confirm } = await import('./prompt-widgets.js');
      return guard(() => confirm({ message, default: opts.default }, { input, output, signal }));
    },
    async select(message, choices) {
      if (!io.canPrompt) throw new UsageError('A choice is needed, but there is no terminal to ask on.');
      const { select } = await import('./prompt-widgets.js');
      return guard(() => select({ message, choices }, { input, output, signal }));
    },
    async text(message, opts) {
      if (!io.canPrompt) throw new UsageError('An answer is needed, but there is no terminal to ask on.', opts.noTtyHint);
      const { input: ask } = await import('./prompt-widgets.js');
      return guard(() => ask({ message, ...(opts.validate ? { validate: opts.validate } : {}) }, { input, output, signal }));
    },
  };
}
