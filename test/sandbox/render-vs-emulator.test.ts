import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { cliEnv, resetMoto } from '../helpers/aws.js';
import { runSgn } from '../helpers/cli.js';
import { deployClients, deployerEmulator, deployNames } from '../helpers/deployer.js';
import { createDeployTable } from '../../src/sandbox/fixtures.js';
import { gitTag, putKubeConfigs, seedProject, type DeployClients } from '../../src/sandbox/fixtures-deploy.js';
import { demoSourceProjects, writeDemoSources } from '../../src/sandbox/demo-projects.js';

// Issue 17: the sandbox deploys what `sgn render` shows. Each demo project's build (its source
// with the build's commitref) is promoted to production with `sgn deploy` through the deployer
// emulator, which renders with sgn's engine; what the emulator applied (GET /_sgn/applied) must
// equal `sgn render production --tag <that build>` in the project's source folder, object by
// object, but for the deploy time (DEPLOY_TS, change-cause), which differs between the two runs.
type Obj = Record<string, unknown>;
function withoutDeployTime(o: Obj): Obj {
  const copy = structuredClone(o) as { metadata?: { annotations?: Obj }; spec?: { template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } } } };
  const cause = copy.metadata?.annotations?.['kubernetes.io/change-cause'];
  if (typeof cause === 'string') copy.metadata!.annotations!['kubernetes.io/change-cause'] = cause.split(' ')[0] + ' <time>';
  for (const c of copy.spec?.template?.spec?.containers ?? []) for (const e of c.env ?? []) if (e.name === 'DEPLOY_TS') e.value = '<time>';
  return copy as Obj;
}

describe('sandbox: what the deployer emulator applies equals `sgn render` (demo projects)', function () {
  this.timeout(180_000);
  let clients: DeployClients;
  let control: Awaited<ReturnType<typeof deployerEmulator>>['control'];
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const builds = Object.fromEntries(demoSourceProjects.map((p) => [p, gitTag(`render-${p}`)]));

  before(async function () {
    this.timeout(300_000);
    const e = await deployerEmulator();
    control = e.control;
    clients = deployClients(e.motoUrl);
    env = cliEnv(e.motoUrl, { AWS_ENDPOINT_URL_LAMBDA: e.url });
    await resetMoto(e.motoUrl);
    await control.reset();
    await createDeployTable(clients.dynamodb, deployNames.table);
    await putKubeConfigs(clients.s3, deployNames.configBucket, ['staging', 'production']);
    for (const project of demoSourceProjects) {
      await seedProject(clients, { table: deployNames.table }, { project, builds: [builds[project]], deployed: { staging: { tag: builds[project], at: new Date(Date.now() - 3600_000) } } });
      await clients.s3.send(new PutObjectCommand({ Bucket: deployNames.configBucket, Key: `${project}/production/config`, Body: 'GREETING=hello\n' }));
    }
    dir = mkdtempSync(join(tmpdir(), 'sgn-render-emulator-'));
    writeDemoSources(dir);
  });
  after(async () => {
    await control?.idle();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const project of ['web', 'worker', 'api', 'search', 'billing']) {
    it(`Given ${project}'s build in staging, When promoted to production through the emulator, Then it applied exactly the objects \`sgn render production --tag\` prints`, async () => {
      const deploy = await runSgn(['deploy', project, 'production', '--yes'], { env });
      assert.equal(deploy.code, 0, deploy.stderr);
      const applied = await control.applied(project, 'production');
      const render = await runSgn(['render', 'production', '--tag', builds[project], '--project', project, '--json', '-c', 'clusters=production=production'], { env, cwd: join(dir, project) });
      assert.equal(render.code, 0, render.stderr);
      const rendered = (JSON.parse(render.stdout) as { manifests: { manifest: Obj }[] }).manifests.map((m) => m.manifest);
      assert.ok(rendered.length >= 2, `${project}: ${rendered.length} objects`);
      assert.deepEqual(applied.map(withoutDeployTime), rendered.map(withoutDeployTime));
    });
  }
});
