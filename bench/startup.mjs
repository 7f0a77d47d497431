// Start-up: what every sgn invocation pays before doing any work, against the floor of any Node
// CLI (`node -e 0`) measured in the same run. Budgets from shared/performance.md.
export function scenarios(env) {
  const floor = { argv: env.lib.nodeFloorArgv, label: 'node -e 0' };
  const sgn = (...args) => ({ argv: [...env.sgn, ...args], check: (out) => (out.length ? undefined : 'printed nothing') });
  return [
    // The AWS CLI's own start-up, for reference (a note under the table, not the peer).
    { name: 'sgn --version', sgn: sgn('--version'), peer: floor, peerLabel: floor.label, extra: [{ argv: [env.aws, '--version'], label: 'aws --version' }], budget: { ratio: 1.1 }, runs: 30, warmup: 3 },
    { name: 'sgn --help', sgn: sgn('--help'), peer: floor, peerLabel: floor.label, budget: { ratio: 1.2 }, runs: 30, warmup: 3 },
    { name: 'sgn ls deployed --help', sgn: sgn('ls', 'deployed', '--help'), peer: floor, peerLabel: floor.label, budget: { ratio: 1.2 }, runs: 30, warmup: 3 },
  ];
}
