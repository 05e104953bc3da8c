// The session on disk: 0700 directory, 0600 files, atomic replacement.
import { afterEach, describe, expect, it } from 'vitest';
import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  loadCachedPeers,
  loadSession,
  removeSession,
  saveCachedPeers,
  saveSession,
  writeFileAtomic,
} from '../../src/telegram/session-store.js';
import { removeTempDirs, tempDir } from './helpers.js';

afterEach(removeTempDirs);

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('session store', () => {
  it('a new login clears the cached bot peers (access hashes may have changed with it)', async () => {
    const dir = await tempDir();
    await saveCachedPeers(dir, '777', { [String(856254490)]: { id: '856254490', accessHash: '1' } });
    expect(await loadCachedPeers(dir, '777')).not.toEqual({});
    await saveSession(dir, '1new-login');
    expect(await loadCachedPeers(dir, '777')).toEqual({});
  });

  it('creates the directory 0700 and the session file 0600, even under a permissive umask', async () => {
    const dir = join(await tempDir(), 'a', 'sessions');
    const old = process.umask(0o000);
    try {
      const file = await saveSession(dir, '1secret');
      expect(file).toBe(join(dir, 'telegram.session'));
      expect(await mode(dir)).toBe(0o700);
      expect(await mode(file)).toBe(0o600);
    } finally {
      process.umask(old);
    }
    expect(await loadSession(dir)).toBe('1secret');
  });

  it('tightens an existing directory that is too open', async () => {
    const dir = join(await tempDir(), 'sessions');
    await mkdir(dir);
    await chmod(dir, 0o755);
    await saveSession(dir, '1secret');
    expect(await mode(dir)).toBe(0o700);
  });

  it('replaces the file atomically: readers see old or new, never partial; no temp files left', async () => {
    const dir = await tempDir();
    const file = join(dir, 'telegram.session');
    const a = 'A'.repeat(200_000);
    const b = 'B'.repeat(200_000);
    await writeFileAtomic(file, a);
    const seen = new Set<string>();
    let reading = true;
    const reader = (async () => {
      const { readFile } = await import('node:fs/promises');
      while (reading) {
        const s = await readFile(file, 'utf8');
        seen.add(s === a ? 'a' : s === b ? 'b' : `partial:${s.length}`);
      }
    })();
    for (let i = 0; i < 20; i++) await writeFileAtomic(file, i % 2 ? a : b);
    reading = false;
    await reader;
    expect([...seen].filter((s) => s.startsWith('partial'))).toEqual([]);
    expect(await readdir(dir)).toEqual(['telegram.session']);
    expect(await mode(file)).toBe(0o600);
  });

  it('an existing looser file becomes 0600 when rewritten', async () => {
    const dir = await tempDir();
    const file = join(dir, 'telegram.session');
    await writeFile(file, 'old', { mode: 0o644 });
    await saveSession(dir, '1new');
    expect(await mode(file)).toBe(0o600);
  });

  it('refuses to save an empty session; a missing one loads as null', async () => {
    const dir = await tempDir();
    await expect(saveSession(dir, '')).rejects.toThrow(/empty/);
    expect(await loadSession(dir)).toBeNull();
  });

  it('the bot cache belongs to one account', async () => {
    const dir = await tempDir();
    await saveCachedPeers(dir, '111', { '856254490': { id: '856254490', accessHash: '42' } });
    expect(await loadCachedPeers(dir, '111')).toEqual({ '856254490': { id: '856254490', accessHash: '42' } });
    expect(await loadCachedPeers(dir, '222')).toEqual({});
    expect(await mode(join(dir, 'telegram.peers.json'))).toBe(0o600);
    await removeSession(dir);
    expect(await readdir(dir)).toEqual([]);
  });
});
