import type { Command } from 'commander';
import type { Context } from '../context.js';

/** Flags as commander parsed them (values are validated by each command's parse function). */
export type Flags = Record<string, unknown>;

/**
 * One command: what it declares (arguments, flags, help with examples) and the function that
 * turns them into typed options and calls a service. Files under src/commands/ only declare;
 * heavy modules are imported inside `run`.
 */
export interface CommandDef {
  name: string;
  summary: string;
  description?: string;
  /** commander argument syntax, e.g. '<project> [env]'. */
  arguments?: string;
  aliases?: string[];
  examples: string[];
  options?(cmd: Command): void;
  /** Returns the exit code (0 when omitted). */
  run(ctx: Context, args: string[], flags: Flags): Promise<number | void>;
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
