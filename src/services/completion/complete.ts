/**
 * Shell completion: what may stand at the cursor of a partial `sgn ...` command line. The CLI
 * core describes its commander program as a `CompletionCommand` tree and passes it in, with the
 * sources of names (projects, environments, config keys, settings); this module walks the words
 * the way commander parses them and never prints. The shell scripts (scripts.ts) ask for it on
 * every TAB through `sgn __complete <shell> -- <words...>`, so completion always matches the
 * installed sgn.
 */

export interface CompletionOption {
  /** Every spelling, e.g. ['-p', '--project']. */
  flags: string[];
  /** The long name without dashes (`project`), or the short one when there is no long. */
  name: string;
  description: string;
  /** Takes a value in the next word (`--project <name>`). */
  takesValue: boolean;
  /** May be given more than once (`-e a -e b`, `-c k=v -c k2=v2`). */
  repeatable: boolean;
  choices?: string[];
}

export interface CompletionArg {
  /** As declared, e.g. `project`, `env`, `KEY=VALUE`, `KEY`, `key`. */
  name: string;
  variadic: boolean;
  choices?: string[];
}

export interface CompletionCommand {
  name: string;
  aliases: string[];
  description: string;
  options: CompletionOption[];
  args: CompletionArg[];
  commands: CompletionCommand[];
}

export interface Candidate {
  value: string;
  description?: string;
}

/** Where names come from. Each may be slow or fail: the caller bounds them (short timeout, cache). */
export interface CompletionSources {
  projects(): Promise<string[]>;
  environments(): Promise<string[]>;
  /** The keys of one config file (`cfg set/unset`). */
  configKeys(project: string, env: string): Promise<string[]>;
  /** sgn's own setting names with what each is (`config get/set`, `-c`). */
  settings(): Candidate[];
}

type Kind = 'project' | 'environment' | 'configKey' | 'configAssignment' | 'setting' | 'settingAssignment' | 'command' | 'none';

/** What a positional argument names, from its declared name (and its command for `key`). */
function argKind(path: string[], arg: CompletionArg): Kind {
  const name = arg.name;
  if (name === 'project') return 'project';
  if (/^env(A|B)?$/.test(name)) return 'environment';
  if (name === 'KEY=VALUE') return 'configAssignment';
  if (name === 'KEY') return 'configKey';
  if (name === 'key' && path[0] === 'config') return 'setting';
  if (path.length === 1 && path[0] === 'help') return 'command';
  return 'none';
}

/** What an option's value names, from its long name. */
function optionKind(option: CompletionOption): Kind {
  if (option.name === 'project') return 'project';
  if (option.name === 'from' || option.name === 'env') return 'environment';
  if (option.name === 'setting') return 'settingAssignment';
  return 'none';
}

interface State {
  node: CompletionCommand;
  path: string[];
  /** Positional words given to the current command so far. */
  positionals: string[];
  /** Options given so far (by name), for not offering a flag twice. */
  used: Set<string>;
  /** The option whose value the next word is. */
  pending?: CompletionOption;
  afterDashDash: boolean;
}

const findOption = (options: CompletionOption[], flag: string) => options.find((o) => o.flags.includes(flag));

/** Walks the words before the cursor as commander would parse them. */
function walk(root: CompletionCommand, before: string[]): State {
  const s: State = { node: root, path: [], positionals: [], used: new Set(), afterDashDash: false };
  for (const word of before) {
    if (s.pending) {
      s.pending = undefined;
      continue;
    }
    if (!s.afterDashDash && word === '--') {
      s.afterDashDash = true;
      continue;
    }
    if (!s.afterDashDash && word.startsWith('-') && word !== '-') {
      const flag = word.includes('=') ? word.slice(0, word.indexOf('=')) : word;
      // A command's own options, then the global ones (commander reads those anywhere).
      const option = findOption(s.node.options, flag) ?? findOption(root.options, flag);
      if (!option) continue;
      s.used.add(option.name);
      if (option.takesValue && !word.includes('=')) s.pending = option;
      continue;
    }
    const sub = s.positionals.length === 0 ? s.node.commands.find((c) => c.name === word || c.aliases.includes(word)) : undefined;
    if (sub) {
      s.node = sub;
      s.path = [...s.path, sub.name];
      s.positionals = [];
      continue;
    }
    s.positionals.push(word);
  }
  return s;
}

const byPrefix = (prefix: string) => (c: Candidate) => c.value.startsWith(prefix);
const plain = (values: string[]): Candidate[] => [...new Set(values)].sort().map((value) => ({ value }));

async function valuesOf(kind: Kind, s: State, root: CompletionCommand, sources: CompletionSources): Promise<Candidate[]> {
  switch (kind) {
    case 'project':
      return plain(await sources.projects());
    case 'environment':
      return plain(await sources.environments());
    case 'configKey':
    case 'configAssignment': {
      const [project, env] = s.positionals;
      if (!project || !env) return [];
      const keys = await sources.configKeys(project, env);
      // `cfg unset A B`: a key named twice is no help.
      const given = new Set(s.positionals.slice(2).map((w) => w.split('=')[0]));
      return plain(keys.filter((k) => !given.has(k)).map((k) => (kind === 'configAssignment' ? `${k}=` : k)));
    }
    case 'setting':
      return sources.settings();
    case 'settingAssignment':
      return sources.settings().map((c) => ({ ...c, value: `${c.value}=` }));
    case 'command': {
      // `sgn help cfg <TAB>`: the commands under the path given so far.
      let node = root;
      for (const word of s.positionals) node = node.commands.find((c) => c.name === word || c.aliases.includes(word)) ?? { ...node, commands: [] };
      return commandsOf(node);
    }
    default:
      return [];
  }
}

function commandsOf(node: CompletionCommand): Candidate[] {
  return node.commands.flatMap((c) => [c.name, ...c.aliases].map((value) => ({ value, description: c.description })));
}

function optionsOf(s: State, root: CompletionCommand, prefix: string): Candidate[] {
  const options = s.node === root ? root.options : [...s.node.options, ...root.options.filter((g) => !s.node.options.some((o) => o.name === g.name))];
  const out: Candidate[] = [];
  for (const o of options) {
    if (s.used.has(o.name) && !o.repeatable) continue;
    // Long spellings unless the word is a lone dash or a short flag is being typed.
    const spellings = prefix === '-' ? o.flags : o.flags.filter((f) => f.startsWith('--') || (prefix.length > 1 && !prefix.startsWith('--')));
    for (const f of spellings) out.push({ value: f, description: o.description });
  }
  return out;
}

/**
 * The candidates for the last of `words` (the words after `sgn`, the last one being the word at
 * the cursor, '' for a new word), filtered by what it already holds.
 */
export async function complete(root: CompletionCommand, words: string[], sources: CompletionSources): Promise<Candidate[]> {
  const current = words.at(-1) ?? '';
  const s = walk(root, words.slice(0, -1));
  if (s.pending) {
    const option = s.pending;
    const values = option.choices ? plain(option.choices) : await valuesOf(optionKind(option), s, root, sources);
    return values.filter(byPrefix(current));
  }
  if (!s.afterDashDash && current.startsWith('--') && current.includes('=')) {
    // `--project=we<TAB>`: the value, written with its flag.
    const flag = current.slice(0, current.indexOf('='));
    const option = findOption(s.node.options, flag) ?? findOption(root.options, flag);
    if (!option?.takesValue) return [];
    const values = option.choices ? plain(option.choices) : await valuesOf(optionKind(option), s, root, sources);
    return values.map((c) => ({ ...c, value: `${flag}=${c.value}` })).filter(byPrefix(current));
  }
  if (!s.afterDashDash && current.startsWith('-')) return optionsOf(s, root, current).filter(byPrefix(current));
  if (s.node.commands.length > 0 && s.positionals.length === 0) return commandsOf(s.node).filter(byPrefix(current));
  const args = s.node.args;
  const arg = s.positionals.length < args.length ? args[s.positionals.length] : args.at(-1)?.variadic ? args.at(-1) : undefined;
  if (!arg) return [];
  const values = arg.choices ? plain(arg.choices) : await valuesOf(argKind(s.path, arg), s, root, sources);
  return values.filter(byPrefix(current));
}
