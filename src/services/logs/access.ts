import { AuthError, awsErrorName, explainAwsError, type SgnError } from '../../errors.js';

const deniedNames = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

/**
 * Explains an access or credential error of one call: access denied names the permission the
 * call needs (AWS messages do not always say it); missing or expired credentials get the
 * usual fix. Returns undefined for any other error.
 */
export function denied(e: unknown, permission: string, what: string): SgnError | undefined {
  if (deniedNames.has(awsErrorName(e) ?? '')) {
    return new AuthError(`Access denied while ${what} (missing permission ${permission}).`, `Ask for ${permission} on this resource, or use a profile that has it (--profile).`, e);
  }
  return explainAwsError(e, what);
}
