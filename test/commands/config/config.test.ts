import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSgn } from '../../helpers/cli.js';

function env() {
  const home = mkdtempSync(join(tmpdir(), 'sgn-cfgcmd-'));
  return { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
}

describe('sgn config', () => {
  it('given set, then get returns it, list shows its source, and the user file holds it', async () => {
    const e = env();
    const set = await runSgn(['config', 'set', 'environments', 'dev,staging,production'], { env: e });
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, '');
    const get = await runSgn(['config', 'get', 'environments'], { env: e });
    assert.equal(get.stdout, 'dev,staging,production\n');
    const file = JSON.parse(readFileSync(join(e.XDG_CONFIG_HOME, 'sgn', 'config.json'), 'utf8'));
    assert.deepEqual(file, { environments: ['dev', 'staging', 'production'] });
    const list = JSON.parse((await runSgn(['config', 'list', '--json'], { env: e })).stdout);
    assert.equal(list.environments.source, 'user');
    assert.equal(list.table.source, 'default');
  });

  it('given --team, then the team file in this folder is written and beats the user file', async () => {
    const e = env();
    const repo = mkdtempSync(join(tmpdir(), 'sgn-team-'));
    await runSgn(['config', 'set', 'table', 'from_user'], { env: e, cwd: repo });
    const res = await runSgn(['config', 'set', 'table', 'from_team', '--team'], { env: e, cwd: repo });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(JSON.parse(readFileSync(join(repo, '.sgn.json'), 'utf8')).table, 'from_team');
    assert.equal((await runSgn(['config', 'get', 'table'], { env: e, cwd: repo })).stdout, 'from_team\n');
    assert.equal((await runSgn(['config', 'get', 'table'], { env: { ...e, SGN_TABLE: 'from_env' }, cwd: repo })).stdout, 'from_env\n');
    assert.equal((await runSgn(['-c', 'table=from_flag', 'config', 'get', 'table'], { env: { ...e, SGN_TABLE: 'from_env' }, cwd: repo })).stdout, 'from_flag\n');
  });

  it('given an unknown key, then a usage error lists the known ones', async () => {
    const res = await runSgn(['config', 'set', 'tabel', 'x'], { env: env() });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /Unknown setting "tabel"\.\nHint: Known settings: region, profile, table/);
  });

  it('given a broken settings file, then every command names the file and does not crash', async () => {
    const e = env();
    await runSgn(['config', 'set', 'table', 'xyz'], { env: e });
    writeFileSync(join(e.XDG_CONFIG_HOME, 'sgn', 'config.json'), '{"lockTtl": "soon"}');
    const res = await runSgn(['config', 'get', 'table'], { env: e });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /setting "lockTtl" must be a positive number of seconds/);
    assert.match(res.stderr, /config\.json/);
  });

  /** Runs every `sgn ...` command a hint proposes; each must be accepted (exit 0). */
  async function runHints(stderr: string, e: NodeJS.ProcessEnv, cwd?: string): Promise<number> {
    const hints = [...stderr.matchAll(/`(sgn [^`]+)`/g)].map((m) => m[1]);
    for (const hint of hints) {
      const args = [...hint.slice(4).matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
      const res = await runSgn(args, { env: e, cwd });
      assert.equal(res.code, 0, `the hint "${hint}" was refused: ${res.stderr}`);
    }
    return hints.length;
  }

  for (const [key, value, message] of [
    ['region', 'x y', /region must be an AWS region name such as eu-west-1, not "x y"/],
    ['ecrRegistry', 'a b', /ecrRegistry must be a registry host\[:port\]/],
    ['promoteFrom', 'staging=staging', /promoteFrom makes "staging" its own source/],
    ['promoteFrom', 'staging=production,production=staging', /promoteFrom has a cycle/],
    ['promoteFrom', 'qa=staging', /The setting promoteFrom \(from .*config\.json\) names "qa", not among the environments \(staging, production\) \(the default\)/],
    ['table', '', /table must be a DynamoDB table name/],
    ['environments', 'a b,c', /environments has "a b", which is not an environment name/],
  ] as const) {
    it(`given config set ${key} "${value}", then it is refused as loading would refuse it, and the file is unchanged`, async () => {
      const e = env();
      await runSgn(['config', 'set', 'table', 'kept'], { env: e });
      const file = join(e.XDG_CONFIG_HOME, 'sgn', 'config.json');
      const before = readFileSync(file, 'utf8');
      const res = await runSgn(['config', 'set', key, value], { env: e });
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, message);
      assert.equal(readFileSync(file, 'utf8'), before);
      assert.equal((await runSgn(['config', 'get', 'table'], { env: e })).code, 0);
    });
  }

  it('given environments changed under a promoteFrom that names the old ones, then it is refused, and the hints, run in order, get there', async () => {
    const e = env();
    assert.equal((await runSgn(['config', 'set', 'promoteFrom', 'production=staging'], { env: e })).code, 0);
    const res = await runSgn(['config', 'set', 'environments', 'dev,qa'], { env: e });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /The setting promoteFrom \(from .*config\.json\) names "production" and "staging", not among the environments \(dev, qa\)/);
    assert.equal(await runHints(res.stderr, e), 3, res.stderr);
    assert.equal((await runSgn(['config', 'get', 'promoteFrom'], { env: e })).stdout, 'qa=dev\n');
  });

  it('given environments without production and staging, then the default promoteFrom does not stand in the way', async () => {
    const e = env();
    const res = await runSgn(['config', 'set', 'environments', 'dev,qa'], { env: e });
    assert.equal(res.code, 0, res.stderr);
    assert.equal((await runSgn(['config', 'get', 'table'], { env: e })).code, 0);
    assert.equal((await runSgn(['config', 'set', 'promoteFrom', 'qa=dev'], { env: e })).code, 0);
  });

  it('given a private (0600) user file, when a setting is set, then the file stays 0600; a new user file is 0600', async () => {
    const e = env();
    const file = join(e.XDG_CONFIG_HOME, 'sgn', 'config.json');
    await runSgn(['config', 'set', 'table', 'one'], { env: e });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    chmodSync(file, 0o640);
    await runSgn(['config', 'set', 'table', 'two'], { env: e });
    assert.equal(statSync(file).mode & 0o777, 0o640);
    chmodSync(file, 0o600);
    await runSgn(['config', 'set', 'region', 'eu-west-1'], { env: e });
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it('given a settings file with a bad value, then config path and config set still work, other commands exit 2 naming file and key, and the hint repairs it', async () => {
    const e = env();
    const dir = join(e.XDG_CONFIG_HOME, 'sgn');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ region: 'x y', table: 'fine' }));
    const path = await runSgn(['config', 'path'], { env: e });
    assert.equal(path.code, 0, path.stderr);
    assert.match(path.stdout, new RegExp(`user\t${file.replace(/[.]/g, '\\.')}`));
    const get = await runSgn(['config', 'get', 'table'], { env: e });
    assert.equal(get.code, 2);
    assert.match(get.stderr, new RegExp(`^Error: ${file.replace(/[.]/g, '\\.')}: setting "region" must be an AWS region name such as eu-west-1, but is "x y"\\.$`, 'm'));
    assert.doesNotMatch(get.stderr, /bug in sgn/);
    assert.equal(await runHints(get.stderr, e), 2, get.stderr);
    assert.equal((await runSgn(['config', 'get', 'table'], { env: e })).stdout, 'fine\n');
  });

  it('given a team file whose promoteFrom names an unknown environment, then the hint proposes a map sgn accepts, in the team file', async () => {
    const e = env();
    const repo = mkdtempSync(join(tmpdir(), 'sgn-team-'));
    writeFileSync(join(repo, '.sgn.json'), JSON.stringify({ environments: ['dev', 'staging', 'production'], promoteFrom: { production: 'stage' } }));
    const res = await runSgn(['config', 'get', 'table'], { env: e, cwd: repo });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /names "stage", not among the environments \(dev, staging, production\)/);
    assert.match(res.stderr, /sgn config set promoteFrom staging=dev,production=staging --team/);
    assert.equal(await runHints(res.stderr, e, repo), 1);
    assert.equal((await runSgn(['config', 'get', 'promoteFrom'], { env: e, cwd: repo })).stdout, 'staging=dev,production=staging\n');
  });

  it('given a settings file that is not JSON, then config path works and config set exits 2 naming the file', async () => {
    const e = env();
    const dir = join(e.XDG_CONFIG_HOME, 'sgn');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{ region: ');
    assert.equal((await runSgn(['config', 'path'], { env: e })).code, 0);
    const set = await runSgn(['config', 'set', 'region', 'eu-west-1'], { env: e });
    assert.equal(set.code, 2);
    assert.match(set.stderr, /Settings file .*config\.json is not valid JSON/);
  });

  it('given --unset, then the key is gone from the file', async () => {
    const e = env();
    await runSgn(['config', 'set', 'table', 'x'], { env: e });
    await runSgn(['config', 'set', 'table', '--unset'], { env: e });
    assert.deepEqual(JSON.parse(readFileSync(join(e.XDG_CONFIG_HOME, 'sgn', 'config.json'), 'utf8')), {});
  });
});
