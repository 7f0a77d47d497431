import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListImagesCommand } from '@aws-sdk/client-ecr';
import { ListObjectVersionsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { clientConfig, cliEnv, resetMoto } from '../helpers/aws.js';
import { runSgn, type CliResult } from '../helpers/cli.js';
import { codebuildServer } from '../helpers/codebuild.js';
import { codepipelineServer } from '../helpers/codepipeline.js';
import { deployClients, deployerEmulator, deployNames } from '../helpers/deployer.js';
import { refusedAddress, startFaultProxy, type Fault, type FaultProxy } from '../helpers/fault-proxy.js';
import { startRegistry, type RegistryInstance } from '../helpers/registry.js';
import { isSpec } from '../../src/cli/define.js';
import { commandPaths, talksToNothing } from '../helpers/commands.js';
import { createConfigBucket, putConfigFile } from '../../src/sandbox/fixtures-cfg.js';
import { createDeployTable } from '../../src/sandbox/fixtures.js';
import { gitTag, putKubeConfigs, seedProject, type DeployClients } from '../../src/sandbox/fixtures-deploy.js';
import { gzipLayer, multiArchImage, writeOciLayout } from '../../src/sandbox/fixtures-images.js';
import { gitCommit, seedFinishedExecution } from '../../src/sandbox/fixtures-pipelines.js';
import { writeDemoSources } from '../../src/sandbox/demo-projects.js';

const exec = promisify(execFile);

/**
 * The failure matrix of issue 11: every command that talks to a service (derived from
 * `commandTree`: a new command without a row fails the coverage test), against every fault the
 * fault proxy can play, in front of the service the command needs (moto, the CodeBuild and
 * CodePipeline emulators, a docker-registry). Each run must end (a 60 s cap, a liveness check,
 * not a speed assertion) with the documented exit code and a sentence of the fault's class that
 * names the host that failed, never "bug in sgn", and nothing changed in DynamoDB, S3, ECR, the
 * registries or the deployer. Commands that take --json also print one JSON error document.
 *
 * All runs share the servers and run in parallel (each behind its own proxy), the slow faults
 * first. With SGN_MATRIX_REPORT=<path> the outcome table (commands x faults: exit code and
 * class, the longest run) is written there as markdown.
 */
type FaultCase = { name: string; short: string; fault: Fault | 'refuse'; message: (host: string) => RegExp; bodyOnly?: boolean };
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const faults: FaultCase[] = [
  { name: 'connection refused', short: 'refused', fault: 'refuse', message: (h) => new RegExp(`connection refused by ${esc(h)}`, 'i') },
  { name: 'reset before the answer', short: 'reset', fault: { kind: 'reset' }, message: (h) => new RegExp(`${esc(h)} (closed the connection without answering|broke off its answer)`) },
  { name: 'stall after the headers', short: 'stall', bodyOnly: true, fault: { kind: 'stall' }, message: (h) => new RegExp(`${esc(h)} (sent nothing for|did not finish its answer|stopped sending)`) },
  { name: 'no answer at all', short: 'no answer', fault: { kind: 'hang' }, message: (h) => new RegExp(`${esc(h)} (sent nothing for|did not finish its answer)`) },
  { name: 'drip 1 byte/s', short: 'drip', bodyOnly: true, fault: { kind: 'drip', bytesPerSecond: 1 }, message: (h) => new RegExp(`${esc(h)} (did not finish its answer|is sending too slowly|sent nothing)`) },
  {
    name: 'truncated body',
    short: 'truncated',
    bodyOnly: true,
    fault: { kind: 'truncate' },
    message: (h) => new RegExp(`${esc(h)} (broke off its answer|sent an answer sgn cannot read|closed the connection without answering)|at ${esc(h)} sent an answer sgn cannot read`),
  },
  { name: 'not HTTP', short: 'not HTTP', fault: { kind: 'garbage' }, message: (h) => new RegExp(`${esc(h)} answered with something that is not HTTP`) },
  { name: '503 + Retry-After', short: '503', fault: { kind: 'status', status: 503, retryAfter: '1' }, message: (h) => new RegExp(`(at ${esc(h)} failed with 503|${esc(h)} failed while mirroring .*: 503|${esc(h)} answered 503)`) },
  {
    name: '429 + Retry-After',
    short: '429',
    fault: { kind: 'status', status: 429, retryAfter: '1', headers: { 'x-amzn-ErrorType': 'ThrottlingException' }, body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }) },
    message: (h) => new RegExp(`(at ${esc(h)} kept throttling|${esc(h)} is limiting requests)`),
  },
];

/** The class of a message, for the report: which sentence of the taxonomy it is. */
const classes: [string, RegExp][] = [
  ['bug', /bug in sgn/],
  ['refused', /connection refused by/i],
  ['reset', /closed the connection without answering/],
  ['truncated', /broke off its answer/],
  ['idle', /sent nothing for|stopped sending/],
  ['slow', /did not finish its answer|is sending too slowly/],
  ['not HTTP', /not HTTP/],
  ['unreadable', /answer sgn cannot read/],
  ['throttled', /kept throttling|is limiting requests/],
  ['5xx', /failed with 5\d\d|: 5\d\d|answered 5\d\d/],
];
/** The class of the final sentence (retry announcements on the way are left out). */
const classOf = (text: string) => {
  const final = text.split('\n').filter((l) => !/retrying in [\d.]+ s/.test(l)).join('\n');
  return classes.find(([, re]) => re.test(final))?.[0] ?? 'other';
};

/**
 * The faults that apply to the deployer's invoke. Stall, silence and drip do not: the invoke
 * waits for the deployer as long as its timeout allows (up to 15 minutes, documented), so there
 * a fault is a wait, not a failure. The 429 is Lambda's own throttle (TooManyRequestsException).
 */
const invokeFaults = new Set(['refused', 'reset', 'truncated', 'not HTTP', '503', '429']);
const lambdaThrottle: Fault = {
  kind: 'status',
  status: 429,
  retryAfter: '1',
  headers: { 'x-amzn-ErrorType': 'TooManyRequestsException' },
  body: JSON.stringify({ Type: 'User', message: 'Rate exceeded', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' }),
};

/** What a deploy or rollback left behind in its project, in words that compare across the two. */
interface InvokeState {
  exit: number | null;
  invoked: boolean;
  lock: 'none' | 'held' | 'held, interrupted';
  temporaries: number;
  history: string[];
  recordChanged: boolean;
}

type Front = 'moto' | 'codebuild' | 'codepipeline' | 'source registry' | 'lambda';

interface Setup {
  motoUrl: string;
  codebuildUrl: string;
  codepipelineUrl: string;
  lambdaUrl: string;
  source: RegistryInstance;
  target: RegistryInstance;
  work: string;
  folders: Record<string, string>;
  syncFile: (sourceHost: string) => string;
  restoreVersion: string;
  editFile: string;
  tags: string[];
  /** Per fault: the project `deploy` runs on, and the one `rollback` runs on. */
  invokeProjects: Record<string, { deploy: string; rollback: string }>;
}

/**
 * A row: one command, the service the fault sits in front of, and how the command ends. By
 * default: exit 1, one `Error:` sentence, nothing on stdout (under --json: the error document).
 * `warning`: the command does its job without that service (exit `exit`) and says so, naming the
 * host. `report`: the command reports per item or check (image sync, doctor), exit 1, the
 * sentence in the failed item (under --json: the result document, holding it). `head`: its one
 * call is a HEAD, whose answer is complete with its headers, so the faults of a body (stall, drip,
 * truncate) cannot touch it: it then ends as without a fault.
 */
interface Row {
  command: string;
  label?: string;
  front: Front;
  args(s: Setup, frontHost: string, fault: FaultCase): string[];
  env(s: Setup, front: string): NodeJS.ProcessEnv;
  outcome?: { kind: 'warning'; exit: number } | { kind: 'report' };
  head?: boolean;
}

const viaMoto = (extra: (s: Setup) => Record<string, string> = () => ({})) => (s: Setup, front: string) => cliEnv(front, { AWS_ENDPOINT_URL_LAMBDA: s.lambdaUrl, AWS_ENDPOINT_URL_CODEPIPELINE: s.codepipelineUrl, AWS_ENDPOINT_URL_CODEBUILD: s.codebuildUrl, ...extra(s) });

export const rows: Row[] = [
  { command: 'deploy', front: 'moto', args: () => ['deploy', 'web', 'production', '--yes'], env: viaMoto() },
  { command: 'rollback', front: 'moto', args: (s) => ['rollback', 'web', 'production', '--to', s.tags[0], '--yes'], env: viaMoto() },
  { command: 'releases', front: 'moto', args: () => ['releases', 'web'], env: viaMoto() },
  { command: 'history', front: 'moto', args: () => ['history', 'web'], env: viaMoto() },
  { command: 'status', front: 'codepipeline', args: () => ['status', 'web'], env: (s, front) => cliEnv(s.motoUrl, { AWS_ENDPOINT_URL_CODEPIPELINE: front, AWS_ENDPOINT_URL_CODEBUILD: s.codebuildUrl }) },
  { command: 'status', label: 'status (DynamoDB)', front: 'moto', args: () => ['status', 'web'], env: viaMoto() },
  { command: 'render', front: 'moto', outcome: { kind: 'warning', exit: 0 }, args: (s) => ['render', 'staging', '--project', 'web', '--dir', s.folders.web], env: viaMoto() },
  { command: 'lint', front: 'moto', head: true, outcome: { kind: 'warning', exit: 0 }, args: (s) => ['lint', 'staging', '--project', 'web', '--dir', s.folders.web], env: viaMoto((s) => ({ SGN_ECR_REGISTRY: s.target.host })) },
  { command: 'ls deployed', front: 'moto', args: () => ['ls', 'deployed'], env: viaMoto() },
  { command: 'logs tail', front: 'codebuild', args: () => ['logs', 'tail', 'web'], env: (s, front) => cliEnv(s.motoUrl, { AWS_ENDPOINT_URL_CODEBUILD: front }) },
  { command: 'cfg ls', front: 'moto', args: () => ['cfg', 'ls', 'web'], env: viaMoto() },
  { command: 'cfg cat', front: 'moto', args: () => ['cfg', 'cat', 'web', 'production'], env: viaMoto() },
  { command: 'cfg diff', front: 'moto', args: () => ['cfg', 'diff', 'web', 'staging', 'production'], env: viaMoto() },
  { command: 'cfg history', front: 'moto', args: () => ['cfg', 'history', 'web', 'staging'], env: viaMoto() },
  { command: 'cfg edit', front: 'moto', args: (s) => ['cfg', 'edit', 'web', 'staging', '--from-file', s.editFile, '--yes'], env: viaMoto() },
  { command: 'cfg restore', front: 'moto', args: (s) => ['cfg', 'restore', 'web', 'staging', '--version-id', s.restoreVersion, '--yes'], env: viaMoto() },
  { command: 'cfg set', front: 'moto', args: () => ['cfg', 'set', 'web', 'staging', 'MATRIX=1'], env: viaMoto() },
  { command: 'cfg unset', front: 'moto', args: () => ['cfg', 'unset', 'web', 'staging', 'LOG_LEVEL'], env: viaMoto() },
  { command: 'image mirror', label: 'image mirror (ECR)', front: 'moto', args: (s) => ['image', 'mirror', `${s.source.host}/demo/app:1.0`, '--to', 'matrix/ecr:1.0'], env: viaMoto((s) => ({ SGN_ECR_REGISTRY: s.target.host })) },
  { command: 'image mirror', label: 'image mirror (source registry)', front: 'source registry', args: (_s, host) => ['image', 'mirror', `${host}/demo/app:1.0`, '--to', 'matrix/src:1.0'], env: (s) => cliEnv(s.motoUrl, { SGN_ECR_REGISTRY: s.target.host }) },
  { command: 'image sync', label: 'image sync (ECR)', front: 'moto', outcome: { kind: 'report' }, args: (s) => ['image', 'sync', s.syncFile(s.source.host)], env: viaMoto((s) => ({ SGN_ECR_REGISTRY: s.target.host })) },
  { command: 'image sync', label: 'image sync (source registry)', front: 'source registry', outcome: { kind: 'report' }, args: (s, host) => ['image', 'sync', s.syncFile(host)], env: (s) => cliEnv(s.motoUrl, { SGN_ECR_REGISTRY: s.target.host }) },
  { command: 'doctor', front: 'moto', outcome: { kind: 'report' }, args: () => ['doctor'], env: viaMoto() },
];

const labelOf = (r: Row) => r.label ?? r.command;

interface Outcome {
  row: Row;
  fault: FaultCase;
  json: boolean;
  host: string;
  res: CliResult;
  seconds: number;
  /** For the rows with the fault in front of the deployer: what the run left in its project. */
  invoke?: InvokeState;
}

/**
 * Deploy and rollback with the fault in front of the deployer (Lambda), each on a project of its
 * own: the rollback must end, and leave lock, records and history, as the failed deploy does.
 */
const invokeRows: Row[] = [
  { command: 'deploy', label: 'deploy (deployer)', front: 'lambda', args: (s, _host, f) => ['deploy', s.invokeProjects[f.short].deploy, 'production', '--yes'], env: (s, front) => cliEnv(s.motoUrl, { AWS_ENDPOINT_URL_LAMBDA: front, AWS_ENDPOINT_URL_CODEPIPELINE: s.codepipelineUrl }) },
  { command: 'rollback', label: 'rollback (deployer)', front: 'lambda', args: (s, _host, f) => ['rollback', s.invokeProjects[f.short].rollback, 'production', '--to', s.tags[0], '--yes'], env: (s, front) => cliEnv(s.motoUrl, { AWS_ENDPOINT_URL_LAMBDA: front, AWS_ENDPOINT_URL_CODEPIPELINE: s.codepipelineUrl }) },
];

/** Runs `jobs` with at most `limit` at a time, in the order given. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return out;
}

/** The markdown report: commands x faults, each cell the exit code and the class of what was said. */
export function matrixReport(outcomes: Outcome[], wallSeconds: number): string {
  const human = outcomes.filter((o) => !o.json);
  const labels = [...new Set(human.map((o) => labelOf(o.row)))];
  const cell = (o: Outcome | undefined, label?: string, f?: FaultCase) => {
    if (!o) return label?.endsWith('(deployer)') && f && !invokeFaults.has(f.short) ? 'waits (by design)' : '';
    if (o.invoke) return `${o.res.code} ${/may still be running/.test(o.res.stderr) ? 'outcome unknown: ' : ''}${classOf(o.res.stderr)}, lock ${o.invoke.lock}${o.invoke.invoked ? ', deployer ran' : ''}`;
    if (o.res.code === null) return `killed at cap (${o.res.signal})`;
    const text = `${o.res.stderr}\n${o.res.stdout}`;
    return `${o.res.code} ${o.row.head && o.fault.bodyOnly && o.res.code === 0 && !o.fault.message(o.host).test(text) ? 'unaffected (HEAD)' : classOf(text)}${o.row.outcome ? ` (${o.row.outcome.kind})` : ''}`;
  };
  const lines = [
    `| command | ${faults.map((f) => f.short).join(' | ')} |`,
    `|---|${faults.map(() => '---').join('|')}|`,
    ...labels.map((l) => `| ${l} | ${faults.map((f) => cell(human.find((o) => labelOf(o.row) === l && o.fault === f), l, f)).join(' | ')} |`),
  ];
  const longest = human.reduce((m, o) => (o.seconds > m.seconds ? o : m), human[0]);
  const json = outcomes.filter((o) => o.json);
  return [
    ...lines,
    '',
    `Cells: exit code, then the class of the sentence sgn printed (refused, reset, idle, slow, truncated, not HTTP, unreadable, 5xx, throttled; "bug" would be a failure).`,
    `${human.length} faulted runs${json.length ? ` (+${json.length} with --json)` : ''}; longest: ${longest.seconds.toFixed(1)} s (${labelOf(longest.row)} x ${longest.fault.short}); suite wall time ${wallSeconds.toFixed(0)} s.`,
    '',
  ].join('\n');
}

describe('failure matrix: every command x every fault (fault proxy in front of moto, the emulators, a registry)', function () {
  this.timeout(900_000);
  const paths = commandPaths();

  it('every command that talks to a service has matrix rows; the others are listed as talking to nothing', () => {
    const covered = new Set(rows.map((r) => r.command));
    const missing = [...paths.keys()].filter((p) => !covered.has(p) && !(p in talksToNothing));
    assert.deepEqual(missing, [], `commands without matrix rows (add rows, or list them in talksToNothing with what they touch): ${missing.join(', ')}`);
    const unknown = [...covered, ...Object.keys(talksToNothing)].filter((p) => !paths.has(p));
    assert.deepEqual(unknown, [], 'rows or entries for commands that do not exist');
    const both = Object.keys(talksToNothing).filter((p) => covered.has(p));
    assert.deepEqual(both, []);
  });

  describe('the runs', function () {
    let setup: Setup;
    let clients: DeployClients;
    let invocations: (project?: string) => Promise<number>;
    let deployerIdle: () => Promise<void>;
    const outcomes: Outcome[] = [];
    let initial: unknown;
    let wallSeconds = 0;

    /** Everything a faulted command could have changed, read with the SDK and the registry API. */
    async function state(): Promise<unknown> {
      const items = (await clients.dynamodb.send(new ScanCommand({ TableName: deployNames.table, ConsistentRead: true }))).Items ?? [];
      const versions = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: deployNames.configBucket }));
      const artifacts = await clients.s3.send(new ListObjectsV2Command({ Bucket: deployNames.pipelineBucket }));
      const images = await clients.ecr.send(new ListImagesCommand({ repositoryName: 'web' }));
      const repos: Record<string, number> = {};
      for (const repo of ['matrix/ecr', 'matrix/src', 'matrix/sync-ecr', 'matrix/sync-src']) repos[repo] = (await fetch(`http://${setup.target.host}/v2/${repo}/tags/list`)).status;
      return {
        items: items.filter((i) => i.Application.S === 'web').map((i) => JSON.stringify(i)).sort(),
        configVersions: [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])].map((v) => `${v.Key} ${v.VersionId} ${v.IsLatest}`).sort(),
        artifacts: (artifacts.Contents ?? []).filter((o) => o.Key?.startsWith('web/')).map((o) => `${o.Key} ${o.ETag}`).sort(),
        images: (images.imageIds ?? []).map((i) => `${i.imageTag} ${i.imageDigest}`).sort(),
        repos,
        invocations: await invocations(),
      };
    }

    /** What a deploy or rollback with a faulted invoke left in its project (after the deployer is idle). */
    async function invokeState(project: string, exit: number | null): Promise<InvokeState> {
      const items = (await clients.dynamodb.send(new QueryCommand({ TableName: deployNames.table, KeyConditionExpression: 'Application = :p', ExpressionAttributeValues: { ':p': { S: project } }, ConsistentRead: true }))).Items ?? [];
      const env = (i: (typeof items)[number]) => i.Env.S ?? '';
      const lock = items.find((i) => env(i) === 'sgn:lock:production');
      const record = items.find((i) => env(i) === 'production');
      return {
        exit,
        invoked: (await invocations(project)) > 0,
        lock: !lock ? 'none' : lock.Interrupted ? 'held, interrupted' : 'held',
        temporaries: items.filter((i) => /^sgn:(rollback|release):/.test(env(i))).length,
        history: items.filter((i) => env(i).startsWith('sgn:history:')).map((i) => i.Result?.S ?? '?').sort(),
        recordChanged: record?.Tag?.S !== seededProduction.get(project),
      };
    }
    const seededProduction = new Map<string, string>();

    before(async function () {
      this.timeout(900_000);
      const started = performance.now();
      const e = await deployerEmulator();
      const [cb, cp, registries] = await Promise.all([codebuildServer(), codepipelineServer(), Promise.all([startRegistry(), startRegistry()])]);
      const [source, target] = registries;
      await resetMoto(e.motoUrl);
      await e.control.reset();
      cp.emulator.reset();
      clients = deployClients(e.motoUrl);
      invocations = async (project = 'web') => (await e.control.invocations()).filter((i) => i.project === project).length;
      deployerIdle = () => e.control.idle();
      const work = mkdtempSync(join(tmpdir(), 'sgn-matrix-'));
      const tags = [gitTag('matrix-1'), gitTag('matrix-2')];

      // Given: web with two builds, staging runs the second, production the first; its config in
      // both envs (two versions in staging); a pipeline execution; an image in the source registry.
      await createDeployTable(clients.dynamodb, deployNames.table);
      await createConfigBucket(clients.s3, deployNames.configBucket, { versioned: true });
      await putKubeConfigs(clients.s3, deployNames.configBucket, ['staging', 'production']);
      await seedProject(clients, { table: deployNames.table }, { project: 'web', builds: tags, deployed: { staging: { tag: tags[1], at: new Date(Date.now() - 3600_000) }, production: { tag: tags[0], at: new Date(Date.now() - 7200_000) } } });
      // Longer than 60 bytes: a 1 B/s drip cannot deliver it within the 30 s an answer may take.
      const config = (level: string) => `LOG_LEVEL=${level}\nGREETING=hello\nDATABASE_URL=postgres://web:secret@db.internal:5432/web\nFEATURE_X=on\n`;
      const first = await putConfigFile(clients.s3, deployNames.configBucket, 'web/staging/config', config('info'));
      await putConfigFile(clients.s3, deployNames.configBucket, 'web/staging/config', config('debug'));
      await putConfigFile(clients.s3, deployNames.configBucket, 'web/production/config', config('info'));
      await seedFinishedExecution({ codepipeline: cp.emulator, codebuild: cb.emulator, logs: new CloudWatchLogsClient(clientConfig(e.motoUrl)) }, { pipeline: 'web', commit: { sha: gitCommit('matrix-2'), message: 'Matrix' }, startedAt: new Date(Date.now() - 1800_000), outcome: { status: 'Succeeded' } });
      const image = multiArchImage({ name: 'app', platforms: [{ os: 'linux', architecture: 'amd64' }], shared: [gzipLayer({ 'etc/os-release': 'ID=matrix\n' })] });
      writeOciLayout(join(work, 'oci'), image, '1.0');
      await exec('skopeo', ['copy', '--all', '--dest-tls-verify=false', `oci:${join(work, 'oci')}:1.0`, `docker://${source.host}/demo/app:1.0`]);
      const editFile = join(work, 'edit.ini');
      writeFileSync(editFile, 'LOG_LEVEL=warn\nGREETING=hello\n', { mode: 0o600 });
      // Per invoke fault, two more projects: one that `deploy` promotes (staging runs the second
      // build, production the first), one that `rollback --to` the first build takes back.
      const invokeProjects: Setup['invokeProjects'] = {};
      for (const [i, f] of faults.filter((x) => invokeFaults.has(x.short)).entries()) {
        invokeProjects[f.short] = { deploy: `dp-${i}`, rollback: `rb-${i}` };
        await seedProject(clients, { table: deployNames.table }, { project: `dp-${i}`, builds: tags, deployed: { staging: { tag: tags[1], at: new Date(Date.now() - 3600_000) }, production: { tag: tags[0], at: new Date(Date.now() - 7200_000) } } });
        await seedProject(clients, { table: deployNames.table }, { project: `rb-${i}`, builds: tags, deployed: { staging: { tag: tags[1], at: new Date(Date.now() - 3600_000) }, production: { tag: tags[1], at: new Date(Date.now() - 3600_000) } } });
        seededProduction.set(`dp-${i}`, tags[0]);
        seededProduction.set(`rb-${i}`, tags[1]);
      }
      let syncs = 0;
      setup = {
        motoUrl: e.motoUrl,
        codebuildUrl: cb.url,
        codepipelineUrl: cp.url,
        lambdaUrl: e.url,
        source,
        target,
        work,
        folders: writeDemoSources(join(work, 'projects')),
        restoreVersion: first.versionId!,
        editFile,
        tags,
        invokeProjects,
        syncFile: (host) => {
          const file = join(work, `sync-${syncs++}.yml`);
          const repo = host === source.host ? 'matrix/sync-ecr' : 'matrix/sync-src';
          writeFileSync(file, ['images:', `  - source: ${host}/demo/app:1.0`, `    target: ${repo}:1.0`, ''].join('\n'));
          return file;
        },
      };
      initial = await state();

      // When: every row meets every fault (and, for commands with --json, the quick faults once
      // more with --json), each behind its own proxy; the faults that wait on a timer first.
      const slow = (f: FaultCase) => f.fault !== 'refuse' && ['stall', 'hang', 'drip'].includes(f.fault.kind);
      // SGN_MATRIX_ONLY=<regex> replays the rows and faults it matches ("cfg set", "drip").
      const only = process.env.SGN_MATRIX_ONLY ? new RegExp(process.env.SGN_MATRIX_ONLY) : undefined;
      const picked = (row: Row, fault: FaultCase) => !only || only.test(labelOf(row)) || only.test(fault.short);
      const plan: { row: Row; fault: FaultCase; json: boolean }[] = [];
      for (const fault of [...faults.filter(slow), ...faults.filter((f) => !slow(f))]) for (const row of rows) if (picked(row, fault)) plan.push({ row, fault, json: false });
      for (const fault of faults.filter((f) => f.short === 'refused' || f.short === 'not HTTP')) {
        for (const row of rows) {
          const def = paths.get(row.command);
          if (def && isSpec(def) && def.json && picked(row, fault)) plan.push({ row, fault, json: true });
        }
      }
      for (const fault of faults.filter((f) => invokeFaults.has(f.short))) for (const row of invokeRows) if (picked(row, fault)) plan.push({ row, fault, json: false });
      const upstream = (front: Front) => ({ moto: setup.motoUrl, codebuild: setup.codebuildUrl, codepipeline: setup.codepipelineUrl, 'source registry': `http://${source.host}`, lambda: setup.lambdaUrl })[front];
      const results = await pool(
        plan.map(({ row, fault, json }) => async (): Promise<Outcome> => {
          let host: string;
          let proxy: FaultProxy | undefined;
          if (fault.fault === 'refuse') host = refusedAddress();
          else {
            proxy = await startFaultProxy(upstream(row.front), [{ fault: row.front === 'lambda' && fault.short === '429' ? lambdaThrottle : fault.fault }]);
            host = proxy.host;
          }
          const args = [...row.args(setup, host, fault), ...(json ? ['--json'] : [])];
          const t0 = performance.now();
          const res = await runSgn(args, { env: row.env(setup, `http://${host}`), timeoutMs: 60_000 });
          const seconds = (performance.now() - t0) / 1000;
          await proxy?.stop();
          return { row, fault, json, host, res, seconds };
        }),
        // Most runs wait on a timer or a retry, not on the CPU.
        16,
      );
      outcomes.push(...results);
      // The deployer may still run an invoke whose answer the proxy cut off: read what the
      // faulted deploys and rollbacks left once it is done.
      await deployerIdle();
      for (const o of results.filter((x) => x.row.front === 'lambda')) o.invoke = await invokeState(o.row.args(setup, o.host, o.fault)[1], o.res.code);
      wallSeconds = (performance.now() - started) / 1000;
      if (process.env.SGN_MATRIX_REPORT) writeFileSync(process.env.SGN_MATRIX_REPORT, matrixReport(outcomes, wallSeconds));
    });

    after(() => rmSync(setup?.work ?? join(tmpdir(), 'sgn-matrix-none'), { recursive: true, force: true }));

    for (const fault of faults) {
      it(`given ${fault.name} at the service each command needs, then every command ends in time with its exit code and one sentence of that class naming the host`, () => {
        const failures: string[] = [];
        for (const o of outcomes.filter((x) => x.fault === fault && !x.json && x.row.front !== 'lambda')) {
          const where = `${labelOf(o.row)} x ${fault.name} (${o.seconds.toFixed(1)} s, exit ${o.res.code}):\n${o.res.stderr}${o.res.stdout}`;
          try {
            assert.notEqual(o.res.code, null, 'did not end within 60 s');
            assert.doesNotMatch(o.res.stderr, /bug in sgn/);
            if (o.row.head && fault.bodyOnly) {
              // The answer to a HEAD is complete with its headers: the command ends as without a fault.
              assert.equal(o.res.code, o.row.outcome?.kind === 'warning' ? o.row.outcome.exit : 0);
            } else if (o.row.outcome?.kind === 'warning') {
              assert.equal(o.res.code, o.row.outcome.exit);
              assert.match(`${o.res.stderr}\n${o.res.stdout}`, fault.message(o.host));
            } else if (o.row.outcome?.kind === 'report') {
              assert.equal(o.res.code, 1);
              assert.match(`${o.res.stderr}\n${o.res.stdout}`, fault.message(o.host));
            } else {
              assert.equal(o.res.code, 1);
              const message = /^Error: (.*)$/m.exec(o.res.stderr)?.[1] ?? '(none)';
              assert.match(message, fault.message(o.host));
              if (o.row.command !== 'doctor') assert.equal(o.res.stdout, '');
            }
          } catch (e) {
            failures.push(`${where}\n  -> ${(e as Error).message.split('\n')[0]}`);
          }
        }
        assert.deepEqual(failures, []);
      });
    }

    it('given a fault in front of the deployer, then a rollback ends as a deploy with that fault does: exit code, lock, records, history, temporary source record gone, the host named', () => {
      const failures: string[] = [];
      for (const fault of faults.filter((f) => invokeFaults.has(f.short))) {
        const [deploy, rollback] = invokeRows.map((r) => outcomes.find((o) => o.row === r && o.fault === fault));
        if (!deploy || !rollback) continue;
        const where = `x ${fault.name}:\n--- deploy (exit ${deploy.res.code}):\n${deploy.res.stderr}\n--- rollback (exit ${rollback.res.code}):\n${rollback.res.stderr}\n${JSON.stringify({ deploy: deploy.invoke, rollback: rollback.invoke })}`;
        try {
          for (const o of [deploy, rollback]) {
            assert.notEqual(o.res.code, null, `${labelOf(o.row)} did not end within 60 s`);
            assert.doesNotMatch(o.res.stderr, /bug in sgn/);
            assert.equal(o.res.code, 1);
            assert.match(o.res.stderr, new RegExp(esc(o.host)), `${labelOf(o.row)} does not name ${o.host}`);
            assert.equal(o.invoke?.temporaries, 0, 'a temporary source record was left');
          }
          assert.deepEqual({ ...rollback.invoke, history: rollback.invoke?.history }, { ...deploy.invoke, history: deploy.invoke?.history }, 'the rollback left another state than the deploy');
          if (fault.short === 'refused' || fault.short === '429') {
            // Lambda never started the deployer: nothing happened, and the lock is free again.
            assert.deepEqual({ invoked: deploy.invoke?.invoked, lock: deploy.invoke?.lock, recordChanged: deploy.invoke?.recordChanged }, { invoked: false, lock: 'none', recordChanged: false });
            assert.match(deploy.res.stderr, /nothing was deployed/);
          } else {
            // The deployer may have run: the lock stays, marked interrupted, until it cannot be running.
            assert.equal(deploy.invoke?.lock, 'held, interrupted');
          }
        } catch (e) {
          failures.push(`${where}\n  -> ${(e as Error).message.split('\n')[0]}`);
        }
      }
      assert.deepEqual(failures, []);
    });

    it('given --json and a fault, then stdout holds one JSON document with error {code, message, hint, exitCode} and the exit code is the same', () => {
      const failures: string[] = [];
      const jsonRuns = outcomes.filter((o) => o.json);
      if (!process.env.SGN_MATRIX_ONLY) assert.ok(jsonRuns.length > 0);
      for (const o of jsonRuns) {
        const where = `${labelOf(o.row)} --json x ${o.fault.name} (exit ${o.res.code}):\n${o.res.stdout}${o.res.stderr}`;
        try {
          assert.notEqual(o.res.code, null, 'did not end within 60 s');
          const doc = JSON.parse(o.res.stdout) as { error?: { code: unknown; message: string; hint: unknown; exitCode: number } };
          if (o.row.outcome?.kind === 'warning') {
            assert.equal(o.res.code, o.row.outcome.exit);
            assert.equal(doc.error, undefined);
          } else if (o.row.outcome?.kind === 'report') {
            // The result document itself holds the failed item or check, with its sentence.
            assert.equal(o.res.code, 1);
            assert.match(o.res.stdout, o.fault.message(o.host));
          } else {
            assert.ok(doc.error, 'no error member');
            assert.deepEqual(Object.keys(doc.error).sort(), ['code', 'exitCode', 'hint', 'message']);
            assert.equal(typeof doc.error.code, 'string');
            assert.notEqual(doc.error.code, 'bug');
            assert.equal(doc.error.exitCode, o.res.code);
            assert.equal(o.res.code, 1);
            assert.match(doc.error.message, o.fault.message(o.host));
          }
        } catch (e) {
          failures.push(`${where}\n  -> ${(e as Error).message.split('\n')[0]}`);
        }
      }
      assert.deepEqual(failures, []);
    });

    it('given all those faulted runs, then nothing changed: deploy records, locks, history, config versions, artifacts, ECR tags, registry tags, deployer invocations', async () => {
      assert.deepEqual(await state(), initial);
    });

    it('given the hints those runs printed, then each `sgn ...` command they propose is one sgn accepts (run against the services without the fault; a confirmation it cannot ask without a terminal counts as accepted)', async () => {
      const hints = new Map<string, Outcome>();
      for (const o of outcomes) for (const m of `${o.res.stderr}\n${o.res.stdout}`.matchAll(/`(sgn [^`]+)`/g)) if (!hints.has(m[1])) hints.set(m[1], o);
      const upstream = (o: Outcome) => (o.row.front === 'lambda' ? setup.lambdaUrl : o.row.front === 'codebuild' ? setup.codebuildUrl : o.row.front === 'codepipeline' ? setup.codepipelineUrl : setup.motoUrl);
      const runs = await pool(
        [...hints].map(([hint, o]) => async () => {
          const args = [...hint.slice(4).matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
          return { hint, res: await runSgn(args, { env: o.row.env(setup, upstream(o)), timeoutMs: 60_000 }) };
        }),
        4,
      );
      const confirmation = /^Error: Confirmation needed, but there is no terminal to ask on\.$/m;
      const refused = runs.filter(({ res }) => res.code === null || (res.code === 2 && !confirmation.test(res.stderr)) || /bug in sgn|unknown option|unknown command|too many arguments|missing required/i.test(res.stderr));
      assert.ok(runs.length > 0 || process.env.SGN_MATRIX_ONLY, 'no hint proposed a command');
      assert.deepEqual(refused.map(({ hint, res }) => `${hint}: exit ${res.code}\n${res.stderr}`), []);
    });
  });
});
