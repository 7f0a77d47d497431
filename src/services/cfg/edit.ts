/**
 * `sgn cfg edit`: fetch -> private temp file -> editor -> validate -> diff -> confirm ->
 * conditional upload. If the file changed meanwhile, the other person's change is shown and
 * the user's edit is re-applied on top of it (a three-way merge), never over it.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Context } from '../../context.js';
import { CancelledError, ConflictError, SgnError, UsageError } from '../../errors.js';
import { formatAge } from '../../time.js';
import { assertKnownEnv, cfgFor, type CfgDeps, resolveEnv, tempRoot, type Cfg } from './common.js';
import { conflictMarkerLines, keepLineEndings, merge3 } from './diff.js';
import { createWorkspace, editorCommand, runEditor, type Workspace } from './editor.js';
import { joinLines, splitLines, type Line } from './lines.js';
import { describeKeyChanges, printDiff, printProblems } from './render.js';
import { fetchConfig, newFileContentType, putConfig, s3Url, type ConfigRef, type KeptSettings, type StoredConfig } from './store.js';
import { decodeConfig, keyChanges, maxConfigFileBytes, validateConfig, type Validation } from './validate.js';

export interface CfgEditOptions {
  project: string;
  env?: string;
  yes: boolean;
  /** Show config values in diffs (hidden by default: they are secrets). */
  showValues: boolean;
  /** Resume an edit kept by an earlier refused or conflicting run: the editor opens with this text. */
  fromFile?: string;
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
async function fetchText(cfg: Cfg, ref: ConfigRef): Promise<{ stored?: StoredConfig; text?: string }> {
  const stored = await fetchConfig(await cfg.s3(), ref, { maxBytes: maxConfigFileBytes, withTags: true, debug: cfg.ctx.debug });
  if (!stored) return {};
  const decoded = decodeConfig(stored.bytes);
  if (!decoded.ok) {
    throw new SgnError(`${s3Url(ref)} cannot be edited as a config file: ${decoded.reason}.`, { hint: 'Nothing was changed. Inspect it with `aws s3 cp`; sgn edits UTF-8 text files.' });
  }
  return { stored, text: decoded.text };
}

/** `sgn cfg edit <project> [env]`. */
export async function cfgEdit(ctx: Context, opts: CfgEditOptions, deps: CfgDeps = {}): Promise<number> {
  const { io } = ctx;
  if (!opts.yes && !io.canPrompt) {
    throw new UsageError('sgn cfg edit asks before it uploads, and there is no terminal to ask on.', 'Pass --yes to upload without asking (scripts, CI).');
  }
  const cfg = cfgFor(ctx, deps);
  cfg.layout.projectPrefix(opts.project); // refuses k8s_deployer/ before any call
  const env = await resolveEnv(cfg, opts.project, opts.env, (e) => `sgn cfg edit ${opts.project} ${e}`);
  const ref = cfg.ref(opts.project, env);
  const { stored, text } = await fetchText(cfg, ref);
  if (!stored) assertKnownEnv(cfg, env);
  const base = baseFrom(stored, text ?? '');
  const startText = text ?? newFileTemplate(opts.project, env);
  const resumed = opts.fromFile === undefined ? undefined : readKeptEdit(opts.fromFile);
  const editor = editorCommand(ctx.env);

  if (stored && base.validation.errors.length) printProblems(io, base.validation, io.err.yellow(`The stored file already has problems; fix them while you are in there:`));
  io.info(io.err.dim(stored ? `Editing ${s3Url(ref)} (${stored.versionId ? `version ${stored.versionId}` : 'unversioned'}) with ${editor}...` : `${s3Url(ref)} does not exist yet; saving creates it. Opening ${editor}...`));

  const ws = createWorkspace(await tempRoot(ctx), `${opts.project}-${env}.ini`);
  try {
    ws.write(resumed ?? encoder.encode(startText));
    const code = await editLoop(cfg, ref, ws, editor, base, startText, opts);
    if (resumed && opts.fromFile && isKeptEditPath(ctx.env, opts.fromFile)) rmSync(opts.fromFile, { force: true });
    return code;
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
      const path = keepEdit(ctx.env, `${opts.project}-${env}`, edited, ctx.now());
      io.warn(`Your edit is kept in ${path} (readable only by you). Resume it with \`sgn cfg edit ${opts.project} ${env} --from-file ${path}${opts.yes ? ' --yes' : ''}\`.`);
    }
    throw e;
  } finally {
    ws.remove();
  }
}

/** The private folder of kept edits: $XDG_STATE_HOME/sgn/edits (0700). */
export function keptEditsDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'sgn', 'edits');
}

function isKeptEditPath(env: NodeJS.ProcessEnv, path: string): boolean {
  return resolve(dirname(path)) === resolve(keptEditsDir(env));
}

/** Writes an edit to a new 0600 file in the 0700 kept-edits folder; returns its path. */
function keepEdit(env: NodeJS.ProcessEnv, name: string, bytes: Uint8Array, now: Date): string {
  const dir = keptEditsDir(env);
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

async function editLoop(cfg: Cfg, ref: ConfigRef, ws: Workspace, editor: string, initial: Base, startText: string, opts: CfgEditOptions): Promise<number> {
  const { yes, showValues } = opts;
  const { ctx } = cfg;
  const { io } = ctx;
  let base = initial;
  /** What the unchanged check compares with: the fetched file, or the new-file template. */
  let unchangedText = startText;
  let candidate: string | undefined;

  const reopenOrStop = async (why: string): Promise<void> => {
    if (!io.canPrompt) throw new SgnError(`${why}; nothing was uploaded.`, { hint: `Run sgn cfg edit ${ref.project} ${ref.env} again.` });
    const prompter = await ctx.prompter();
    const again = await prompter.confirm('Open the editor again to fix it?', { default: true, noTtyHint: '' });
    if (!again) throw new CancelledError('Your edit was discarded; nothing was uploaded.');
  };

  for (;;) {
    if (candidate === undefined) {
      await runEditor(ctx, editor, ws.file);
      const decoded = decodeConfig(ws.read());
      if (!decoded.ok) {
        io.failure(`The file cannot be uploaded: ${decoded.reason}.`);
        await reopenOrStop('The edited file is not a config file the deployer can read');
        continue;
      }
      const kept = joinLines(keepLineEndings(splitLines(unchangedText), splitLines(decoded.text)));
      if (kept === unchangedText) {
        io.info(base.stored || unchangedText !== startText ? 'No changes; nothing was uploaded.' : 'No changes; the file was not created.');
        return 0;
      }
      candidate = kept;
    }
    const lines = splitLines(candidate);
    const validation = validateConfig(candidate);
    const markers = conflictMarkerLines(lines);
    for (const line of markers) validation.errors.unshift({ line, message: 'a conflict marker is still here; keep the lines that should stay and delete the markers' });
    if (validation.errors.length) {
      printProblems(io, validation, io.err.red(`sgn will not upload this file:`));
      candidate = undefined;
      await reopenOrStop('The edited file has problems');
      continue;
    }
    if (validation.warnings.length) printProblems(io, { errors: [], warnings: validation.warnings });

    io.info('');
    printDiff(io, base.lines, lines, { before: versionLabel(ref, base.stored, ctx.now()), after: base === initial ? 'your edit' : 'your edit on top of theirs' }, { showValues });
    io.info(io.err.dim(`Keys: ${describeKeyChanges(keyChanges(base.validation.entries, validation.entries))}.`));
    if (!yes) {
      const prompter = await ctx.prompter();
      const ok = await prompter.confirm(`${base.stored ? 'Upload to' : 'Create'} ${s3Url(ref)}?`, { default: false, noTtyHint: 'Pass --yes to upload without asking.' });
      if (!ok) throw new CancelledError('Cancelled; nothing was uploaded.');
    }
    if (ctx.signal.aborted) throw ctx.signal.reason;

    const keep: KeptSettings = base.stored?.keep ?? { ContentType: newFileContentType };
    const put = await putConfig(await cfg.s3(), ref, encoder.encode(candidate), base.stored, keep, ctx.debug);
    if (put.ok) {
      io.success(`${base.stored ? 'Uploaded' : 'Created'} ${s3Url(ref)}${put.versionId ? ` (version ${put.versionId})` : ''}.`);
      return 0;
    }

    // Someone else wrote (or deleted) the file since it was fetched: show their change, then
    // re-apply ours on top of theirs.
    const theirs = await fetchText(cfg, ref);
    const theirsBase = baseFrom(theirs.stored, theirs.text ?? '');
    if (!theirs.stored) {
      // Deleted meanwhile: creating it again is a decision for a person, never automatic.
      const msg = `${s3Url(ref)} was deleted while you were editing`;
      if (!io.canPrompt) throw new ConflictError(`${msg}; nothing was uploaded.`, `Run sgn cfg edit ${ref.project} ${ref.env} to create it again.`);
      io.warn(`${msg}.`);
      const prompter = await ctx.prompter();
      if (!(await prompter.confirm(`Create it again with your version?`, { default: false, noTtyHint: '' }))) throw new CancelledError('Cancelled; nothing was uploaded.');
      base = theirsBase;
      continue;
    }
    io.warn(`${s3Url(ref)} was changed by someone else while you were editing${theirs.stored.lastModified ? ` (${formatAge(theirs.stored.lastModified, ctx.now())})` : ''}. Their change:`);
    printDiff(io, base.lines, theirsBase.lines, { before: versionLabel(ref, base.stored, ctx.now()), after: versionLabel(ref, theirs.stored, ctx.now()) }, { showValues });
    io.info(io.err.dim(`Keys: ${describeKeyChanges(keyChanges(base.validation.entries, theirsBase.validation.entries))}.`));
    const merged = merge3(base.lines, lines, theirsBase.lines, { ours: 'your edit', theirs: `their version${theirs.stored.versionId ? ` ${theirs.stored.versionId}` : ''}` });
    const mergedText = joinLines(merged.lines);
    base = theirsBase;
    unchangedText = theirsBase.text;
    if (mergedText === theirsBase.text) {
      io.info('Their version already has your change; nothing was uploaded.');
      return 0;
    }
    if (merged.conflicts === 0 && validateConfig(mergedText).errors.length === 0) {
      io.info('Your change applies cleanly on top of theirs:');
      candidate = mergedText;
      continue;
    }
    if (!io.canPrompt) {
      throw new ConflictError(
        `${s3Url(ref)} changed while you were editing, and your change overlaps theirs; nothing was uploaded (their version stays).`,
        `Run sgn cfg edit ${ref.project} ${ref.env} again to redo your change on top of theirs.`,
      );
    }
    io.info(
      merged.conflicts
        ? `Your change and theirs touch the same lines. The editor opens with both (<<<<<<< your edit / ======= / >>>>>>> their version); keep what should stay.`
        : 'Your change and theirs combine into a file with problems; the editor opens with both so you can fix it.',
    );
    ws.write(encoder.encode(mergedText));
    candidate = undefined;
  }
}
