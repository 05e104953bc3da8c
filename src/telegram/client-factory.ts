// Builds the one kind of GramJS client paycue uses: a StringSession, pino logging, and
// connection settings that suit the caller.
//  - daemon: connectionRetries stays Infinity (GramJS's real default; with a finite value
//    a failed reconnect leaves the client "connected" with requests that hang forever),
//    short flood waits (<= 60 s) are slept through by GramJS.
//  - cli: a few connection attempts only, and every flood wait is reported to the user
//    instead of being slept through silently.
// Callers still bound connect() and every request with withTimeout.
import { TelegramClient } from 'telegram';
import { StringSession } from 'telegram/sessions/index.js';
import type { Logger } from '../log/logger.js';
import { PinoGramLogger } from './gramjs-logger.js';
import { TelegramStartError, withTimeout } from './errors.js';
import { pointAtTestTelegram } from './test-telegram.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

export interface ClientOptions {
  appId: number;
  appHash: string;
  /** A saved StringSession ('' for a fresh login), or a session object (tests). */
  session: string | StringSession;
  log: Logger;
  purpose: 'daemon' | 'cli';
}

export function createTelegramClient(opts: ClientOptions): TelegramClient {
  const session = typeof opts.session === 'string' ? new StringSession(opts.session) : opts.session;
  pointAtTestTelegram(session); // paycue's own tests only (NODE_ENV=test); see test-telegram.ts
  const client = new TelegramClient(session, opts.appId, opts.appHash, {
    baseLogger: new PinoGramLogger(opts.log),
    connectionRetries: opts.purpose === 'daemon' ? Infinity : 3,
    retryDelay: 1000,
    timeout: 10,
    requestRetries: 3,
    autoReconnect: true,
    floodSleepThreshold: opts.purpose === 'daemon' ? 60 : 0,
    deviceModel: 'paycue',
    appVersion: 'paycue',
  });
  const gramLog = opts.log.child({ component: 'gramjs' });
  client.onError = async (err: Error) => {
    gramLog.debug({ err }, 'gramjs reported an error');
  };
  return client;
}

/** Parses a saved session string; a corrupt file becomes a clear error instead of a GramJS stack. */
export function parseStringSession(s: string): StringSession {
  try {
    return new StringSession(s);
  } catch {
    throw new TelegramStartError('the saved Telegram session is unreadable (corrupt file); ' + 'run `paycue --telegram` to log in again', 'no-session');
  }
}

/**
 * Stops a connect() that is still retrying. GramJS's connect loop (MTProtoSender.connect)
 * retries `connectionRetries` times (Infinity in the daemon) and nothing, not even destroy(),
 * ends it; a TCP connect still in progress is not closed by disconnect() either (its
 * Connection is not yet marked connected). Left alone, both keep Node alive and keep dialling
 * Telegram after paycue has given up. This reaches into GramJS internals, best effort.
 */
export function abandonConnect(client: unknown): void {
  try {
    const sender = (client as { _sender?: { _retries?: number; _connection?: { socket?: { client?: { destroy?: () => void; unref?: () => void } } } } })._sender;
    if (!sender) return;
    sender._retries = 0;
    const socket = sender._connection?.socket?.client;
    socket?.destroy?.();
    socket?.unref?.();
  } catch {
    /* GramJS internals changed: nothing more we can do */
  }
}

/** connect() bounded in time. GramJS's connect never rejects on network trouble: it retries, or resolves false. */
export async function connectWithTimeout(
  client: { connect(): Promise<boolean | void> },
  ms = DEFAULT_CONNECT_TIMEOUT_MS,
): Promise<void> {
  let ok: boolean | void;
  try {
    ok = await withTimeout(client.connect(), ms, 'connecting to Telegram');
  } catch (err) {
    abandonConnect(client);
    throw err;
  }
  if (ok === false) throw new Error('could not connect to Telegram (all connection attempts failed)');
}
