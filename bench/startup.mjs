// Start-up: what every sgn invocation pays before doing any work, against the floor of any Node
// CLI (`node -e 0`) measured in the same run. Budgets from shared/performance.md.
export function scenarios(env) {
  const floor = { argv: env.lib.nodeFloorArgv, label: 'node -e 0' };
  const tty = { columns: 120, rows: 40 };
  const sgn = (...args) => ({ argv: [...env.sgn, ...args], check: (out) => (out.length ? undefined : 'printed nothing') });
  return [
    // `extra`: the AWS CLI's own start-up and help, for reference (notes under the table).
    { id: 'version', name: 'sgn --version', sgn: sgn('--version'), peer: floor, peerLabel: floor.label, extra: [{ argv: [env.aws, '--version'], label: 'aws --version' }], budget: { ratio: 1.1 }, runs: 15, warmup: 2 },
    { id: 'help', name: 'sgn --help', sgn: sgn('--help'), peer: floor, peerLabel: floor.label, extra: [{ argv: [env.aws, 'help'], label: 'aws help' }], budget: { ratio: 1.2 }, runs: 15, warmup: 2 },
    { id: 'cmd-help', name: 'sgn ls deployed --help', sgn: sgn('ls', 'deployed', '--help'), peer: floor, peerLabel: floor.label, budget: { ratio: 1.2 }, runs: 15, warmup: 2 },
    // As people run it: in a terminal (a pseudo-terminal, 120 columns), where help wraps to its width.
    { id: 'help-tty', name: 'sgn --help, in a terminal', sgn: { ...sgn('--help'), tty }, peer: { ...floor, tty }, peerLabel: floor.label, budget: { ratio: 1.2 }, runs: 15, warmup: 2 },
  ];
}
