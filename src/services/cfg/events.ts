/**
 * What the cfg write services (edit, restore, set, unset) report and return: typed events for
 * the renderer (problems with line numbers, diffs whose values the renderer masks) and one
 * result shape, which is also their --json document. Never a config value outside a diff.
 */
import type { Line } from './lines.js';
import type { Validation } from './validate.js';

/** `cfg.problems`: a file's errors and warnings, with line numbers. */
export interface CfgProblemsEvent {
  validation: Pick<Validation, 'errors' | 'warnings'>;
  title?: string;
  /** How the title is painted. */
  tone?: 'error' | 'warn';
}

/** `cfg.diff`: two versions of a file, shown as a unified diff (values masked unless showValues). */
export interface CfgDiffEvent {
  before: readonly Line[];
  after: readonly Line[];
  labels: { before: string; after: string };
  showValues: boolean;
  /** A blank line before the diff. */
  gap?: boolean;
}

/** Keys (as the deployer names them) added, removed and changed. */
export interface KeyChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

export type CfgWriteStatus =
  /** A new version of an existing file was written. */
  | 'updated'
  /** The file did not exist and was written. */
  | 'created'
  /** An old version's bytes were written as the newest version. */
  | 'restored'
  /** Nothing to write: the file already is what was asked for. */
  | 'unchanged'
  /** A new file left as its template: not created. */
  | 'not-created'
  /** unset on a file that does not exist. */
  | 'absent'
  /** After a conflict, the other writer's version already had this change. */
  | 'already-applied';

export interface CfgWriteResult {
  project: string;
  env: string;
  bucket: string;
  key: string;
  status: CfgWriteStatus;
  /** The S3 version written (unversioned buckets: none). */
  versionId?: string;
  /** The keys that changed (none when nothing was written). */
  changes: KeyChanges;
  /** restore: the version whose bytes were brought back. */
  restoredVersionId?: string;
}

export const noChanges = (): KeyChanges => ({ added: [], removed: [], changed: [] });
