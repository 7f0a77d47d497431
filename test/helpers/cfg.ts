import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { sgnBin } from './cli.js';
import { onStop } from './processes.js';

export const scriptedEditor = fileURLToPath(new URL('../fixtures/scripted-editor.mjs', import.meta.url));

export interface EditorStep {
  record?: string;
  signal?: string;
  waitFor?: string;
  hang?: boolean;
  toLf?: boolean;
  addFinalNewline?: boolean;
  replace?: [string, string][];
  content?: string;
  bytes?: string;
  viaRename?: boolean;
  exit?: number;
}

/** A fresh folder for a test's files (plans, flags, records, and its TMPDIR). */
export function scratch(): { dir: string; tmp: string; file(name: string): string } {
  const dir = mkdtempSync(join(tmpdir(), 'sgn-cfg-test-'));
  const tmp = mkdtempSync(join(dir, 'tmp-'));
  onStop(async () => rmSync(dir, { recursive: true, force: true }));
  return { dir, tmp, file: (name) => join(dir, name) };
}

/** EDITOR and its plan (one step per editor run), and TMPDIR, for the CLI's environment. */
export function editorEnv(s: ReturnType<typeof scratch>, steps: EditorStep[]): Record<string, string> {
  const plan = s.file(`plan-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(plan, JSON.stringify(steps));
  return { EDITOR: `node ${scriptedEditor}`, SGN_TEST_EDITOR_PLAN: plan, TMPDIR: s.tmp };
}

/** What is left in a folder (the CLI's TMPDIR must be empty after every run). */
export function leftIn(dir: string): string[] {
  return readdirSync(dir);
}

export interface ByteResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Starts the built CLI (no TTY) and gives the child, for tests that signal it mid-run. */
export function spawnSgn(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<ByteResult> } {
  const child = spawn(process.execPath, [sgnBin, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin!.end();
  const done = new Promise<ByteResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr });
    });
  });
  return { child, done };
}

/** Runs the built CLI and keeps stdout as bytes. */
export function runSgnBytes(args: string[], env: NodeJS.ProcessEnv): Promise<ByteResult> {
  return spawnSgn(args, env).done;
}

/** Waits until a file exists. */
export async function waitForFile(path: string, timeoutMs = 30_000): Promise<void> {
  const { existsSync } = await import('node:fs');
  const until = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${path}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** An object read back through the SDK (not through sgn). */
export async function readObject(s3: S3Client, bucket: string, key: string, versionId?: string) {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  const bytes = Buffer.from(await out.Body!.transformToByteArray());
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: out.VersionId }));
  const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: out.VersionId }));
  return {
    bytes,
    versionId: out.VersionId,
    etag: out.ETag,
    sse: head.ServerSideEncryption,
    kmsKeyId: head.SSEKMSKeyId,
    contentType: head.ContentType,
    metadata: head.Metadata,
    tags: Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key, t.Value])),
  };
}

/** Every version of one key, newest first, with its bytes. */
export async function versionsOf(s3: S3Client, bucket: string, key: string): Promise<{ versionId: string; latest: boolean; bytes: Buffer | null }[]> {
  const out = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  const versions = [
    ...(out.Versions ?? []).filter((v) => v.Key === key).map((v) => ({ versionId: v.VersionId!, latest: Boolean(v.IsLatest), at: v.LastModified!, deleted: false })),
    ...(out.DeleteMarkers ?? []).filter((v) => v.Key === key).map((v) => ({ versionId: v.VersionId!, latest: Boolean(v.IsLatest), at: v.LastModified!, deleted: true })),
  ];
  const withBytes = [];
  for (const v of versions) {
    const bytes = v.deleted ? null : Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: v.versionId }))).Body!.transformToByteArray());
    withBytes.push({ versionId: v.versionId, latest: v.latest, bytes });
  }
  return withBytes;
}
