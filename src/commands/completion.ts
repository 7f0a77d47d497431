import type { Command } from 'commander';
import { defineCommand } from '../cli/define.js';
import { UsageError } from '../errors.js';

const shells = ['bash', 'zsh', 'fish'];

export const completionCommand = defineCommand({
  name: 'completion',
  arguments: '<shell>',
  summary: 'print a shell completion script (bash, zsh or fish)',
  description: [
    'Prints a completion script for your shell. It completes commands, their aliases and flags, global flags anywhere, and names: projects and environments from the deploy table (cached for a minute), config keys for cfg set/unset, and settings for config get/set.',
    '',
    'Install it once, then open a new shell:',
    '  bash  add to ~/.bashrc:  source <(sgn completion bash)',
    '  zsh   add to ~/.zshrc, after compinit:  source <(sgn completion zsh)',
    '  fish  run:  sgn completion fish > ~/.config/fish/completions/sgn.fish',
  ].join('\n'),
  examples: ['source <(sgn completion bash)', 'source <(sgn completion zsh)', 'sgn completion fish > ~/.config/fish/completions/sgn.fish'],
  options: (cmd: Command) => void cmd.registeredArguments[0]?.choices(shells),
  parse: ([shell]) => {
    if (!shells.includes(shell)) throw new UsageError(`No completion for shell "${shell}".`, 'Use one of: sgn completion bash, sgn completion zsh, sgn completion fish.');
    return { shell };
  },
  execute: async (_ctx, { shell }) => ({ script: (await import('../services/completion/scripts.js')).completionScript(shell) }),
  render: (ctx, { script }) => void ctx.io.write(script),
});
