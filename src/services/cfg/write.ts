/**
 * The non-editor writes of `sgn cfg`: restore an old version, and set/unset keys for scripts.
 * Each goes through the same validation and conditional write as `cfg edit`; set and unset
 * change only the lines of the keys they name, so the rest of the file keeps its bytes.
 */
import type { Context } from '../../context.js';
import { CancelledError, ConflictError, SgnError, UsageError } from '../../errors.js';
import { formatAge } from '../../time.js';
import { assertKnownEnv, cfgFor, type CfgDeps, type Cfg } from './common.js';
import { dominantEol, endsWithNewline, joinLines, normalizeEnds, splitLines, type Line } from './lines.js';
import { configSection, deployerValue, parseConfig, type ParsedConfig } from './parser.js';
import { describeKeyChanges, printDiff, printProblems } from './render.js';
import { fetchConfig, newFileContentType, putConfig, s3Url, type ConfigRef, type StoredConfig } from './store.js';
import { decodeConfig, keyChanges, maxConfigFileBytes, validateConfig } from './validate.js';

const encoder = new TextEncoder();

async function fetchText(cfg: Cfg, ref: ConfigRef, versionId?: string): Promise<{ stored?: StoredConfig; text: string }> {
  const stored = await fetchConfig(await cfg.s3(), ref, { versionId, maxBytes: maxConfigFileBytes, withTags: !versionId, debug: cfg.ctx.debug });
  if (!stored) return { text: '' };
  const decoded = decodeConfig(stored.bytes);
  if (!decoded.ok) throw new SgnError(`${s3Url(ref)}${versionId ? ` version ${versionId}` : ''} is not a config file sgn can change: ${decoded.reason}.`, { hint: 'Nothing was changed. Inspect it with `aws s3 cp`.' });
  return { stored, text: decoded.text };
}

export interface CfgRestoreOptions {
  project: string;
  env: string;
  versionId: string;
  yes: boolean;
  /** Show config values in the diff (hidden by default: they are secrets). */
  showValues: boolean;
}

/** `sgn cfg restore --version-id`: makes an old version the current one, if nobody changed it meanwhile. */
export async function cfgRestore(ctx: Context, opts: CfgRestoreOptions, deps: CfgDeps = {}): Promise<number> {
  const { io } = ctx;
  if (!opts.yes && !io.canPrompt) throw new UsageError('sgn cfg restore asks before it writes, and there is no terminal to ask on.', 'Pass --yes to restore without asking (scripts, CI).');
  const cfg = cfgFor(ctx, deps);
  const ref = cfg.ref(opts.project, opts.env);
  const old = await fetchText(cfg, ref, opts.versionId);
  if (!old.stored) throw new SgnError(`${s3Url(ref)} has no version "${opts.versionId}".`, { hint: `List its versions with: sgn cfg history ${opts.project} ${opts.env}` });
  const oldValidation = validateConfig(old.text);
  if (oldValidation.errors.length) {
    printProblems(io, oldValidation, `Version ${opts.versionId} has problems:`);
    throw new SgnError(`Version ${opts.versionId} of ${s3Url(ref)} has problems sgn will not upload; nothing was restored.`, { hint: `Restore another version, or fix the file with sgn cfg edit ${opts.project} ${opts.env}.` });
  }
  const current = await fetchText(cfg, ref);
  if (current.stored && current.text === old.text && Buffer.compare(Buffer.from(current.stored.bytes), Buffer.from(old.stored.bytes)) === 0) {
    io.info(`Version ${opts.versionId} is what ${s3Url(ref)} holds now; nothing to restore.`);
    return 0;
  }
  const now = ctx.now();
  const currentLabel = current.stored ? `${ref.key} (current${current.stored.versionId ? `, version ${current.stored.versionId}` : ''})` : `${ref.key} (deleted)`;
  printDiff(io, splitLines(current.text), splitLines(old.text), { before: currentLabel, after: `${ref.key} (version ${opts.versionId}${old.stored.lastModified ? `, ${formatAge(old.stored.lastModified, now)}` : ''})` }, { showValues: opts.showValues });
  io.info(io.err.dim(`Keys: ${describeKeyChanges(keyChanges(validateConfig(current.text).entries, oldValidation.entries))}.`));
  if (!opts.yes) {
    const prompter = await ctx.prompter();
    const ok = await prompter.confirm(`Restore version ${opts.versionId} as the current ${s3Url(ref)}?`, { default: false, noTtyHint: 'Pass --yes to restore without asking.' });
    if (!ok) throw new CancelledError('Cancelled; nothing was restored.');
  }
  if (ctx.signal.aborted) throw ctx.signal.reason;
  // The object's current settings (SSE-KMS key, content type, tags) stay; only the bytes go back.
  const keep = current.stored?.keep ?? { ...old.stored.keep, Tagging: undefined };
  const put = await putConfig(await cfg.s3(), ref, old.stored.bytes, current.stored, keep, ctx.debug);
  if (!put.ok) {
    throw new ConflictError(`${s3Url(ref)} changed while you were confirming; nothing was restored.`, `See what changed with sgn cfg history ${opts.project} ${opts.env}, then run the restore again.`);
  }
  io.success(`Restored version ${opts.versionId} of ${s3Url(ref)}${put.versionId ? ` as version ${put.versionId}` : ''}.`);
  return 0;
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
export async function cfgSetKeys(ctx: Context, opts: CfgSetOptions, deps: CfgDeps = {}): Promise<number> {
  const { io } = ctx;
  const cfg = cfgFor(ctx, deps);
  const ref = cfg.ref(opts.project, opts.env);
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
    const current = await fetchText(cfg, ref);
    if (!current.stored) {
      if (opts.set.length === 0) {
        io.info(`There is no config file for ${opts.project} in ${opts.env} (${s3Url(ref)}); nothing to unset.`);
        return 0;
      }
      assertKnownEnv(cfg, opts.env);
    }
    const before = validateConfig(current.text);
    if (before.errors.length) {
      printProblems(io, before, `${s3Url(ref)} has problems:`);
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
      io.info(`No change: ${s3Url(ref)} already ${opts.unset.length && !opts.set.length ? 'lacks those keys' : 'has those values'}; nothing was uploaded.`);
      return 0;
    }
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const keep = current.stored?.keep ?? { ContentType: newFileContentType };
    const put = await putConfig(await cfg.s3(), ref, encoder.encode(text), current.stored, keep, ctx.debug);
    if (put.ok) {
      io.success(`${current.stored ? 'Updated' : 'Created'} ${s3Url(ref)}: ${describeKeyChanges(changes)}${put.versionId ? ` (version ${put.versionId})` : ''}.`);
      return 0;
    }
    if (attempt >= maxAttempts) {
      throw new ConflictError(`${s3Url(ref)} kept changing while sgn tried to write it (${attempt} attempts); nothing was changed.`, 'Someone (or a script) is writing it in a loop; try again in a moment.');
    }
    io.warn(`${s3Url(ref)} changed since it was read; applying the change again on the newest version.`);
  }
}
