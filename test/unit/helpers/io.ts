import { PassThrough } from 'node:stream';
import type { Streams } from '../../../src/io.js';

/** Streams that record what a command printed, as a terminal or as pipes. */
export function testStreams(opts: { tty?: boolean; columns?: number } = {}): Streams & { out(): string; err(): string } {
  const capture = () => {
    const s = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.isTTY = opts.tty;
    s.columns = opts.columns;
    return { s, text: () => text };
  };
  const stdout = capture();
  const stderr = capture();
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  stdin.isTTY = opts.tty;
  return { stdout: stdout.s, stderr: stderr.s, stdin, out: stdout.text, err: stderr.text };
}

/** An environment with nothing from this machine: no AWS profile, no sandbox, no colour. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // XDG_CACHE_HOME under /dev/null: caches (artifacts) cannot be written, even by root.
  return { HOME: '/nonexistent-home', XDG_CONFIG_HOME: '/nonexistent-config', XDG_CACHE_HOME: '/dev/null/cache', NO_COLOR: '1', AWS_REGION: 'eu-west-1', ...extra };
}
