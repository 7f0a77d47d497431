import { Command } from 'commander';
import type { CommandDef, GroupDef } from '../cli/define.js';
import { isGroup } from '../cli/define.js';
import { UsageError } from '../errors.js';

interface Node {
  words: string[];
  flags: string[];
  children: Record<string, Node>;
}

/** Walks the declared command tree (the same definitions the CLI parses with). */
export function completionTree(tree: (CommandDef | GroupDef)[]): Node {
  const flagsOf = (def: CommandDef) => {
    const cmd = new Command(def.name);
    def.options?.(cmd);
    return [...cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))), '--help'];
  };
  const root: Node = { words: [], flags: ['--region', '--profile', '--sandbox', '--setting', '--no-color', '--debug', '--help', '--version'], children: {} };
  for (const def of tree) {
    if (isGroup(def)) {
      const group: Node = { words: def.commands.map((c) => c.name), flags: ['--help'], children: {} };
      for (const c of def.commands) group.children[c.name] = { words: [], flags: flagsOf(c), children: {} };
      root.children[def.name] = group;
    } else {
      root.children[def.name] = { words: [], flags: flagsOf(def), children: {} };
    }
  }
  root.words = Object.keys(root.children);
  return root;
}

function bash(root: Node): string {
  const cases: string[] = [];
  for (const [name, node] of Object.entries(root.children)) {
    cases.push(`    "${name}") words="${[...node.words, ...node.flags].join(' ')}" ;;`);
    for (const [sub, leaf] of Object.entries(node.children)) cases.push(`    "${name} ${sub}") words="${leaf.flags.join(' ')}" ;;`);
  }
  return `# sgn completion for bash: add to ~/.bashrc:  source <(sgn completion bash)
_sgn() {
  local cur path="" w i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) ;; *) path="\${path:+$path }$w" ;; esac
  done
  local words="${[...root.words, ...root.flags].join(' ')}"
  case "$path" in
${cases.join('\n')}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _sgn sgn
`;
}

function zsh(root: Node): string {
  return `#compdef sgn
# sgn completion for zsh: add to ~/.zshrc:  source <(sgn completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash(root)}`;
}

function fish(root: Node): string {
  const lines = ['# sgn completion for fish: sgn completion fish > ~/.config/fish/completions/sgn.fish', 'complete -c sgn -f'];
  const top = root.words.join(' ');
  for (const name of root.words) lines.push(`complete -c sgn -n "not __fish_seen_subcommand_from ${top}" -a ${name}`);
  for (const [name, node] of Object.entries(root.children)) {
    for (const sub of node.words) lines.push(`complete -c sgn -n "__fish_seen_subcommand_from ${name}; and not __fish_seen_subcommand_from ${node.words.join(' ')}" -a ${sub}`);
    const leaves = Object.keys(node.children).length ? Object.entries(node.children) : [[name, node] as const];
    for (const [sub, leaf] of leaves) {
      for (const f of leaf.flags.filter((x) => x.startsWith('--'))) lines.push(`complete -c sgn -n "__fish_seen_subcommand_from ${sub}" -l ${f.slice(2)}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** `sgn completion <shell>`: the completion script on stdout. */
export async function completion(io: { write(s: string): void }, shell: string): Promise<number> {
  const { commandTree } = await import('../commands/index.js');
  const root = completionTree(commandTree);
  const scripts: Record<string, (n: Node) => string> = { bash, zsh, fish };
  const make = scripts[shell];
  if (!make) throw new UsageError(`No completion for shell "${shell}".`, 'Use bash, zsh or fish.');
  io.write(make(root));
  return 0;
}
