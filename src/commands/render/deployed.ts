import type { Context } from '../../context.js';
import { deployedTable, type DeployedResult, type LsDeployedOptions } from '../../services/deployed.js';
import { describeHolder } from '../../services/deploy/lock.js';

export interface LsDeployedCommandOptions extends LsDeployedOptions {
  /** Absolute times and artifact keys in the table. */
  wide: boolean;
}

/** `ls deployed` for people: the table on stdout, running deploys and hints on stderr. */
export async function renderDeployed(ctx: Context, result: DeployedResult, opts: LsDeployedCommandOptions): Promise<number> {
  const { io } = ctx;
  const { envs, rows, inProgress } = result;
  if (rows.length === 0) {
    const where = opts.project ? `Project "${opts.project}" has no deploy records` : 'No deploy records';
    io.info(`${where} in table ${ctx.settings().table}${opts.envs.length ? ` for ${opts.envs.join(', ')}` : ''}.`);
  } else {
    const { printTable } = await import('../../table.js');
    await printTable(io, deployedTable(envs, rows, ctx.now(), opts.wide));
  }
  for (const p of inProgress) io.info(io.err.yellow(`${p.holder.interrupted ? 'Maybe deploying' : 'Deploying'} ${p.project} to ${p.env}: ${describeHolder(p.holder, ctx.now())}.`));
  const waiting = rows.filter((r) => r.status.code === 'ahead').length;
  if (waiting > 0 && io.stderrIsTTY) io.info('\n' + io.err.dim(`${waiting} waiting for promotion: sgn deploy <project> <env>`));
  return 0;
}
