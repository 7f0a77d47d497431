import { UsageError } from '../../errors.js';

/**
 * The completion scripts `sgn completion <shell>` prints. Each is a thin shim: on TAB it runs
 * `sgn __complete <shell> -- <words up to the cursor>` (the same sgn the user typed) and offers
 * the lines it prints (`value<TAB>description`; a value ending in `=` gets no space after it).
 * Everything else (commands, aliases, flags, projects, ...) is decided by complete.ts, from the
 * commander program of the installed sgn, so a script never goes stale after an upgrade.
 */
export const shells = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof shells)[number];

export function isShell(value: string): value is Shell {
  return (shells as readonly string[]).includes(value);
}

const bash = `# sgn completion for bash. Install: add to ~/.bashrc
#   source <(sgn completion bash)
# or, with the bash-completion package: sgn completion bash > ~/.local/share/bash-completion/completions/sgn
_sgn_completion() {
  # The words as typed up to the cursor (COMP_WORDS splits at = and :, sgn wants them whole).
  local line="\${COMP_LINE:0:COMP_POINT}" cur="\${COMP_WORDS[COMP_CWORD]}"
  local -a words
  read -ra words <<< "$line"
  [[ -z "$line" || "$line" =~ [[:space:]]$ ]] && words+=("")
  local IFS=$'\\n' c value prefix
  local -a reply
  reply=($("\${words[0]}" __complete bash -- "\${words[@]:1}" 2>/dev/null)) || return 0
  # bash replaces only what follows the last = or : of the word: drop what comes before it.
  prefix="\${words[\${#words[@]}-1]}"
  prefix="\${prefix%"$cur"}"
  COMPREPLY=()
  for c in "\${reply[@]}"; do
    value="\${c%%$'\\t'*}"
    [[ "$value" == *= ]] && compopt -o nospace 2>/dev/null
    COMPREPLY+=("\${value#"$prefix"}")
  done
}
complete -F _sgn_completion sgn
`;

const zsh = `#compdef sgn
# sgn completion for zsh. Install: add to ~/.zshrc, after compinit
#   source <(sgn completion zsh)
# or put it on $fpath: sgn completion zsh > "\${fpath[1]}/_sgn"
_sgn() {
  local -a reply values descs nospace
  local line value desc
  reply=("\${(@f)$(\${words[1]} __complete zsh -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  for line in "\${reply[@]}"; do
    [[ -z "$line" ]] && continue
    value="\${line%%$'\\t'*}"
    desc=""
    [[ "$line" == *$'\\t'* ]] && desc="\${line#*$'\\t'}"
    if [[ "$value" == *= ]]; then
      nospace+=("$value")
    else
      values+=("$value")
      descs+=("$value\${desc:+  -- $desc}")
    fi
  done
  (( \${#values} )) && compadd -l -d descs -a values
  (( \${#nospace} )) && compadd -S '' -a nospace
  return 0
}
if [[ "\${funcstack[1]}" == _sgn ]]; then
  _sgn "$@"
else
  compdef _sgn sgn
fi
`;

const fish = `# sgn completion for fish. Install:
#   sgn completion fish > ~/.config/fish/completions/sgn.fish
function __sgn_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    $words[1] __complete fish -- $words[2..-1] "$cur" 2>/dev/null
end
complete -c sgn -f -a '(__sgn_complete)'
`;

/** `sgn completion <shell>`: the script for that shell. */
export function completionScript(shell: string): string {
  if (!isShell(shell)) throw new UsageError(`No completion for shell "${shell}".`, 'Use one of: sgn completion bash, sgn completion zsh, sgn completion fish.');
  return { bash, zsh, fish }[shell];
}
