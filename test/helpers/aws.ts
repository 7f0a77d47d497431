import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureMoto, startMoto, type MotoProcess } from '../../src/sandbox/moto.js';
import { onStop, track } from './processes.js';

let moto: Promise<MotoProcess> | undefined;
const homes: string[] = [];
// The temp HOME folders of cliEnv() go when the run ends.
onStop(async () => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

/** The run's one moto server (started on first use, stopped by the root hook). */
export function motoServer(): Promise<MotoProcess> {
  moto ??= (async () => {
    const server = await ensureMoto(process.env, (m) => process.stderr.write(`      ${m}\n`));
    const m = await startMoto({ server });
    track(m.child);
    onStop(() => m.stop());
    return m;
  })();
  return moto;
}

/** Forgets everything moto holds, so that a suite starts from an empty account. */
export async function resetMoto(url: string): Promise<void> {
  const res = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
}

export const testRegion = 'us-east-1';
export const testCredentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** SDK client config that points at moto, for tests that set up or read back state. */
export function clientConfig(url: string) {
  return { region: testRegion, endpoint: url, credentials: testCredentials, forcePathStyle: true };
}

/**
 * The environment for running the built CLI against moto as a user would: standard AWS
 * variables, and HOME/XDG dirs in a fresh temp folder so that no real settings leak in.
 */
export function cliEnv(url: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'sgn-home-'));
  homes.push(home);
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.state'),
    XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? home, '.cache'),
    // sgn's own caches (ECR login, blob locations) start empty in every run; the moto venv above is shared.
    SGN_CACHE_DIR: join(home, '.cache-sgn'),
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
    AWS_REGION: testRegion,
    AWS_ENDPOINT_URL: url,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}
