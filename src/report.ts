import type { ChalkInstance } from 'chalk';
import type { Streams } from './io.js';
import { ExitCode, explainError, awsErrorName } from './errors.js';

/** Words longer than this (a pasted file, a runaway argument) are shortened in messages. */
const longestWord = 160;

/** A message with each overlong word cut to its start and end around an ellipsis, so one sentence stays one sentence. */
export function shortenLongWords(text: string): string {
  return text.replace(new RegExp(`\\S{${longestWord + 1},}`, 'g'), (w) => `${w.slice(0, 100)}…${w.slice(-40)} (${w.length} characters)`);
}

/**
 * The one place errors become output: a sentence and a hint for known errors, a short
 * "unexpected error" line for bugs; stack traces, causes and AWS request ids only with --debug.
 */
export function reportError(streams: Streams, e: unknown, opts: { debug: boolean; color?: ChalkInstance; json?: boolean }): number {
  const known = explainError(e, 'talking to AWS');
  if (opts.json) {
    const error = known
      ? { code: known.code, message: shortenLongWords(known.message), hint: known.hint ? shortenLongWords(known.hint) : null, exitCode: known.exitCode }
      : { code: 'bug', message: shortenLongWords(e instanceof Error ? e.message : String(e)), hint: 're-run with --debug for details', exitCode: ExitCode.failure };
    streams.stdout.write(JSON.stringify({ ...(known?.data ?? {}), error }, null, 2) + '\n');
  }
  const red = (s: string) => (opts.color ? opts.color.red(s) : s);
  const dim = (s: string) => (opts.color ? opts.color.dim(s) : s);
  const write = (s: string) => streams.stderr.write(s + '\n');
  if (known) {
    write(`${red('Error:')} ${shortenLongWords(known.message)}`);
    if (known.hint) write(dim(`Hint: ${shortenLongWords(known.hint)}`));
  } else {
    const name = awsErrorName(e);
    const message = e instanceof Error ? e.message : String(e);
    write(`${red('Error:')} ${name && name !== 'Error' ? `${name}: ` : ''}${shortenLongWords(message)}`);
    if (!opts.debug) write(dim('This looks like a bug in sgn or an unexpected answer from AWS; re-run with --debug for details.'));
  }
  if (opts.debug) {
    const err = e as { stack?: string; cause?: { stack?: string }; $metadata?: { requestId?: string } };
    if (err?.stack) write(dim(err.stack));
    const cause = (known?.cause ?? err?.cause) as { stack?: string; $metadata?: { requestId?: string } } | undefined;
    if (cause?.stack) write(dim('Caused by: ' + cause.stack));
    const requestId = err?.$metadata?.requestId ?? cause?.$metadata?.requestId;
    if (requestId) write(dim(`AWS request id: ${requestId}`));
  }
  return known?.exitCode ?? ExitCode.failure;
}
