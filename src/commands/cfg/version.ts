import { UsageError } from '../../errors.js';

/** An S3 version id as given to --version (printable ASCII, no spaces), or undefined. */
export function parseVersionId(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const id = String(value);
  if (!/^[\x21-\x7e]{1,1024}$/.test(id)) throw new UsageError(`"${id}" is not an S3 version id.`, 'Copy one from `sgn cfg history <project> <env>`.');
  return id;
}
