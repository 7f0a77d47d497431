/**
 * The non-editor writes of `sgn cfg`: restore an old version, and set/unset keys for scripts.
 * Each goes through the same validation and conditional write as `cfg edit`; set and unset
 * change only the lines of the keys they name, so the rest of the file keeps its bytes.
 */
import { CancelledError, ConflictError, SgnError, UsageError } from '../../errors.js';
import { formatAge } from '../../time.js';
import { assertKnownEnv, configRef, type CfgBaseDeps } from './common.js';
import { noChanges, type CfgDiffEvent, type CfgProblemsEvent, type CfgWriteResult } from './events.js';
import { dominantEol, endsWithNewline, joinLines, normalizeEnds, splitLines, type Line } from './lines.js';
import { configSection, deployerValue, parseConfig, type ParsedConfig } from './parser.js';
import { fetchConfig, newFileContentType, putConfig, s3Url, type ConfigRef, type StoredConfig } from './store.js';
import { decodeConfig, describeKeyChanges, keyChanges, maxConfigFileBytes, validateConfig, type Validation } from './validate.js';

const encoder = new TextEncoder();

/** What restore, set and unset need. */
export interface CfgWriteDeps extends CfgBaseDeps {
  /** Aborted on Ctrl-C: checked right before the upload. */
  signal: AbortSignal;
  now: () => Date;
}

/** A yes/no question for the person at the terminal. */
export type Confirm = (question: string, opts: { default: boolean; noTtyHint: string }) => Promise<boolean>;

async function fetchText(deps: CfgBaseDeps, ref: ConfigRef, versionId?: string): Promise<{ stored?: StoredConfig; text: string }> {
  const stored = await fetchConfig(deps.s3, ref, { versionId, maxBytes: maxConfigFileBytes, withTags: !versionId, debug: deps.debug });
  if (!stored) return { text: '' };
  const decoded = decodeConfig(stored.bytes);
  if (!decoded.ok) throw new SgnError(`${s3Url(ref)}${versionId ? ` version ${versionId}` : ''} is not a config file sgn can change: ${decoded.reason}.`, { hint: 'Nothing was changed. Inspect it with `aws s3 cp`.' });
  return { stored, text: decoded.text };
}

/** Reports a file's problems (line numbers and keys, never values). */
export function reportProblems(deps: Pick<CfgBaseDeps, 'report'>, validation: Pick<Validation, 'errors' | 'warnings'>, title?: string, tone?: CfgProblemsEvent['tone']): void {
  const data: CfgProblemsEvent = { validation, title, tone };
  deps.report.emit({ level: validation.errors.length ? 'error' : 'warn', code: 'cfg.problems', message: title ?? 'problems', data });
}

/** Reports a diff between two versions (the renderer masks values unless showValues). */
export function reportDiff(deps: Pick<CfgBaseDeps, 'report'>, diff: CfgDiffEvent): void {
  deps.report.emit({ level: 'info', code: 'cfg.diff', message: `--- ${diff.labels.before} +++ ${diff.labels.after}`, data: diff });
}

/** Reports which keys a change touches ("Keys: A changed, B added."). */
export function reportKeys(deps: Pick<CfgBaseDeps, 'report'>, changes: ReturnType<typeof keyChanges>): void {
  deps.report.emit({ level: 'info', code: 'cfg.keys', message: `Keys: ${describeKeyChanges(changes)}.`, data: changes });
}

export interface CfgRestoreOptions {
  project: string;
  env: string;
  versionId: string;
  yes: boolean;
  /** Show config values in the diff (hidden by default: they are secrets). */
  showValues: boolean;
}

export interface CfgRestoreDeps extends CfgWriteDeps {
  /** Asks before writing; absent when there is no terminal to ask on. */
  confirm?: Confirm;
}

/** `sgn cfg restore --version-id`: makes an old version the current one, if nobody changed it meanwhile. */
export async function cfgRestore(deps: CfgRestoreDeps, opts: CfgRestoreOptions): Promise<CfgWriteResult> {
  if (!opts.yes && !deps.confirm) throw new UsageError('sgn cfg restore asks before it writes, and there is no terminal to ask on.', 'Pass --yes to restore without asking (scripts, CI).');
  const ref = configRef(deps.settings, opts.project, opts.env);
  const base = { project: opts.project, env: opts.env, bucket: ref.bucket, key: ref.key, restoredVersionId: opts.versionId, changes: noChanges() };
  const old = await fetchText(deps, ref, opts.versionId);
  if (!old.stored) throw new SgnError(`${s3Url(ref)} has no version "${opts.versionId}".`, { hint: `List its versions with: sgn cfg history ${opts.project} ${opts.env}` });
  const oldValidation = validateConfig(old.text);
  if (oldValidation.errors.length) {
    reportProblems(deps, oldValidation, `Version ${opts.versionId} has problems:`);
    throw new SgnError(`Version ${opts.versionId} of ${s3Url(ref)} has problems sgn will not upload; nothing was restored.`, { hint: `Restore another version, or fix the file with sgn cfg edit ${opts.project} ${opts.env}.` });
  }
  const current = await fetchText(deps, ref);
  if (current.stored && current.text === old.text && Buffer.compare(Buffer.from(current.stored.bytes), Buffer.from(old.stored.bytes)) === 0) {
    return { ...base, status: 'unchanged' };
  }
  const now = deps.now();
  const currentLabel = current.stored ? `${ref.key} (current${current.stored.versionId ? `, version ${current.stored.versionId}` : ''})` : `${ref.key} (deleted)`;
  reportDiff(deps, {
    before: splitLines(current.text),
    after: splitLines(old.text),
    labels: { before: currentLabel, after: `${ref.key} (version ${opts.versionId}${old.stored.lastModified ? `, ${formatAge(old.stored.lastModified, now)}` : ''})` },
    showValues: opts.showValues,
  });
  const changes = keyChanges(validateConfig(current.text).entries, oldValidation.entries);
  reportKeys(deps, changes);
  if (!opts.yes) {
    const ok = await deps.confirm!(`Restore version ${opts.versionId} as the current ${s3Url(ref)}?`, { default: false, noTtyHint: 'Pass --yes to restore without asking.' });
    if (!ok) throw new CancelledError('Cancelled; nothing was restored.');
  }
  if (deps.signal.aborted) throw deps.signal.reason;
  // The object's current settings (SSE-KMS key, content type, tags) stay; only the bytes go back.
  const keep = current.stored?.keep ?? { ...old.stored.keep, Tagging: undefined };
  const put = await putConfig(deps.s3, ref, old.stored.bytes, current.stored, keep, deps.debug);
  if (!put.ok) {
    throw new ConflictError(`${s3Url(ref)} changed while you were confirming; nothing was restored.`, `See what changed with sgn cfg history ${opts.project} ${opts.env}, then run the restore again.`);
  }
  return { ...base, status: 'restored', versionId: put.versionId, changes };
}

/**
 * How to write a value so that the deployer reads exactly it back: as is, or in double or
 * single quotes (the deployer strips whitespace, then quotes, at both ends). Undefined when no
 * spelling works (a value that starts or ends with a quote the deployer would strip).
 */
export function spellValue(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return undefined;
  for (const spelled of [value, `"${value}"`, `'${value}'`]) {
    const p = parseConfig(`K=${spelled}`);
    const o = p.sections.get(configSection)?.get('k');
    if (!p.pythonError && o && deployerValue(o.value) === value) return spelled;
  }
  return undefined;
}

/** The lines of an option (its key line and continuation lines) as 0-based indexes. */
function optionLines(o: { line: number; continuation: number[] }): Set<number> {
  return new Set([o.line - 1, ...o.continuation.map((n) => n - 1)]);
}

/** Sets one key in config text: rewrites its value in place, or adds `KEY=value` to [config]. */
export function setKey(text: string, key: string, spelled: string): string {
  const parsed = parseConfig(text);
  const lines = parsed.lines;
  const eol = dominantEol(lines);
  const existing = parsed.sections.get(configSection)?.get(key.toLowerCase());
  let out: Line[];
  if (existing) {
    const drop = new Set([...optionLines(existing)].filter((i) => i !== existing.line - 1));
    out = lines.flatMap((l, i) => {
      if (i === existing.line - 1) return [{ text: l.text.slice(0, existing.valueColumn) + spelled, eol: l.eol }];
      return drop.has(i) && !/^\s*[#;]/.test(l.text) ? [] : [l];
    });
  } else {
    // After the last line that belongs to [config]: before the first section header (and the
    // comments or blank lines right above it), or at the end of the file.
    let at = parsed.headers.length ? parsed.headers[0].line - 1 : lines.length;
    if (parsed.headers.length) while (at > 0 && /^\s*([#;].*)?$/.test(lines[at - 1].text)) at--;
    out = [...lines.slice(0, at), { text: `${key}=${spelled}`, eol }, ...lines.slice(at)];
  }
  return joinLines(normalizeEnds(out, eol, endsWithNewline(lines)));
}

/** Removes a key (from [config] and [DEFAULT]) with its continuation lines; comments stay. */
export function unsetKey(text: string, key: string): string {
  const parsed: ParsedConfig = parseConfig(text);
  const drop = new Set<number>();
  for (const section of [parsed.defaults, parsed.sections.get(configSection)]) {
    const o = section?.get(key.toLowerCase());
    if (o) for (const i of optionLines(o)) if (!/^\s*[#;]/.test(parsed.lines[i].text)) drop.add(i);
  }
  if (drop.size === 0) return text;
  const out = parsed.lines.filter((_, i) => !drop.has(i));
  return joinLines(normalizeEnds(out, dominantEol(parsed.lines), endsWithNewline(parsed.lines)));
}

export interface CfgSetOptions {
  project: string;
  env: string;
  /** KEY=VALUE pairs to set, in order. */
  set: { key: string; value: string }[];
  /** Keys to remove. */
  unset: string[];
}

/** How many times set/unset re-apply themselves when the file changed between read and write. */
const maxAttempts = 4;

/**
 * `sgn cfg set` / `sgn cfg unset`: applies the key changes to the newest version with a
 * conditional write; when someone wrote in between, re-reads and re-applies (a key-level patch
 * on top of their version loses nothing of theirs).
 */
export async function cfgSetKeys(deps: CfgWriteDeps, opts: CfgSetOptions): Promise<CfgWriteResult> {
  const ref = configRef(deps.settings, opts.project, opts.env);
  const base = { project: opts.project, env: opts.env, bucket: ref.bucket, key: ref.key };
  const spelled = opts.set.map(({ key, value }) => {
    const s = spellValue(value);
    if (s === undefined) {
      throw new UsageError(
        /[\r\n]/.test(value) ? `The value of ${key} has a line break; sgn cfg set writes one-line values.` : `The value of ${key} starts or ends with a quote (or space) that the deployer would strip, so it cannot be stored as given.`,
        /[\r\n]/.test(value) ? `Use sgn cfg edit ${opts.project} ${opts.env} for multi-line values.` : 'The deployer removes every quote at both ends of a value; choose a value without them.',
      );
    }
    return { key, value, spelled: s };
  });
  for (let attempt = 1; ; attempt++) {
    const current = await fetchText(deps, ref);
    if (!current.stored) {
      if (opts.set.length === 0) return { ...base, status: 'absent', changes: noChanges() };
      assertKnownEnv(deps.settings.environments, opts.env);
    }
    const before = validateConfig(current.text);
    if (before.errors.length) {
      reportProblems(deps, before, `${s3Url(ref)} has problems:`);
      throw new SgnError(`${s3Url(ref)} must be fixed before keys can be changed safely; nothing was changed.`, { hint: `Fix it with: sgn cfg edit ${opts.project} ${opts.env}` });
    }
    let text = current.text;
    for (const s of spelled) text = setKey(text, s.key, s.spelled);
    for (const key of opts.unset) text = unsetKey(text, key);

    // The result must be exactly the old Secret with these keys changed, or nothing is written.
    const after = validateConfig(text);
    const expected = new Map(before.entries.map((e) => [e.key, e.value]));
    for (const s of spelled) expected.set(s.key.toUpperCase(), s.value);
    for (const key of opts.unset) expected.delete(key.toUpperCase());
    const got = new Map(after.entries.map((e) => [e.key, e.value]));
    if (after.errors.length || got.size !== expected.size || [...expected].some(([k, v]) => got.get(k) !== v)) {
      throw new SgnError('sgn could not change the file without changing other keys too; nothing was changed (this is a bug in sgn).', { hint: `Make the change with sgn cfg edit ${opts.project} ${opts.env}.` });
    }
    const changes = keyChanges(before.entries, after.entries);
    if (text === current.text || (current.stored && changes.added.length + changes.removed.length + changes.changed.length === 0)) {
      return { ...base, status: 'unchanged', changes: noChanges() };
    }
    if (deps.signal.aborted) throw deps.signal.reason;
    const keep = current.stored?.keep ?? { ContentType: newFileContentType };
    const put = await putConfig(deps.s3, ref, encoder.encode(text), current.stored, keep, deps.debug);
    if (put.ok) return { ...base, status: current.stored ? 'updated' : 'created', versionId: put.versionId, changes };
    if (attempt >= maxAttempts) {
      throw new ConflictError(`${s3Url(ref)} kept changing while sgn tried to write it (${attempt} attempts); nothing was changed.`, 'Someone (or a script) is writing it in a loop; try again in a moment.');
    }
    deps.report.emit({ level: 'warn', code: 'cfg.set.retry', message: `${s3Url(ref)} changed since it was read; applying the change again on the newest version.`, data: { attempt } });
  }
}
