import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, writeFileSync, readdirSync, statSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForHttp } from '../../src/sandbox/ports.js';
import { onStop, track } from './processes.js';

/** One request line of a registry's access log. */
export interface AccessLine {
  method: string;
  path: string;
  status: number;
  agent: string;
}

/** A Debian docker-registry (CNCF distribution 2.8) on a loopback port, with its storage in a temp dir. */
export interface RegistryInstance {
  /** 127.0.0.1:port */
  host: string;
  dir: string;
  /** Requests logged so far (the registry's own access log, not what the client says). */
  requests(): AccessLine[];
  /** Bytes in upload sessions not yet committed (what a copy cut midway leaves). */
  uploadBytes(): number;
  stop(): Promise<void>;
}

const bin = '/usr/bin/docker-registry';

function walk(dir: string, visit: (path: string) => void): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, visit);
    else visit(p);
  }
}

/**
 * Starts docker-registry from a temp config: http on a free loopback port, filesystem storage,
 * and with `auth` an htpasswd (bcrypt, made by `htpasswd -B`) basic-auth realm. Stopped (and its
 * storage removed) by the root hook, or by the caller.
 */
export async function startRegistry(opts: { auth?: { username: string; password: string } } = {}): Promise<RegistryInstance> {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: install Debian's docker-registry package (apt-get install docker-registry)`);
  const dir = mkdtempSync(join(tmpdir(), 'sgn-registry-'));
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: sgn-test-secret',
  ];
  if (opts.auth) {
    const htpasswd = join(dir, 'htpasswd');
    execFileSync('htpasswd', ['-Bbc', htpasswd, opts.auth.username, opts.auth.password], { stdio: 'ignore' });
    lines.push('auth:', '  htpasswd:', '    realm: sgn-test', `    path: ${htpasswd}`);
  }
  const config = join(dir, 'config.yml');
  writeFileSync(config, lines.join('\n') + '\n');
  const logFile = join(dir, 'registry.log');
  const out = openSync(logFile, 'a');
  const child = spawn(bin, ['serve', config], { stdio: ['ignore', out, out] });
  closeSync(out);
  track(child);
  let exited = false;
  child.on('exit', () => (exited = true));
  try {
    await waitForHttp(`http://127.0.0.1:${port}/v2/`, 15_000, () => exited);
  } catch (e) {
    throw new Error(`docker-registry did not start: ${(e as Error).message}\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
  }
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= new Promise<void>((resolve) => {
      if (exited) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }).then(() => rmSync(dir, { recursive: true, force: true })));
  onStop(stop);
  return {
    host: `127.0.0.1:${port}`,
    dir,
    requests: () =>
      [...readFileSync(logFile, 'utf8').matchAll(/"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) \S+ "[^"]*" "([^"]*)"/g)].map((m) => ({ method: m[1], path: m[2], status: Number(m[3]), agent: m[4] })),
    uploadBytes: () => {
      let n = 0;
      walk(join(dir, 'data'), (p) => {
        if (p.includes('/_uploads/') && p.endsWith('/data')) n += statSync(p).size;
      });
      return n;
    },
    stop,
  };
}
