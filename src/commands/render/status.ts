import type { ExecutionView, IntegrationView, StageStatus, StageView, StatusModel } from '../../services/status/model.js';
import { formatAge, formatDuration } from '../../time.js';

/** The colours a renderer uses (a chalk instance fits; tests pass plain identity functions). */
export interface Paint {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export const noPaint: Paint = { green: (s) => s, red: (s) => s, yellow: (s) => s, cyan: (s) => s, dim: (s) => s, bold: (s) => s };

const symbols: Record<string, string> = { Succeeded: '✓', Failed: '✗', InProgress: '●', Stopping: '■', Stopped: '■', Superseded: '■', Cancelled: '■', Pending: '·', NotRun: '·' };

/** The symbol of a stage or execution status, coloured. */
export function statusMark(status: StageStatus | string, p: Paint): string {
  const s = symbols[status] ?? '?';
  if (status === 'Succeeded') return p.green(s);
  if (status === 'Failed') return p.red(s);
  if (status === 'InProgress') return p.cyan(s);
  if (status === 'Pending' || status === 'NotRun') return p.dim(s);
  return p.yellow(s);
}

const truncate = (s: string, n: number) => (n <= 1 ? '' : s.length > n ? s.slice(0, n - 1) + '…' : s);
const age = (at: string | undefined, now: Date) => (at ? formatAge(new Date(at), now) : '');

/** One stage as "✓ Build 1m02s" (running stages show the time so far). */
export function stageCell(s: StageView, p: Paint): string {
  const time = s.durationMs !== undefined && s.status !== 'Pending' && s.status !== 'NotRun' ? ` ${formatDuration(s.durationMs)}` : '';
  const name = s.status === 'Pending' || s.status === 'NotRun' ? p.dim(s.name) : s.name;
  return `${statusMark(s.status, p)} ${name}${p.dim(time)}`;
}

/** Who or what started an execution, when it was not a push. */
function triggerText(e: ExecutionView): string {
  const type = e.trigger?.type;
  if (!type || type === 'Webhook' || type === 'WebhookV2' || type === 'CloudWatchEvent' || type === 'PollForSourceChanges') return '';
  const who = e.trigger?.detail?.split('/').pop();
  if (type === 'StartPipelineExecution') return who ? ` by ${who}` : ' by hand';
  return ` (${type})`;
}

/** The lines of one execution: status, commit and summary, when it started; its stages; a failure and where to see more. */
export function executionLines(e: ExecutionView, now: Date, width: number, p: Paint): string[] {
  const status = e.status.padEnd(10);
  const commit = e.commit ? e.commit.short : p.dim('(no commit)');
  const when = e.startedAt ? `${age(e.startedAt, now)}${triggerText(e)}` : triggerText(e).trim();
  const head = `${statusMark(e.status, p)} ${status} ${commit}  `;
  const room = width - 2 - 1 - 1 - 10 - 1 - (e.commit ? 7 : 11) - 2 - when.length - 2;
  const summary = e.commit?.summary ? truncate(e.commit.summary, room) : '';
  const lines = [`  ${head}${summary.padEnd(Math.max(0, room))}  ${p.dim(when)}`.trimEnd()];
  lines.push(`      ${e.stages.map((s) => stageCell(s, p)).join(p.dim(' › '))}`);
  if (e.statusSummary) lines.push(`      ${p.dim(e.statusSummary)}`);
  for (const s of e.stages) {
    if (!s.failure) continue;
    const code = s.failure.code && s.failure.code !== 'JobFailed' ? ` [${s.failure.code}]` : '';
    lines.push(`      ${p.red(`${s.name} failed`)}${code}: ${s.failure.message ?? ''}`.trimEnd());
    if (s.more) lines.push(`      ${p.dim('see:')} ${s.more}`);
  }
  return lines;
}

/** What the integration tests said about the tag an env runs, in a few words. */
export function integrationText(i: IntegrationView, p: Paint): string {
  const exec = i.execution ? ` (execution ${i.execution.id.slice(0, 8)})` : '';
  switch (i.result) {
    case 'succeeded':
      return `${p.green('✓')} integration tests passed${exec}`;
    case 'failed':
      return `${p.red('✗')} integration tests failed${exec}`;
    case 'running':
      return `${p.cyan('●')} integration tests not finished${exec}`;
    case 'not-run':
      return `${p.yellow('■')} integration tests did not run${i.execution ? ` (execution ${i.execution.id.slice(0, 8)} ${i.execution.status})` : ''}`;
    case 'no-execution':
      return `${p.yellow('?')} no pipeline execution found for ${i.tag}`;
    case 'no-stage':
      return `${p.yellow('?')} the pipeline has no ${i.stage} stage`;
  }
}

/** The whole `sgn status` screen, for people (stdout). */
export function renderStatus(m: StatusModel, opts: { width: number; paint: Paint }): string {
  const p = opts.paint;
  const now = new Date(m.generatedAt);
  const width = Math.max(60, opts.width);
  const out: string[] = [];
  out.push(`${p.bold(m.project)} ${p.dim(`· pipeline ${m.pipeline}${m.region ? ` · ${m.region}` : ''}`)}`);
  out.push('');
  out.push(p.bold('Environments'));
  const envWidth = Math.max(...m.environments.map((e) => e.env.length), 3);
  if (m.environments.length === 0) out.push(`  ${p.dim('nothing deployed yet')}`);
  for (const e of m.environments) {
    const tag = e.tag ?? p.dim('not deployed');
    const parts: string[] = [];
    const integ = m.integration.find((i) => i.env === e.env);
    if (integ) parts.push(integrationText(integ, p));
    if (e.waiting) parts.push(p.yellow(`waiting for promotion: ${e.waiting.from} runs ${e.waiting.tag}`));
    const what = e.tag ? `${tag.padEnd(11)}  ${(e.deployedAt ? age(e.deployedAt, now) : '').padEnd(7)}` : tag;
    out.push(`  ${e.env.padEnd(envWidth)}  ${what}  ${parts.join('  ')}`.trimEnd());
  }
  out.push('');
  out.push(`${p.bold('Executions')} ${p.dim('(newest first)')}`);
  if (m.executions.length === 0) out.push(`  ${p.dim(`pipeline ${m.pipeline} has no executions yet`)}`);
  for (const e of m.executions) out.push(...executionLines(e, now, width, p));
  return out.join('\n') + '\n';
}
