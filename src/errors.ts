/**
 * The error family every command reports through. main() turns these into one sentence on
 * stderr, an optional hint, and a documented exit code; anything else is treated as a bug.
 */
export const ExitCode = {
  ok: 0,
  /** The operation failed (deploy failed or did not take effect, a check failed, AWS refused). */
  failure: 1,
  /** Bad flags or arguments, or a confirmation needed where none can be asked. */
  usage: 2,
  /** The user answered "no" at a prompt; nothing was changed. */
  cancelled: 3,
  /** No credentials, expired credentials, or access denied. */
  auth: 4,
  /** Someone else holds the resource: a deploy lock, or a config file changed meanwhile. */
  conflict: 5,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The stable `error.code` of `--json` output for each exit code, unless an error names its own. */
const codeOfExit: Record<ExitCodeValue, string> = {
  0: 'ok',
  1: 'failed',
  2: 'usage',
  3: 'cancelled',
  4: 'auth',
  5: 'conflict',
  130: 'interrupted',
};

/** An error the user can act on: one sentence, an optional hint, an exit code. */
export class SgnError extends Error {
  readonly hint?: string;
  readonly exitCode: ExitCodeValue;
  /** Stable machine-readable code, e.g. `deploy.no-effect`. */
  readonly code: string;
  /** What was known when it failed, merged into the `--json` document beside `error`. */
  readonly data?: object;
  constructor(message: string, opts: { hint?: string; exitCode?: ExitCodeValue; cause?: unknown; code?: string; data?: object } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SgnError';
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? ExitCode.failure;
    this.code = opts.code ?? codeOfExit[this.exitCode];
    this.data = opts.data;
  }
}

/** Bad command line: wrong or missing arguments, conflicting flags. */
export class UsageError extends SgnError {
  constructor(message: string, hint?: string) {
    super(message, { hint, exitCode: ExitCode.usage });
    this.name = 'UsageError';
  }
}

/** The user declined a confirmation; nothing was changed. */
export class CancelledError extends SgnError {
  constructor(message = 'Cancelled; nothing was changed.') {
    super(message, { exitCode: ExitCode.cancelled });
    this.name = 'CancelledError';
  }
}

/** Credentials are missing, expired, or lack a permission. */
export class AuthError extends SgnError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { hint, exitCode: ExitCode.auth, cause });
    this.name = 'AuthError';
  }
}

/** Someone else got there first: a held lock, a config file changed since it was fetched. */
export class ConflictError extends SgnError {
  constructor(message: string, hint?: string) {
    super(message, { hint, exitCode: ExitCode.conflict });
    this.name = 'ConflictError';
  }
}

/** An external program (editor, credential helper, python3) failed or is missing. */
export class ExternalCommandError extends SgnError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { hint, cause });
    this.name = 'ExternalCommandError';
  }
}

/** Ctrl-C: what was running was stopped; the message says what may still be going on. */
export class InterruptedError extends SgnError {
  constructor(message = 'Interrupted.', hint?: string) {
    super(message, { hint, exitCode: ExitCode.interrupted });
    this.name = 'InterruptedError';
  }
}

interface AwsLikeError {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/** The AWS SDK error name (or code) of an error, if it is one. */
export function awsErrorName(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const err = e as AwsLikeError;
  return err.name ?? err.Code;
}

const throttlingNames = new Set(['ThrottlingException', 'Throttling', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown', 'ProvisionedThroughputExceededException', 'RequestThrottled', 'RequestThrottledException']);

const credentialErrors = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'TokenRefreshRequired',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
]);

/**
 * Turns the AWS errors every command can meet (no credentials, expired SSO token, access denied)
 * into one sentence with the fix; returns undefined for errors the caller must judge itself.
 */
export function explainAwsError(e: unknown, what: string): SgnError | undefined {
  const name = awsErrorName(e);
  if (!name) return undefined;
  const message = (e as AwsLikeError).message ?? '';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new AuthError('No AWS credentials were found.', 'Run `aws configure` or `aws sso login`, set AWS_PROFILE, or pass --profile; `sgn --sandbox ...` needs none.', e);
  }
  if (/sso/i.test(message) && /(expired|refresh)/i.test(message)) {
    return new AuthError('Your AWS SSO session has expired.', 'Run `aws sso login` (add --profile if you use one) and try again.', e);
  }
  if (credentialErrors.has(name)) {
    return new AuthError(`AWS rejected the credentials while ${what}.`, 'Check AWS_PROFILE/--profile; renew the session with `aws sso login` or fresh keys.', e);
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || name === 'UnauthorizedOperation') {
    const action = /not authorized to perform: ([\w:-]+)/.exec(message)?.[1];
    return new AuthError(
      `Access denied while ${what}${action ? ` (missing permission ${action})` : ''}.`,
      'Ask for the permission, or use a profile that has it (--profile).',
      e,
    );
  }
  return undefined;
}

/**
 * For the reporting point, after the services had their say: AWS throttling or failing (5xx)
 * even after the retries, naming the service and endpoint that answered (tagged by the clients).
 */
export function explainServiceFault(e: unknown, what: string): SgnError | undefined {
  const name = awsErrorName(e);
  if (!name) return undefined;
  // Set by the AWS clients (src/aws/faults.ts): which service, at which endpoint, answered.
  const tagged = e as { $sgnService?: string; $sgnHost?: string };
  const who = tagged.$sgnService ? `${tagged.$sgnService}${tagged.$sgnHost ? ` at ${tagged.$sgnHost}` : ''}` : 'AWS';
  const status = (e as AwsLikeError).$metadata?.httpStatusCode ?? 0;
  if (throttlingNames.has(name) || status === 429) {
    return new SgnError(`${who} kept throttling sgn's requests${/^(Unknown|Error)$/.test(name) ? '' : ` (${name})`} while ${what}, also after retries.`, {
      hint: 'Too many calls at once in this account and region (other tools, CI jobs); try again in a minute.',
      code: 'aws.throttled',
      cause: e,
    });
  }
  if (status >= 500) {
    return new SgnError(`${who} failed with ${status}${name && !/^(Unknown|Error)$/.test(name) ? ` ${name}` : ''} while ${what}, also after retries.`, {
      hint: 'This is on the AWS side (or a proxy on the way); try again later, and check the AWS Health Dashboard if it persists.',
      code: 'aws.server-error',
      cause: e,
    });
  }
  return undefined;
}

/**
 * Any error in words, as the reporting point puts it: sgn's own, an AWS answer explained (access
 * denied, not found, credentials), or a service that kept throttling or failing (5xx); undefined
 * for a bug. For places that go on without a call and say why (doctor, render, lint).
 */
export function explainError(e: unknown, what: string): SgnError | undefined {
  return e instanceof SgnError ? e : (explainAwsError(e, what) ?? explainServiceFault(e, what));
}
