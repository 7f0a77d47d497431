import type { IO, Reporter } from '../../io.js';
import type { PromotePlan } from '../../services/deploy/plan.js';
import type { DeployResult } from '../../services/deploy/deploy.js';
import { formatAge } from '../../time.js';

/** The plan, for people, on stderr. */
export function printPlan(io: IO, plan: PromotePlan, region: string, now: Date): void {
  const c = io.err;
  const row = (k: string, v: string) => io.info(`  ${c.dim(k.padEnd(9))} ${v}`);
  const before = plan.target ? `${plan.target.tag ?? '?'} ${c.dim(`(${plan.target.deployedAt ? formatAge(plan.target.deployedAt, now) : '?'})`)}` : c.dim(`(nothing in ${plan.to} yet)`);
  const after = `${c.bold(plan.source.tag ?? '?')} ${c.dim(`(in ${plan.from} since ${plan.source.deployedAt ? formatAge(plan.source.deployedAt, now) : '?'})`)}`;
  io.info(`${c.bold(`Promote ${plan.project}`)}: ${plan.from} -> ${plan.to}`);
  row('tag', `${before} -> ${after}`);
  row('image', `${plan.image.uri} ${plan.image.status === 'present' ? c.green('✓') : plan.image.status === 'unknown' ? c.yellow('?') : c.red('✗ not in ECR')}`);
  if (plan.gate) {
    const g = plan.gate;
    const mark = g.verdict === 'pass' ? c.green('✓') : g.verdict === 'refuse' ? c.red('✗') : g.verdict === 'warn' ? c.yellow('!') : c.dim('-');
    row('tests', `${mark} ${g.verdict === 'off' ? c.dim(g.message) : g.message}`);
  }
  row('deployer', `${plan.functionName} ${c.dim(`in ${region}`)}`);
  row('you', plan.caller.arn);
}

/** The deploy's events for people: the plan as a table of rows, the rest as the io renders them. */
export function deployReporter(io: IO, now: () => Date): Reporter {
  return {
    emit: (e) => {
      if (e.code === 'deploy.plan') {
        const { plan, region } = e.data as { plan: PromotePlan; region: string };
        return printPlan(io, plan, region, now());
      }
      if (e.code === 'deploy.up-to-date.hint' || e.code === 'deploy.log-tail') return io.info(io.err.dim(e.message));
      io.emit(e);
    },
    progress: (label) => io.progress(label),
  };
}

/** What stays for stdout after the events: the payload of a dry run. */
export function renderDeploy(io: IO, result: DeployResult): number {
  if (result.status === 'dry-run') io.print(JSON.stringify(result.payload, null, 2));
  return 0;
}
