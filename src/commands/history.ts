import { defineCommand, type Flags } from '../cli/define.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { HistoryOptions, HistoryResult } from '../services/history/history.js';
import { validateName } from '../names.js';

export function parseHistory(args: string[], flags: Flags): HistoryOptions {
  const [project, env] = args;
  validateName(project, 'project');
  if (env !== undefined) validateName(env, 'environment');
  let limit: number | undefined;
  if (flags.limit !== undefined) {
    const text = String(flags.limit);
    if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--limit takes a positive whole number, not "${text}".`, 'Example: sgn history web --limit 10');
    limit = Number(text);
  }
  return { project, ...(env !== undefined ? { env } : {}), limit };
}

export async function executeHistory(ctx: Context, opts: HistoryOptions): Promise<HistoryResult> {
  const [{ projectHistory }, db, region] = await Promise.all([import('../services/history/history.js'), ctx.api.dynamo(), ctx.api.region()]);
  return projectHistory({ db, settings: ctx.settings(), region }, opts);
}

/** The history for people: what runs now (stderr), then one row per deploy or rollback (stdout). */
export async function renderHistory(ctx: Context, result: HistoryResult): Promise<number> {
  const { io } = ctx;
  const [{ printTable }, { formatAge, formatDuration }] = await Promise.all([import('../table.js'), import('../time.js')]);
  const now = ctx.now();
  const c = io.err;
  if (result.current.length === 0) io.info(`${result.project} has no deploy records${result.env ? ` in ${result.env}` : ''}.`);
  else io.info(`${c.bold(result.project)} now: ${result.current.map((r) => `${r.env} ${r.tag ?? '?'} ${c.dim(`(${r.deployedAt ? formatAge(r.deployedAt, now) : '?'})`)}`).join(', ')}`);
  if (result.entries.length === 0) {
    io.info(c.dim(`No deploys or rollbacks made with sgn${result.env ? ` in ${result.env}` : ''} yet (the pipeline's own deploys are not in the history).`));
    return 0;
  }
  const resultRole = (r: string) => (r === 'deployed' ? 'good' : r === 'failed' || r === 'no-effect' ? 'bad' : 'warn') as 'good' | 'bad' | 'warn';
  const source = (e: HistoryResult['entries'][number]) => (e.kind === 'promote' ? `promote from ${e.from ?? '?'}` : e.kind === 'rollback' ? 'rollback' : 'release');
  await printTable(io, {
    columns: [{ header: 'When' }, { header: 'Env' }, { header: 'Change' }, { header: 'Source' }, { header: 'Result' }, { header: 'Took' }, { header: 'By' }, { header: 'Request' }],
    rows: result.entries.map((e) => [
      { text: io.stdoutIsTTY ? formatAge(new Date(e.startedAt), now) : new Date(e.startedAt).toISOString(), role: 'dim' },
      e.env,
      `${e.fromTag ?? '(none)'} -> ${e.toTag ?? '?'}`,
      source(e),
      { text: e.result, role: resultRole(e.result) },
      e.durationMs === undefined ? '-' : formatDuration(e.durationMs),
      e.caller.replace(/^arn:aws:sts::\d+:assumed-role\//, ''),
      { text: e.requestId ?? '-', role: 'dim' },
    ]),
  });
  return 0;
}

export const historyCommand = defineCommand<HistoryOptions, HistoryResult>({
  name: 'history',
  arguments: '<project> [env]',
  summary: 'who deployed what, when, from which tag to which, with what result',
  description: [
    'Every deploy and rollback sgn made of a project, newest first: when, the env,',
    'from which tag to which, the source (a promotion from an env, a rollback, or a',
    'release deployed with --tag), the result, how long it took, who (STS ARN) and',
    'the deployer\'s request id. What each env runs now comes first.',
    '',
    'sgn appends one item per run to the deploy table (Env "sgn:history:...", which',
    'the deployer never reads); setting historyDays expires them with DynamoDB TTL',
    '(attribute sgnExpires; turn TTL on for the table).',
  ].join('\n'),
  examples: ['sgn history web', 'sgn history web production --limit 10', 'sgn history web --json | jq \'.entries[] | select(.result != "deployed")\'', 'sgn --sandbox history web'],
  options: (cmd) => {
    cmd.option('-n, --limit <n>', 'show the newest <n> entries');
  },
  json: true,
  parse: parseHistory,
  execute: executeHistory,
  render: renderHistory,
});
