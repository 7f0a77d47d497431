import type { IO, Reporter } from '../../io.js';
import type { PromotePlan } from '../../services/deploy/plan.js';
import type { DeployResult } from '../../services/deploy/deploy.js';
import { formatAge } from '../../time.js';

/** The plan, for people, on stderr. */
export function printPlan(io: IO, plan: PromotePlan, region: string, now: Date): void {
  const c = io.err;
  const row = (k: string, v: string) => io.info(`  ${c.dim(k.padEnd(9))} ${v}`);
  const age = (d?: Date) => (d ? formatAge(d, now) : '?');
  const before = plan.target ? `${plan.target.tag ?? '?'} ${c.dim(`(${age(plan.target.deployedAt)})`)}` : c.dim(`(nothing in ${plan.to} yet)`);
  if (plan.kind === 'promote') {
    const differs = plan.source.tag !== plan.tag ? ` ${c.yellow(`(the ${plan.from} record says ${plan.source.tag})`)}` : '';
    const after = `${c.bold(plan.tag)}${differs} ${c.dim(`(in ${plan.from} since ${age(plan.source.deployedAt)})`)}`;
    io.info(`${c.bold(`Promote ${plan.project}`)}: ${plan.from} -> ${plan.to}`);
    row('tag', `${before} -> ${after}`);
  } else {
    const via = plan.release?.via === 'history' ? `what ${plan.to} ran before` : plan.release?.via === 'picked' ? 'picked' : 'asked for';
    const built = plan.release?.builtAt ?? plan.source.deployedAt;
    const after = `${c.bold(plan.tag)} ${c.dim(`(${built ? `built ${age(built)}, ` : ''}${via})`)}`;
    io.info(`${c.bold(`${plan.kind === 'rollback' ? 'Roll back' : 'Deploy a release of'} ${plan.project}`)} in ${plan.to}`);
    row('tag', `${before} -> ${after}`);
    row('artifact', `s3://${plan.source.bucketName}/${plan.source.objectKey}`);
    row('via', c.dim(`temporary source record "${plan.from}"`));
  }
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
