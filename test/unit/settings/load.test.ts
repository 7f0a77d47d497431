import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '../../../src/settings/load.js';
import { envNameFor } from '../../../src/settings/schema.js';

function layout() {
  const root = mkdtempSync(join(tmpdir(), 'sgn-settings-'));
  const home = join(root, 'home');
  const repo = join(root, 'repo');
  const cwd = join(repo, 'services', 'web');
  mkdirSync(join(home, '.config', 'sgn'), { recursive: true });
  mkdirSync(cwd, { recursive: true });
  return { home, repo, cwd, userFile: join(home, '.config', 'sgn', 'config.json'), teamFile: join(repo, '.sgn.json') };
}

describe('settings', () => {
  it('maps keys to SGN_* names', () => {
    assert.equal(envNameFor('configBucket'), 'SGN_CONFIG_BUCKET');
    assert.equal(envNameFor('table'), 'SGN_TABLE');
  });

  it('given nothing set, then the defaults of pipeline-contract.md apply', () => {
    const l = layout();
    const r = loadSettings({ env: { HOME: l.home }, cwd: l.cwd, flags: {} });
    assert.equal(r.values.table, 'kubernetes_deploy');
    assert.equal(r.values.function, 'notify_k8s_deploy');
    assert.equal(r.values.configKey, '{project}/{env}/config');
    assert.deepEqual(r.values.promoteFrom, { production: 'staging' });
    assert.equal(r.sources.table?.source, 'default');
  });

  it('given every layer, then each beats the one below: flag > env > team (found upward) > user > default', () => {
    const l = layout();
    writeFileSync(l.userFile, JSON.stringify({ table: 'user', function: 'user', configBucket: 'user', logGroup: 'user' }));
    writeFileSync(l.teamFile, JSON.stringify({ table: 'team', function: 'team', configBucket: 'team' }));
    const env = { HOME: l.home, SGN_TABLE: 'env', SGN_FUNCTION: 'env' };
    const r = loadSettings({ env, cwd: l.cwd, flags: { table: 'flag' } });
    assert.equal(r.values.table, 'flag');
    assert.equal(r.values.function, 'env');
    assert.equal(r.values.configBucket, 'team');
    assert.equal(r.values.logGroup, 'user');
    assert.equal(r.values.mirrorPrefix, 'mirror/');
    assert.deepEqual(
      [r.sources.table?.source, r.sources.function?.source, r.sources.configBucket?.source, r.sources.logGroup?.source, r.sources.mirrorPrefix?.source],
      ['flag', 'env', 'team', 'user', 'default'],
    );
    assert.equal(r.teamFile, l.teamFile);
  });

  it('given XDG_CONFIG_HOME, then the user file is read from there', () => {
    const l = layout();
    const xdg = join(l.home, 'xdg');
    mkdirSync(join(xdg, 'sgn'), { recursive: true });
    writeFileSync(join(xdg, 'sgn', 'config.json'), JSON.stringify({ table: 'xdg' }));
    assert.equal(loadSettings({ env: { HOME: l.home, XDG_CONFIG_HOME: xdg }, cwd: l.cwd, flags: {} }).values.table, 'xdg');
  });

  it('given list and map values in env vars, then they parse', () => {
    const l = layout();
    const r = loadSettings({ env: { HOME: l.home, SGN_ENVIRONMENTS: 'dev, staging,production', SGN_PROMOTE_FROM: 'staging=dev,production=staging' }, cwd: l.cwd, flags: {} });
    assert.deepEqual(r.values.environments, ['dev', 'staging', 'production']);
    assert.deepEqual(r.values.promoteFrom, { staging: 'dev', production: 'staging' });
  });

  it('given AWS_REGION and AWS_PROFILE, then they fill region and profile unless sgn sets them', () => {
    const l = layout();
    assert.equal(loadSettings({ env: { HOME: l.home, AWS_REGION: 'eu-west-1', AWS_PROFILE: 'dev' }, cwd: l.cwd, flags: {} }).values.region, 'eu-west-1');
    assert.equal(loadSettings({ env: { HOME: l.home, AWS_REGION: 'eu-west-1' }, cwd: l.cwd, flags: { region: 'us-west-2' } }).values.region, 'us-west-2');
  });

  it('given an unknown key in a file, then it is refused naming the file and the key', () => {
    const l = layout();
    writeFileSync(l.teamFile, JSON.stringify({ tabel: 'x' }));
    assert.throws(() => loadSettings({ env: { HOME: l.home }, cwd: l.cwd, flags: {} }), (e: Error) => e.message.includes(l.teamFile) && e.message.includes('"tabel"'));
  });

  it('given a wrong type in a file, then it is refused naming the file and the key', () => {
    const l = layout();
    writeFileSync(l.userFile, JSON.stringify({ environments: 'staging' }));
    assert.throws(() => loadSettings({ env: { HOME: l.home }, cwd: l.cwd, flags: {} }), (e: Error) => e.message.includes(l.userFile) && e.message.includes('"environments" must be a list'));
  });

  it('given a file that is not JSON, then it is refused naming the file', () => {
    const l = layout();
    writeFileSync(l.userFile, '{ table: ');
    assert.throws(() => loadSettings({ env: { HOME: l.home }, cwd: l.cwd, flags: {} }), (e: Error) => e.message.startsWith(`Settings file ${l.userFile} is not valid JSON`));
  });
});
