// The Telegram session on disk. A StringSession is the account's authorisation key: whoever
// reads it can read and send the account's messages, so the directory is 0700, every file
// 0600, and files are replaced atomically (temp file + fsync + rename) so a crash never
// leaves half a session behind.
//
// SESSION_DIR/
//   telegram.session        the StringSession of the logged-in account
//   telegram.pending.json   between `telegram send-code` and `telegram verify` only
//   telegram.peers.json     the watched bots' ids and access hashes (per account)
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const SESSION_FILE = 'telegram.session';
export const PENDING_FILE = 'telegram.pending.json';
export const PEERS_FILE = 'telegram.peers.json';

export function sessionPath(dir: string): string {
  return resolve(dir, SESSION_FILE);
}

/** Creates the directory if needed and makes it 0700. */
export async function ensureSessionDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await stat(dir);
  if ((st.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
}

/** Writes `data` to `file` atomically with mode 0600: a reader sees the old or the new content, never a mix. */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.chmod(0o600); // whatever the umask
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  // Persist the rename itself (best effort: not every filesystem lets a directory be fsynced).
  try {
    const dh = await open(resolve(file, '..'), 'r');
    await dh.sync().catch(() => undefined);
    await dh.close();
  } catch {
    /* ignore */
  }
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The saved StringSession, or null when there is none. */
export async function loadSession(dir: string): Promise<string | null> {
  const s = (await readIfExists(join(dir, SESSION_FILE)))?.trim();
  return s ? s : null;
}

export async function saveSession(dir: string, session: string): Promise<string> {
  if (!session) throw new Error('refusing to save an empty Telegram session');
  await ensureSessionDir(dir);
  const file = sessionPath(dir);
  await writeFileAtomic(file, session + '\n');
  // A new login may come with new access hashes: the bots are resolved again at the next start.
  await rm(join(dir, PEERS_FILE), { force: true });
  return file;
}

/** Removes the session and everything derived from it. */
export async function removeSession(dir: string): Promise<void> {
  await Promise.all([SESSION_FILE, PENDING_FILE, PEERS_FILE].map((f) => rm(join(dir, f), { force: true })));
}

/** State kept between `paycue telegram send-code` and `paycue telegram verify`. */
export interface PendingLogin {
  /** StringSession whose auth key asked for the code: SignIn must come from the same key. */
  session: string;
  phone: string;
  phoneCodeHash: string;
  /** Unix ms. */
  sentAt: number;
  /** The code was accepted and the account wants its 2FA password next. */
  passwordNeeded?: boolean;
}

export async function savePendingLogin(dir: string, p: PendingLogin): Promise<void> {
  await ensureSessionDir(dir);
  await writeFileAtomic(join(dir, PENDING_FILE), JSON.stringify(p) + '\n');
}

export async function loadPendingLogin(dir: string): Promise<PendingLogin | null> {
  const raw = await readIfExists(join(dir, PENDING_FILE));
  if (raw === null) return null;
  try {
    const p = JSON.parse(raw) as Partial<PendingLogin>;
    if (typeof p.session !== 'string' || typeof p.phone !== 'string' || typeof p.phoneCodeHash !== 'string') return null;
    return { session: p.session, phone: p.phone, phoneCodeHash: p.phoneCodeHash, sentAt: Number(p.sentAt) || 0, passwordNeeded: p.passwordNeeded === true };
  } catch {
    return null;
  }
}

export async function removePendingLogin(dir: string): Promise<void> {
  await rm(join(dir, PENDING_FILE), { force: true });
}

/** A resolved bot: enough to build an InputPeerUser without asking Telegram again. */
export interface CachedPeer {
  id: string;
  accessHash: string;
  username?: string;
}

interface PeersFile {
  /** Access hashes are per account: a cache written for another account is ignored. */
  account: string;
  peers: Record<string, CachedPeer>;
}

export async function loadCachedPeers(dir: string, account: string): Promise<Record<string, CachedPeer>> {
  const raw = await readIfExists(join(dir, PEERS_FILE)).catch(() => null);
  if (!raw) return {};
  try {
    const f = JSON.parse(raw) as PeersFile;
    if (f.account !== account || typeof f.peers !== 'object' || f.peers === null) return {};
    return f.peers;
  } catch {
    return {};
  }
}

export async function saveCachedPeers(dir: string, account: string, peers: Record<string, CachedPeer>): Promise<void> {
  await ensureSessionDir(dir);
  const body: PeersFile = { account, peers };
  await writeFileAtomic(join(dir, PEERS_FILE), JSON.stringify(body) + '\n');
}
