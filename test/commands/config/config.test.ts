import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
    await runSgn(['config', 'set', 'table', 'x'], { env: e });
    writeFileSync(join(e.XDG_CONFIG_HOME, 'sgn', 'config.json'), '{"lockTtl": "soon"}');
    const res = await runSgn(['config', 'get', 'table'], { env: e });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /setting "lockTtl" must be a positive number of seconds/);
    assert.match(res.stderr, /config\.json/);
  });

  it('given --unset, then the key is gone from the file', async () => {
    const e = env();
    await runSgn(['config', 'set', 'table', 'x'], { env: e });
    await runSgn(['config', 'set', 'table', '--unset'], { env: e });
    assert.deepEqual(JSON.parse(readFileSync(join(e.XDG_CONFIG_HOME, 'sgn', 'config.json'), 'utf8')), {});
  });
});
