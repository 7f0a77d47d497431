import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isGroup, type CommandDef, type GroupDef } from '../../src/cli/define.js';
import { commandTree } from '../../src/commands/index.js';
import { writeDemoSources } from '../../src/sandbox/demo-projects.js';

/**
 * The commands that talk to no service, with what they touch instead. Every other command of
 * `commandTree` talks to AWS or a registry, and must have rows in the failure matrix
 * (test/faults/matrix.test.ts) and a place in the credentials suite: a new command fails both
 * until it is listed here or given its rows.
 */
export const talksToNothing: Record<string, string> = {
  'config list': 'the settings files',
  'config get': 'the settings files',
  'config set': 'the settings files',
  'config path': 'the settings files',
  completion: 'prints a shell script',
  'sandbox start': 'starts the local emulators of the sandbox',
  'sandbox status': 'the local emulators of the sandbox',
  'sandbox stop': 'the local emulators of the sandbox',
  'sandbox reset': 'the local emulators of the sandbox',
};

/** Every leaf command of the tree, as typed after `sgn` ("cfg set", "deploy"), with its declaration. */
export function commandPaths(tree: (CommandDef | GroupDef)[] = commandTree): Map<string, CommandDef> {
  const out = new Map<string, CommandDef>();
  for (const d of tree) {
    if (isGroup(d)) for (const c of d.commands) out.set(`${d.name} ${c.name}`, c);
    else out.set(d.name, d);
  }
  return out;
}

/** The commands that talk to a service (AWS or a registry). */
export function serviceCommands(): string[] {
  return [...commandPaths().keys()].filter((p) => !(p in talksToNothing));
}

/**
 * One command line for each command that talks to a service, which gets as far as its first
 * call with nothing prepared in AWS (the files it reads are written under `dir`). Suites that run
 * "every command" take them from here, so a new command is missing until it is added.
 */
export function sampleCommandLines(dir: string): Record<string, string[]> {
  mkdirSync(dir, { recursive: true });
  const folders = writeDemoSources(join(dir, 'projects'));
  const syncFile = join(dir, 'images.yml');
  writeFileSync(syncFile, 'images:\n  - source: nginx:1.27\n    target: nginx:1.27\n');
  const editFile = join(dir, 'edit.ini');
  writeFileSync(editFile, 'LOG_LEVEL=warn\n', { mode: 0o600 });
  return {
    deploy: ['deploy', 'web', 'production', '--yes'],
    rollback: ['rollback', 'web', 'production', '--to', 'git-3f9c2a1', '--yes'],
    releases: ['releases', 'web'],
    history: ['history', 'web'],
    status: ['status', 'web'],
    render: ['render', 'staging', '--project', 'web', '--dir', folders.web],
    lint: ['lint', 'staging', '--project', 'web', '--dir', folders.web],
    'ls deployed': ['ls', 'deployed'],
    'logs tail': ['logs', 'tail', 'web'],
    'cfg ls': ['cfg', 'ls', 'web'],
    'cfg cat': ['cfg', 'cat', 'web', 'production'],
    'cfg diff': ['cfg', 'diff', 'web', 'staging', 'production'],
    'cfg history': ['cfg', 'history', 'web', 'staging'],
    'cfg edit': ['cfg', 'edit', 'web', 'staging', '--from-file', editFile, '--yes'],
    'cfg restore': ['cfg', 'restore', 'web', 'staging', '--version-id', 'v1', '--yes'],
    'cfg set': ['cfg', 'set', 'web', 'staging', 'MATRIX=1'],
    'cfg unset': ['cfg', 'unset', 'web', 'staging', 'LOG_LEVEL'],
    'image mirror': ['image', 'mirror', 'nginx:1.27'],
    'image sync': ['image', 'sync', syncFile],
    doctor: ['doctor'],
  };
}
