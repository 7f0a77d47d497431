// The standalone executable (`npm run build:exe`, Node's single executable application) against
// sgn as `npm install -g` puts it: the tarball of `npm pack` installed into a scratch prefix.
// Issue 14 asks for start-up as fast as the npm install. Both are built once, in the first
// scenario's setup, into the bench's scratch folder.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDeployTable, putDeployRecords } from '../src/sandbox/fixtures.ts';

const table = 'sgn_bench_exe_deploys';

/** Packs and installs sgn, builds the executable, seeds a small deploy table: once. */
function prepare(env) {
  const dir = join(env.scratch, 'exe-vs-npm');
  const installed = join(dir, 'prefix', 'bin', 'sgn');
  const exe = join(dir, 'exe', `sgn-${process.platform}-${process.arch}`);
  const npmEnv = { ...process.env, npm_config_cache: join(dir, 'npm-cache'), npm_config_update_notifier: 'false', npm_config_offline: 'true' };
  const ready = (async () => {
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: env.root, env: npmEnv, encoding: 'utf8' });
    const tarball = join(dir, JSON.parse(out)[0].filename);
    execFileSync('npm', ['install', '--global', '--prefix', join(dir, 'prefix'), '--no-audit', '--no-fund', tarball], { env: npmEnv, stdio: 'ignore' });
    execFileSync(process.execPath, [join(env.root, 'scripts', 'build-exe.mjs')], { cwd: env.root, env: { ...process.env, SGN_EXE_DIR: join(dir, 'exe') }, stdio: 'ignore' });
    const db = new DynamoDBClient(env.clientConfig);
    try {
      await createDeployTable(db, table);
      const now = Date.now();
      await putDeployRecords(db, table, [
        { project: 'web', env: 'staging', tag: 'git-1111111', deployed: new Date(now - 3600_000) },
        { project: 'web', env: 'production', tag: 'git-0000000', deployed: new Date(now - 7200_000) },
      ]);
    } finally {
      db.destroy();
    }
  })();
  return { installed, exe, ready };
}

export function scenarios(env) {
  let built;
  const setup = async () => {
    built ??= prepare(env);
    await built.ready;
  };
  const paths = () => (built ??= prepare(env));
  // Sides are resolved when measured (after setup); argv is read then.
  const side = (which, args, extra = {}) => ({
    get argv() {
      return [paths()[which], ...args];
    },
    check: (out) => (out.length ? undefined : 'printed nothing'),
    ...extra,
  });
  const data = { env: env.awsEnv() };
  const rows = [
    ['--version', ['--version'], {}],
    ['--help', ['--help'], {}],
    ['ls deployed --project web', ['-c', `table=${table}`, 'ls', 'deployed', '--project', 'web'], data],
  ];
  return rows.map(([title, args, extra], i) => ({
    id: ['exe-version', 'exe-help', 'exe-ls-project'][i],
    name: `sgn ${title}, standalone executable`,
    peerLabel: `sgn ${title}, npm install`,
    sgn: side('exe', args, extra),
    peer: side('installed', args, extra),
    budget: { ratio: 1.0 },
    runs: 15,
    warmup: 2,
    setup,
  }));
}
