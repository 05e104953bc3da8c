// Start-up of the Telegram side: build the client from the saved session, take the session
// lock, connect (connect() + getMe(), never start(), which would turn any boot error into an
// interactive login), tie the cursors to the account and resolve the watched bots. Anything
// that fails undoes what was done and rejects with a TelegramStartError for the operator.
import { userInfo } from 'node:os';
import { Api, type TelegramClient } from 'telegram';
import type { StringSession } from 'telegram/sessions/index.js';
import type { Logger } from '../log/logger.js';
import type { TelegramStore } from '../redis/commands.js';
import { isRedisUnavailable } from '../redis/client.js';
import { PeerCache, resolveWatchedBots, type WatchedBot } from './bot-peer.js';
import { abandonConnect, connectWithTimeout, createTelegramClient, DEFAULT_CONNECT_TIMEOUT_MS, parseStringSession } from './client-factory.js';
import { CursorStore } from './cursor.js';
import { RELOGIN_HINT, TelegramStartError, describeError, withTimeout } from './errors.js';
import { acquireSessionLock, SessionLockedError, type SessionLock } from './session-lock.js';
import { loadSession, sessionPath } from './session-store.js';
import { fatalSessionMessage } from './watchdog.js';
import type { WatcherSettings } from './types.js';

export interface OpenSessionDeps {
  settings: WatcherSettings;
  store: TelegramStore;
  log: Logger;
  /** Called (once) when another process takes the session lock over. */
  onLockLost: (reason: string) => void;
  /** A ready-made client (tests); by default one is built from the session in SESSION_DIR. */
  client?: TelegramClient;
  connectTimeoutMs?: number;
  requestTimeoutMs: number;
  lockRenewMs?: number;
  /** Aborted when the daemon stops while this is still starting: give up and let go of the lock. */
  signal?: AbortSignal;
  /** Called once the session lock is this process's (it is then the one connecting). */
  onLocked?: () => void;
}

export interface OpenSession {
  client: TelegramClient;
  account: { id: string; username?: string };
  bots: WatchedBot[];
  cursors: CursorStore;
  lock: SessionLock;
  /** The watched bots' access hashes in SESSION_DIR (when it can be written). */
  peers: PeerCache;
}

/**
 * The session to use, checked before anything starts: TELEGRAM_SESSION when set (the file is then
 * not read), else SESSION_DIR's file. Missing, unreadable or corrupt sessions and missing API
 * credentials are problems only the operator can fix.
 */
export async function checkSavedSession(
  settings: WatcherSettings,
): Promise<{ appId: number; appHash: string; session: StringSession; source: 'env' | 'file' }> {
  const { appId, appHash, sessionDir } = settings;
  if (!appId || !appHash) {
    throw new TelegramStartError('APP_ID and APP_HASH are required to watch Telegram (or run with SANDBOX=true)', 'config');
  }
  if (settings.session) return { appId, appHash, session: parseStringSession(settings.session, 'TELEGRAM_SESSION'), source: 'env' };
  let saved: string | null;
  try {
    saved = await loadSession(sessionDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw err;
    throw new TelegramStartError(
      `SESSION_DIR: ${sessionPath(sessionDir)} cannot be read by user ${userInfo().username}; ` +
        `fix its owner: chown -R ${userInfo().username} ${sessionDir}`,
      'no-session',
    );
  }
  if (!saved) {
    throw new TelegramStartError(`no Telegram session in ${sessionPath(sessionDir)}: run \`paycue --telegram\` to log in first`, 'no-session');
  }
  return { appId, appHash, session: parseStringSession(saved), source: 'file' };
}

/** Builds the daemon's client from TELEGRAM_SESSION or the saved session (or hands over the test's). */
export async function clientMaker(deps: Pick<OpenSessionDeps, 'client' | 'settings' | 'log'>): Promise<() => TelegramClient> {
  if (deps.client) {
    const given = deps.client;
    return () => given;
  }
  const { appId, appHash, session, source } = await checkSavedSession(deps.settings);
  if (source === 'env') deps.log.info('using the Telegram session from TELEGRAM_SESSION (no session file is read)');
  return () => createTelegramClient({ appId, appHash, session, log: deps.log, purpose: 'daemon' });
}

async function takeLock(deps: OpenSessionDeps): Promise<SessionLock> {
  try {
    const ttl = deps.settings.lockTtlMs;
    // Renewed three times per lease, so one missed renewal does not lose it.
    const renew = deps.lockRenewMs ?? (ttl !== undefined ? Math.max(100, Math.floor(ttl / 3)) : undefined);
    return await acquireSessionLock({
      store: deps.store,
      log: deps.log,
      onLost: deps.onLockLost,
      ...(ttl !== undefined ? { ttlMs: ttl } : {}),
      ...(renew !== undefined ? { renewMs: renew } : {}),
    });
  } catch (err) {
    if (err instanceof SessionLockedError) {
      throw new TelegramStartError(
        `${err.message}; refusing to start: two processes on one session make Telegram revoke it (AUTH_KEY_DUPLICATED). ` +
          'Stop the other paycue first (its lock expires within TELEGRAM_TAKEOVER after it stops).',
        'locked',
      );
    }
    if (isRedisUnavailable(err)) throw new TelegramStartError('cannot take the Telegram session lock: Redis is unreachable', 'locked');
    throw err;
  }
}

async function whoAmI(client: TelegramClient, timeoutMs: number): Promise<Api.User> {
  let me: Api.User;
  try {
    me = await withTimeout(client.getMe(), timeoutMs, 'getMe');
  } catch (err) {
    const revoked = fatalSessionMessage(err);
    if (revoked) throw new TelegramStartError(revoked, 'session-revoked');
    throw new TelegramStartError(`Telegram did not confirm the account: ${describeError(err)}`, 'connect');
  }
  if (!(me instanceof Api.User) || !me.id) {
    throw new TelegramStartError(`the saved session is not logged in; ${RELOGIN_HINT}`, 'session-revoked');
  }
  return me;
}

/** `p`, unless the daemon stops first. */
export function unlessStopped<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const stopped = () => reject(new TelegramStartError('paycue is stopping', 'stopped'));
    if (signal.aborted) return stopped();
    signal.addEventListener('abort', stopped, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', stopped));
  });
}

export async function openSession(deps: OpenSessionDeps): Promise<OpenSession> {
  const makeClient = await clientMaker(deps);
  const lock = await takeLock(deps);
  deps.onLocked?.();
  let client: TelegramClient | undefined;
  try {
    client = makeClient();
    try {
      await unlessStopped(connectWithTimeout(client, deps.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS), deps.signal);
    } catch (err) {
      if (err instanceof TelegramStartError) throw err;
      throw new TelegramStartError(`cannot connect to Telegram: ${describeError(err)}; check the network and restart`, 'connect');
    }
    const me = await unlessStopped(whoAmI(client, deps.requestTimeoutMs), deps.signal);
    const account = { id: me.id.toString(), ...(me.username ? { username: me.username } : {}) };
    const cursors = new CursorStore(deps.store, { token: lock.token, account: account.id });
    if (await cursors.bindAccount()) {
      deps.log.warn({ account: account.id }, 'a different Telegram account is logged in: catch-up cursors reset (first-start rules apply)');
    }
    const peers = new PeerCache(deps.settings.sessionDir, account.id, deps.log);
    const bots = await unlessStopped(
      resolveWatchedBots({ client, bots: deps.settings.bots, cache: peers, log: deps.log, timeoutMs: deps.requestTimeoutMs }),
      deps.signal,
    );
    return { client, account, bots, cursors, lock, peers };
  } catch (err) {
    // The lock goes first: a process stopping mid-connect must not leave the next start locked out.
    if (client) abandonConnect(client);
    await lock.release();
    if (client) await withTimeout(client.destroy(), 2_000, 'client.destroy').catch(() => undefined);
    throw err;
  }
}
