import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exactBytes, formatBytes } from '../../src/bytes.js';
import { cacheHome, stateHome, writeFileAtomic, writeFileAtomicSync } from '../../src/files.js';

describe('unit: bytes and files (one helper each)', () => {
  it('given sizes, then decimal units as docker prints them, binary ones on request, exact ones with separators', () => {
    assert.equal(formatBytes(999), '999 B');
    assert.equal(formatBytes(28_200_000), '28.2 MB');
    assert.equal(formatBytes(1500), '1.50 kB');
    assert.equal(formatBytes(4300, 'binary'), '4.2 KiB');
    assert.equal(formatBytes(1024 * 1024, 'binary'), '1 MiB');
    assert.equal(exactBytes(1_100_007), '1,100,007 bytes');
    assert.equal(exactBytes(1), '1 byte');
  });

  it('given an atomic write with a mode, then the file has exactly that mode, its folder is made, and no temp file is left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgn-unit-files-'));
    try {
      const file = join(dir, 'sub', 'settings.json');
      writeFileAtomicSync(file, '{"a":1}\n', { mode: 0o600, dirMode: 0o700 });
      assert.equal(readFileSync(file, 'utf8'), '{"a":1}\n');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, 'sub')).mode & 0o777, 0o700);
      await writeFileAtomic(file, 'two', { mode: 0o644 });
      assert.equal(readFileSync(file, 'utf8'), 'two');
      assert.equal(statSync(file).mode & 0o777, 0o644);
      assert.deepEqual(readdirSync(join(dir, 'sub')), ['settings.json']);
      // A write that cannot rename (the target is a folder) leaves the old state and no temp file.
      writeFileSync(join(dir, 'keep'), 'x');
      assert.throws(() => writeFileAtomicSync(join(dir, 'sub'), 'y'));
      assert.deepEqual(readdirSync(dir).sort(), ['keep', 'sub']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('given the environment, then the cache home is SGN_CACHE_DIR, else XDG_CACHE_HOME/sgn, else ~/.cache/sgn', () => {
    assert.equal(cacheHome({ SGN_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' }), '/c');
    assert.equal(cacheHome({ XDG_CACHE_HOME: '/x', HOME: '/h' }), '/x/sgn');
    assert.equal(cacheHome({ HOME: '/h' }), '/h/.cache/sgn');
  });

  it('given the environment, then the state home (sandbox state, kept edits) is XDG_STATE_HOME/sgn, else ~/.local/state/sgn', () => {
    assert.equal(stateHome({ XDG_STATE_HOME: '/s', HOME: '/h' }), '/s/sgn');
    assert.equal(stateHome({ HOME: '/h' }), '/h/.local/state/sgn');
  });
});
