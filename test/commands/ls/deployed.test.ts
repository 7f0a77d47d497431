import assert from 'node:assert/strict';
import { DynamoDBClient, PutItemCommand, ScanCommand, type AttributeValue, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { clientConfig, cliEnv, motoServer, resetMoto } from '../../helpers/aws.js';
import { runSgn } from '../../helpers/cli.js';
import { createDeployTable, putDeployRecords, type DeployRecordInput } from '../../../src/sandbox/fixtures.js';
import { parseLsDeployed } from '../../../src/commands/ls/deployed.js';
import { UsageError } from '../../../src/errors.js';

describe('sgn ls deployed', () => {
  describe('parse', () => {
    it('given repeated and comma-separated --env, then collects every environment', () => {
      assert.deepEqual(parseLsDeployed({ env: ['staging,production', 'qa'] }).envs, ['staging', 'production', 'qa']);
    });
    it('given a project name with a slash, then refuses it before any AWS call', () => {
      assert.throws(() => parseLsDeployed({ project: 'web/../x' }), UsageError);
    });
  });

  describe('against moto, 3,000 projects', function () {
    let url: string;
    let db: DynamoDBClient;
    const now = Date.now();
    const projects = 3000;

    before(async function () {
      this.timeout(300_000);
      url = (await motoServer()).url;
      await resetMoto(url);
      db = new DynamoDBClient(clientConfig(url));
      await createDeployTable(db, 'kubernetes_deploy');
      const records: DeployRecordInput[] = [];
      for (let i = 0; i < projects; i++) {
        const project = `app-${String(i).padStart(4, '0')}`;
        // Every third project has staging ahead of production; every seventh is only in staging.
        const stagingTag = `git-${(i * 7919).toString(16).padStart(7, '0')}`;
        records.push({ project, env: 'staging', tag: stagingTag, deployed: new Date(now - 3600_000) });
        if (i % 7 === 0) continue;
        const prodTag = i % 3 === 0 ? `git-old${i}` : stagingTag;
        records.push({ project, env: 'production', tag: prodTag, deployed: new Date(now - 7200_000) });
      }
      await putDeployRecords(db, 'kubernetes_deploy', records);
    });

    it('given thousands of items (several Scan pages), when --json, then every record in the table is listed exactly once', async () => {
      const res = await runSgn(['ls', 'deployed', '--json'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      const rows = JSON.parse(res.stdout) as { project: string; status: string; environments: Record<string, { tag: string; deployed: string }> }[];
      // Read the truth back through the SDK, not through sgn.
      const truth = new Map<string, string>();
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page: ScanCommandOutput = await db.send(new ScanCommand({ TableName: 'kubernetes_deploy', ExclusiveStartKey: start }));
        for (const item of page.Items ?? []) truth.set(`${item.Application.S}/${item.Env.S}`, item.Tag.S!);
        start = page.LastEvaluatedKey;
      } while (start);
      const listed = new Map<string, string>();
      for (const row of rows) for (const [env, r] of Object.entries(row.environments)) listed.set(`${row.project}/${env}`, r.tag);
      assert.equal(rows.length, projects);
      assert.deepEqual(listed, truth);
      const byProject = new Map(rows.map((r) => [r.project, r]));
      assert.equal(byProject.get('app-0003')!.status, 'ahead');
      assert.equal(byProject.get('app-0001')!.status, 'in-sync');
      assert.equal(byProject.get('app-0007')!.status, 'only');
      assert.match(byProject.get('app-0001')!.environments.staging.deployed, /^\d{4}-\d{2}-\d{2}T/);
    });

    it('given --project, then only that project is shown, as tab-separated rows when piped', async () => {
      const res = await runSgn(['ls', 'deployed', '--project', 'app-0003'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      const lines = res.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 2);
      assert.deepEqual(lines[0].split('\t'), ['PROJECT', 'STAGING', 'PRODUCTION', 'STATUS']);
      const cells = lines[1].split('\t');
      assert.equal(cells[0], 'app-0003');
      assert.match(cells[1], /^git-[0-9a-f]{7} \(1h ago\)$/);
      assert.equal(cells[2], 'git-old3 (2h ago)');
      assert.equal(cells[3], 'staging ahead');
      assert.ok(!res.stdout.includes('\u001b['), 'no ANSI escapes when piped');
    });

    it('given --env production, then only that column and only projects deployed there', async () => {
      const res = await runSgn(['ls', 'deployed', '--env', 'production', '--json'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      const rows = JSON.parse(res.stdout) as { project: string; environments: Record<string, unknown> }[];
      assert.equal(rows.length, projects - Math.ceil(projects / 7));
      assert.ok(rows.every((r) => Object.keys(r.environments).join() === 'production'));
    });

    it('given malformed items (no Tag, non-numeric Deployed, extra attributes), then they show as "?" and nothing crashes', async () => {
      await db.send(new PutItemCommand({ TableName: 'kubernetes_deploy', Item: { Application: { S: 'zz-odd' }, Env: { S: 'staging' }, Deployed: { S: 'yesterday' }, Owner: { S: 'ops' } } }));
      const res = await runSgn(['ls', 'deployed', '--project', 'zz-odd', '--wide'], { env: cliEnv(url) });
      assert.equal(res.code, 0, res.stderr);
      const cells = res.stdout.trimEnd().split('\n')[1].split('\t');
      assert.equal(cells[1], '? (?)');
      assert.equal(cells[2], '? (yesterday)');
      const json = JSON.parse((await runSgn(['ls', 'deployed', '--project', 'zz-odd', '--json'], { env: cliEnv(url) })).stdout);
      assert.deepEqual(json[0].environments.staging.extra, { Owner: 'ops' });
      assert.equal(json[0].environments.staging.deployed, null);
    });

    it('given a missing table, then one sentence names the table, the region and the setting', async () => {
      const res = await runSgn(['-c', 'table=nope', 'ls', 'deployed'], { env: cliEnv(url) });
      assert.equal(res.code, 1);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /DynamoDB table "nope" was not found in us-east-1\./);
      assert.match(res.stderr, /sgn config set table/);
      assert.doesNotMatch(res.stderr, /at .*\.js:\d+/, 'no stack trace without --debug');
    });
  });
});
