/**
 * `sgn cfg edit`: fetch -> private temp file -> editor -> validate -> diff -> confirm ->
 * conditional upload. If the file changed meanwhile, the other person's change is shown and
 * the user's edit is re-applied on top of it (a three-way merge), never over it.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CancelledError, ConflictError, SgnError, UsageError } from '../../errors.js';
import type { ProcessRunner } from '../../process.js';
import { formatAge } from '../../time.js';
import { assertKnownEnv, configRef, pickEnv, type CfgBaseDeps } from './common.js';
import { conflictMarkerLines, keepLineEndings, merge3 } from './diff.js';
import { createWorkspace, runEditor, type Workspace } from './editor.js';
import type { CfgWriteResult } from './events.js';
import { configLayout } from './layout.js';
import { joinLines, splitLines, type Line } from './lines.js';
import { fetchConfig, newFileContentType, putConfig, s3Url, type ConfigRef, type KeptSettings, type StoredConfig } from './store.js';
import { decodeConfig, keyChanges, maxConfigFileBytes, validateConfig, type Validation } from './validate.js';
import { reportDiff, reportKeys, reportProblems, type Confirm } from './write.js';

export interface CfgEditOptions {
  project: string;
  env?: string;
  yes: boolean;
  /** Show config values in diffs (hidden by default: they are secrets). */
  showValues: boolean;
  /** Resume an edit kept by an earlier refused or conflicting run: the editor opens with this text. */
  fromFile?: string;
}

export interface CfgEditDeps extends CfgBaseDeps {
  /** Asks which of several environments; absent when there is no terminal to ask on. */
  chooseEnv?: (question: string, envs: string[]) => Promise<string>;
  /** Asks yes/no (upload? reopen the editor?); absent when there is no terminal to ask on. */
  confirm?: Confirm;
  /** The editor command ($VISUAL, $EDITOR, or the system's), a shell snippet. */
  editor: string;
  processes: ProcessRunner;
  /** Where the private workspace folder is made ($TMPDIR). */
  tempRoot: string;
  /** The private folder refused or conflicting edits are kept in ($XDG_STATE_HOME/sgn/edits, 0700). */
  keptEditsDir: string;
  now: () => Date;
  signal: AbortSignal;
}

/** The version the next upload must replace: what was fetched, or (after a conflict) theirs. */
interface Base {
  stored?: StoredConfig;
  text: string;
  lines: Line[];
  validation: Validation;
}

const encoder = new TextEncoder();

/** The first content of a config file that does not exist yet (comments only). */
export function newFileTemplate(project: string, env: string): string {
  return (
    `# Config of ${project} in ${env}: one KEY=VALUE per line (KEY: VALUE works too).\n` +
    `# The deployer turns it into the Kubernetes Secret ${project.replace(/_/g, '-')}-${env}: keys are\n` +
    '# upper-cased, quotes around values are removed, an indented line continues the value above.\n'
  );
}

function baseFrom(stored: StoredConfig | undefined, text: string): Base {
  return { stored, text, lines: splitLines(text), validation: validateConfig(text) };
}

function versionLabel(ref: ConfigRef, stored: StoredConfig | undefined, now: Date): string {
  if (!stored) return `${ref.key} (new file)`;
  const age = stored.lastModified ? `, ${formatAge(stored.lastModified, now)}` : '';
  return `${ref.key} (${stored.versionId ? `version ${stored.versionId}` : `ETag ${stored.etag}`}${age})`;
}

/** Reads the current object as text, refusing non-UTF-8 files and files too big for sgn to read. */
async function fetchText(deps: CfgBaseDeps, ref: ConfigRef): Promise<{ stored?: StoredConfig; text?: string }> {
  const stored = await fetchConfig(deps.s3, ref, { maxBytes: maxConfigFileBytes, withTags: true, debug: deps.debug });
  if (!stored) return {};
  const decoded = decodeConfig(stored.bytes);
  if (!decoded.ok) {
    throw new SgnError(`${s3Url(ref)} cannot be edited as a config file: ${decoded.reason}.`, { hint: 'Nothing was changed. Inspect it with `aws s3 cp`; sgn edits UTF-8 text files.' });
  }
  return { stored, text: decoded.text };
}

/** `sgn cfg edit <project> [env]`. */
export async function cfgEdit(deps: CfgEditDeps, opts: CfgEditOptions): Promise<CfgWriteResult> {
  if (!opts.yes && !deps.confirm) {
    throw new UsageError('sgn cfg edit asks before it uploads, and there is no terminal to ask on.', 'Pass --yes to upload without asking (scripts, CI).');
  }
  configLayout(deps.settings.configKey).projectPrefix(opts.project); // refuses k8s_deployer/ before any call
  const env = opts.env ?? (await pickEnv(deps, opts.project, 'edit'));
  const ref = configRef(deps.settings, opts.project, env);
  const { stored, text } = await fetchText(deps, ref);
  if (!stored) assertKnownEnv(deps.settings.environments, env);
  const base = baseFrom(stored, text ?? '');
  const startText = text ?? newFileTemplate(opts.project, env);
  const resumed = opts.fromFile === undefined ? undefined : readKeptEdit(opts.fromFile);

  if (stored && base.validation.errors.length) reportProblems(deps, base.validation, 'The stored file already has problems; fix them while you are in there:', 'warn');
  deps.report.emit({
    level: 'info',
    code: 'cfg.edit.open',
    message: stored ? `Editing ${s3Url(ref)} (${stored.versionId ? `version ${stored.versionId}` : 'unversioned'}) with ${deps.editor}...` : `${s3Url(ref)} does not exist yet; saving creates it. Opening ${deps.editor}...`,
  });

  const ws = createWorkspace(deps.tempRoot, `${opts.project}-${env}.ini`);
  try {
    ws.write(resumed ?? encoder.encode(startText));
    const result = await editLoop(deps, ref, ws, base, startText, opts);
    if (resumed && opts.fromFile && isKeptEditPath(deps.keptEditsDir, opts.fromFile)) rmSync(opts.fromFile, { force: true });
    return result;
  } catch (e) {
    // A refused, conflicting or failed edit is not thrown away: the user's text goes to a
    // private file they can resume from (like kubectl edit).
    let edited: Uint8Array | undefined;
    try {
      edited = ws.read();
    } catch {
      edited = undefined;
    }
    if (edited && new TextDecoder().decode(edited) !== startText) {
      const path = keepEdit(deps.keptEditsDir, `${opts.project}-${env}`, edited, deps.now());
      deps.report.emit({
        level: 'warn',
        code: 'cfg.edit.kept',
        message: `Your edit is kept in ${path} (readable only by you). Resume it with \`sgn cfg edit ${opts.project} ${env} --from-file ${path}${opts.yes ? ' --yes' : ''}\`.`,
        data: { path },
      });
    }
    throw e;
  } finally {
    ws.remove();
  }
}

function isKeptEditPath(dir: string, path: string): boolean {
  return resolve(dirname(path)) === resolve(dir);
}

/** Writes an edit to a new 0600 file in the 0700 kept-edits folder; returns its path. */
function keepEdit(dir: string, name: string, bytes: Uint8Array, now: Date): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  for (let n = 0; ; n++) {
    const path = join(dir, `${name}-${stamp}${n ? `-${n}` : ''}.ini`);
    try {
      writeFileSync(path, bytes, { mode: 0o600, flag: 'wx' });
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

function readKeptEdit(path: string): Uint8Array {
  try {
    const bytes = readFileSync(path);
    if (bytes.length > maxConfigFileBytes) throw new UsageError(`${path} is larger than a config file can be (${maxConfigFileBytes} bytes).`);
    return new Uint8Array(bytes);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--from-file ${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, 'Name the file an earlier sgn cfg edit kept (it printed the path).');
  }
}

async function editLoop(deps: CfgEditDeps, ref: ConfigRef, ws: Workspace, initial: Base, startText: string, opts: CfgEditOptions): Promise<CfgWriteResult> {
  const { yes, showValues } = opts;
  const result = (status: CfgWriteResult['status'], extra: Partial<CfgWriteResult> = {}): CfgWriteResult => ({
    project: ref.project,
    env: ref.env,
    bucket: ref.bucket,
    key: ref.key,
    status,
    changes: { added: [], removed: [], changed: [] },
    ...extra,
  });
  let base = initial;
  /** What the unchanged check compares with: the fetched file, or the new-file template. */
  let unchangedText = startText;
  let candidate: string | undefined;

  const reopenOrStop = async (why: string): Promise<void> => {
    if (!deps.confirm) throw new SgnError(`${why}; nothing was uploaded.`, { hint: `Run sgn cfg edit ${ref.project} ${ref.env} again.` });
    const again = await deps.confirm('Open the editor again to fix it?', { default: true, noTtyHint: '' });
    if (!again) throw new CancelledError('Your edit was discarded; nothing was uploaded.');
  };

  for (;;) {
    if (candidate === undefined) {
      await runEditor(deps, deps.editor, ws.file);
      const decoded = decodeConfig(ws.read());
      if (!decoded.ok) {
        deps.report.emit({ level: 'error', code: 'cfg.edit.unreadable', message: `The file cannot be uploaded: ${decoded.reason}.` });
        await reopenOrStop('The edited file is not a config file the deployer can read');
        continue;
      }
      const kept = joinLines(keepLineEndings(splitLines(unchangedText), splitLines(decoded.text)));
      if (kept === unchangedText) return result(base.stored || unchangedText !== startText ? 'unchanged' : 'not-created');
      candidate = kept;
    }
    const lines = splitLines(candidate);
    const validation = validateConfig(candidate);
    const markers = conflictMarkerLines(lines);
    for (const line of markers) validation.errors.unshift({ line, message: 'a conflict marker is still here; keep the lines that should stay and delete the markers' });
    if (validation.errors.length) {
      reportProblems(deps, validation, 'sgn will not upload this file:', 'error');
      candidate = undefined;
      await reopenOrStop('The edited file has problems');
      continue;
    }
    if (validation.warnings.length) reportProblems(deps, { errors: [], warnings: validation.warnings });

    reportDiff(deps, { before: base.lines, after: lines, labels: { before: versionLabel(ref, base.stored, deps.now()), after: base === initial ? 'your edit' : 'your edit on top of theirs' }, showValues, gap: true });
    const changes = keyChanges(base.validation.entries, validation.entries);
    reportKeys(deps, changes);
    if (!yes) {
      const ok = await deps.confirm!(`${base.stored ? 'Upload to' : 'Create'} ${s3Url(ref)}?`, { default: false, noTtyHint: 'Pass --yes to upload without asking.' });
      if (!ok) throw new CancelledError('Cancelled; nothing was uploaded.');
    }
    if (deps.signal.aborted) throw deps.signal.reason;

    const keep: KeptSettings = base.stored?.keep ?? { ContentType: newFileContentType };
    const put = await putConfig(deps.s3, ref, encoder.encode(candidate), base.stored, keep, deps.debug);
    if (put.ok) return result(base.stored ? 'updated' : 'created', { versionId: put.versionId, changes });

    // Someone else wrote (or deleted) the file since it was fetched: show their change, then
    // re-apply ours on top of theirs.
    const theirs = await fetchText(deps, ref);
    const theirsBase = baseFrom(theirs.stored, theirs.text ?? '');
    if (!theirs.stored) {
      // Deleted meanwhile: creating it again is a decision for a person, never automatic.
      const msg = `${s3Url(ref)} was deleted while you were editing`;
      if (!deps.confirm) throw new ConflictError(`${msg}; nothing was uploaded.`, `Run sgn cfg edit ${ref.project} ${ref.env} to create it again.`);
      deps.report.emit({ level: 'warn', code: 'cfg.edit.deleted', message: `${msg}.` });
      if (!(await deps.confirm(`Create it again with your version?`, { default: false, noTtyHint: '' }))) throw new CancelledError('Cancelled; nothing was uploaded.');
      base = theirsBase;
      continue;
    }
    deps.report.emit({
      level: 'warn',
      code: 'cfg.edit.conflict',
      message: `${s3Url(ref)} was changed by someone else while you were editing${theirs.stored.lastModified ? ` (${formatAge(theirs.stored.lastModified, deps.now())})` : ''}. Their change:`,
    });
    reportDiff(deps, { before: base.lines, after: theirsBase.lines, labels: { before: versionLabel(ref, base.stored, deps.now()), after: versionLabel(ref, theirs.stored, deps.now()) }, showValues });
    reportKeys(deps, keyChanges(base.validation.entries, theirsBase.validation.entries));
    const merged = merge3(base.lines, lines, theirsBase.lines, { ours: 'your edit', theirs: `their version${theirs.stored.versionId ? ` ${theirs.stored.versionId}` : ''}` });
    const mergedText = joinLines(merged.lines);
    base = theirsBase;
    unchangedText = theirsBase.text;
    if (mergedText === theirsBase.text) return result('already-applied');
    if (merged.conflicts === 0 && validateConfig(mergedText).errors.length === 0) {
      deps.report.emit({ level: 'info', code: 'cfg.edit.merged', message: 'Your change applies cleanly on top of theirs:' });
      candidate = mergedText;
      continue;
    }
    if (!deps.confirm) {
      throw new ConflictError(
        `${s3Url(ref)} changed while you were editing, and your change overlaps theirs; nothing was uploaded (their version stays).`,
        `Run sgn cfg edit ${ref.project} ${ref.env} again to redo your change on top of theirs.`,
      );
    }
    deps.report.emit({
      level: 'info',
      code: 'cfg.edit.overlap',
      message: merged.conflicts
        ? `Your change and theirs touch the same lines. The editor opens with both (<<<<<<< your edit / ======= / >>>>>>> their version); keep what should stay.`
        : 'Your change and theirs combine into a file with problems; the editor opens with both so you can fix it.',
    });
    ws.write(encoder.encode(mergedText));
    candidate = undefined;
  }
}
