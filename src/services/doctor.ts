import type { AwsApis } from '../aws/apis.js';
import { SgnError, awsErrorName, explainError } from '../errors.js';
import { fillPattern, type Settings } from '../settings/schema.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** How to fix it, when it failed. */
  fix?: string;
}

interface Check {
  name: string;
  run(): Promise<string>;
  /** The fix for "not found"; access and credential errors get theirs from explainAwsError. */
  notFound: (region: string) => { detail: string; fix: string };
}

/** The adapters doctor checks through (every one sgn uses). */
export type DoctorApis = Pick<AwsApis, 'sts' | 'dynamo' | 'lambda' | 's3' | 'logs' | 'ecr' | 'region'>;

const notFoundNames = new Set(['ResourceNotFoundException', 'NotFound', 'NoSuchBucket', 'RepositoryNotFoundException']);

function checks(aws: DoctorApis, s: Settings): Check[] {
  const logPrefix = s.logGroup.split('{')[0];
  const deployerGroup = fillPattern(s.deployerLogGroup, { function: s.function });
  return [
    {
      name: 'credentials',
      run: async () => {
        const who = await (await aws.sts()).getCallerIdentity();
        return `${who.Arn} (account ${who.Account})`;
      },
      notFound: () => ({ detail: 'STS is unreachable', fix: 'Check the network and AWS_ENDPOINT_URL.' }),
    },
    {
      name: 'deploy table',
      run: async () => {
        const out = await (await aws.dynamo()).describeTable({ TableName: s.table });
        return `${s.table} (${out.Table?.ItemCount ?? '?'} items)`;
      },
      notFound: (region) => ({ detail: `table "${s.table}" not found in ${region}`, fix: 'Check --region, or `sgn config set table <name>`.' }),
    },
    {
      name: 'deployer function',
      run: async () => {
        const out = await (await aws.lambda()).getFunction({ FunctionName: s.function });
        return `${s.function} (timeout ${out.Configuration?.Timeout ?? '?'} s)`;
      },
      notFound: (region) => ({ detail: `function "${s.function}" not found in ${region}`, fix: 'Check --region, or `sgn config set function <name>`.' }),
    },
    {
      name: 'config bucket',
      run: async () => {
        await (await aws.s3()).headBucket({ Bucket: s.configBucket });
        return s.configBucket;
      },
      notFound: () => ({ detail: `bucket "${s.configBucket}" not found`, fix: '`sgn config set configBucket <name>`.' }),
    },
    {
      name: 'build logs',
      run: async () => {
        const out = await (await aws.logs()).describeLogGroups({ logGroupNamePrefix: logPrefix, limit: 50 });
        const n = out.logGroups?.length ?? 0;
        if (n === 0) throw Object.assign(new Error('none'), { name: 'ResourceNotFoundException' });
        return `${n}${out.nextToken ? '+' : ''} log groups under ${logPrefix}`;
      },
      notFound: (region) => ({ detail: `no log groups under ${logPrefix} in ${region}`, fix: 'Check --region, or `sgn config set logGroup "/aws/codebuild/{project}"`.' }),
    },
    {
      name: 'deployer logs',
      run: async () => {
        const out = await (await aws.logs()).describeLogGroups({ logGroupNamePrefix: deployerGroup, limit: 1 });
        if (!out.logGroups?.some((g) => g.logGroupName === deployerGroup)) throw Object.assign(new Error('none'), { name: 'ResourceNotFoundException' });
        return deployerGroup;
      },
      notFound: (region) => ({ detail: `log group ${deployerGroup} not found in ${region} (deploy --logs needs it)`, fix: 'It appears after the deployer first runs; check the function name.' }),
    },
    {
      name: 'ECR',
      run: async () => {
        const out = await (await aws.ecr()).describeRepositories({ maxResults: 100 });
        return `${out.repositories?.length ?? 0}${out.nextToken ? '+' : ''} repositories`;
      },
      notFound: (region) => ({ detail: `ECR is not reachable in ${region}`, fix: 'Check --region.' }),
    },
  ];
}

/** The proxy row: which proxy the checks go through (password masked), or why it cannot be used. */
export type ProxyCheck = { ok: true; detail: string } | { ok: false; detail: string; fix?: string };

/** Runs every check in parallel; a failure is explained, never thrown. */
export async function runChecks(aws: DoctorApis, settings: Settings, opts: { proxy?: ProxyCheck } = {}): Promise<CheckResult[]> {
  const proxyRow: CheckResult[] = opts.proxy ? [{ name: 'proxy', ...opts.proxy }] : [];
  // A proxy variable sgn cannot use fails every call the same way: say that, not "no region".
  if (opts.proxy && !opts.proxy.ok) return proxyRow;
  let region = settings.region ?? '?';
  try {
    region = await aws.region();
  } catch (e) {
    // The taxonomy says which: none set, one that is no region, a profile that does not exist.
    if (e instanceof SgnError) return [...proxyRow, { name: 'region', ok: false, detail: e.message, fix: e.hint }];
    return [...proxyRow, { name: 'region', ok: false, detail: 'no AWS region is set', fix: 'Pass --region eu-west-1, set AWS_REGION, or `sgn config set region eu-west-1`.' }];
  }
  const run = async (c: Check): Promise<CheckResult> => {
    try {
      return { name: c.name, ok: true, detail: await c.run() };
    } catch (e) {
      if (notFoundNames.has(awsErrorName(e) ?? '') || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
        return { name: c.name, ok: false, ...c.notFound(region) };
      }
      // A fault the taxonomy already put in words (set-up problems, unreachable, unreadable
      // answers), or an AWS answer explained as the reporting point does: its sentence and hint.
      const known = explainError(e, `checking ${c.name}`);
      return { name: c.name, ok: false, detail: known?.message ?? `${awsErrorName(e) ?? 'error'}: ${(e as Error).message}`, fix: known?.hint };
    }
  };
  const [credentials, ...rest] = checks(aws, settings);
  const who = await run(credentials);
  // Without working credentials every other check fails the same way: say it once.
  const results = who.ok ? await Promise.all(rest.map(run)) : rest.map((c) => ({ name: c.name, ok: false, detail: 'skipped (no working credentials)' }));
  return [{ name: 'region', ok: true, detail: region }, ...proxyRow, who, ...results];
}

