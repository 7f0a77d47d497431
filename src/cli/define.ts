import type { Command } from 'commander';
import type { Context } from '../context.js';

/** Flags as commander parsed them (values are validated by each command's parse function). */
export type Flags = Record<string, unknown>;

interface CommandHeader {
  name: string;
  summary: string;
  description?: string;
  /** commander argument syntax, e.g. '<project> [env]'. */
  arguments?: string;
  aliases?: string[];
  examples: string[];
  options?(cmd: Command): void;
}

/**
 * A command in the shape every new command takes (gh's NewCmdX/XOptions/xRun): `parse` turns
 * argv into typed options (pure; throws UsageError), `execute` builds the narrow dependencies
 * from the context and calls one service, `render` shows the result to people. With `json`, the
 * core declares `--json` and prints the result (or `{"error": ...}`) as one JSON document.
 */
export interface CommandSpec<O, R> extends CommandHeader {
  json?: boolean;
  parse(args: string[], flags: Flags): O;
  execute(ctx: Context, opts: O): Promise<R>;
  /** Renders the result for people and returns the exit code (0 when omitted). */
  render(ctx: Context, result: R, opts: O): number | void | Promise<number | void>;
  /** The exit code of a result under --json (0 when omitted). */
  exitCode?(result: R, opts: O): number;
  /** The JSON document of a result, when it is not the result itself (a documented shape). */
  toJson?(result: R, opts: O): unknown;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommandSpec = CommandSpec<any, any>;
/** Every command: there is no other form (the old `run(ctx, args, flags)` one is gone). */
export type CommandDef = AnyCommandSpec;

/** Declares a command, checking that parse, execute and render agree on their types. */
export function defineCommand<O, R>(spec: CommandSpec<O, R>): CommandSpec<O, R> {
  return spec;
}

/** True for a command declaration (every command is one now; tests walking the tree use it). */
export function isSpec(def: CommandDef): def is AnyCommandSpec {
  return 'execute' in def;
}

/** A group of commands (`sgn cfg ...`), a folder under src/commands/. */
export interface GroupDef {
  name: string;
  summary: string;
  commands: CommandDef[];
}

export function isGroup(def: CommandDef | GroupDef): def is GroupDef {
  return 'commands' in def;
}

/** `--json` on every read command, declared the same way everywhere. */
export function jsonOption(cmd: Command): void {
  cmd.option('--json', 'print machine-readable JSON on stdout');
}

/**
 * Typed reads of the flags commander parsed: a flag read with the wrong type (a renamed or
 * retyped option that parse was not updated for) fails loudly as a bug in every test that parses
 * through commander, instead of a silent `undefined as string`.
 */
export function flagReader(flags: Flags) {
  const read = <T>(name: string, type: string, check: (v: unknown) => v is T): T | undefined => {
    const v = flags[name];
    if (v === undefined) return undefined;
    if (!check(v)) throw new Error(`flag --${name} is ${typeof v}, not ${type} (declaration and parse disagree)`);
    return v;
  };
  const isString = (v: unknown): v is string => typeof v === 'string';
  const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
  const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
  return {
    string: (name: string) => read(name, 'string', isString),
    boolean: (name: string) => read(name, 'boolean', isBoolean) ?? false,
    strings: (name: string) => read(name, 'string[]', isStrings) ?? [],
  };
}
