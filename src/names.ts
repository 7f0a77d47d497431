import { UsageError } from './errors.js';

/**
 * Project and environment names end up in DynamoDB keys, S3 keys, log group names and ECR
 * repositories: refuse anything that could escape its place (`/`, `..`, spaces) before any call.
 */
export function validateName(value: string, what: 'project' | 'environment'): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(value) || value.includes('..')) {
    throw new UsageError(
      `"${value}" is not a valid ${what} name.`,
      `${what === 'environment' ? 'An' : 'A'} ${what} name has letters, digits, ".", "_" and "-" only, and starts with a letter or digit.`,
    );
  }
  return value;
}
