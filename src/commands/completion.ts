import type { CommandDef } from '../cli/define.js';

export const completionCommand: CommandDef = {
  name: 'completion',
  arguments: '<shell>',
  summary: 'print a shell completion script (bash, zsh or fish)',
  examples: ['source <(sgn completion bash)', 'source <(sgn completion zsh)', 'sgn completion fish > ~/.config/fish/completions/sgn.fish'],
  run: async (ctx, [shell]) => (await import('../services/completion.js')).completion(ctx.io, shell),
};
