// Builds the one kind of GramJS client paycue uses: a StringSession, pino logging, and
// connection settings that suit the caller.
//  - daemon: connectionRetries stays Infinity (GramJS's real default; with a finite value
//    a failed reconnect leaves the client "connected" with requests that hang forever),
//    short flood waits (<= 60 s) are slept through by GramJS.
//  - cli: a few connection attempts only, and every flood wait is reported to the user
//    instead of being slept through silently.
// Callers still bound connect() and every request with withTimeout.
import { Api, TelegramClient } from 'telegram';
import { Raw } from 'telegram/events/index.js';
import { StringSession } from 'telegram/sessions/index.js';
import type { QrLoginClient } from './qr-login.js';
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

/** Parses a saved session string; a corrupt one becomes a clear error (never quoting it) instead of a GramJS stack. */
export function parseStringSession(s: string, from: 'file' | 'TELEGRAM_SESSION' = 'file'): StringSession {
  try {
    return new StringSession(s);
  } catch {
    throw new TelegramStartError(
      from === 'file'
        ? 'the saved Telegram session is unreadable (corrupt file); run `paycue --telegram` to log in again'
        : 'TELEGRAM_SESSION is not a usable Telegram session; set it to what `paycue telegram export-session` prints',
      'no-session',
    );
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

/**
 * A client for the QR login: updateLoginToken as a callback, and the move to another data centre
 * that auth.loginTokenMigrateTo asks for. That move is GramJS's own (_switchDC, what its QR login
 * calls: a new auth key on the new DC, the session pointed at it); it is internal, hence typed here.
 */
export function qrLoginClient(client: TelegramClient): TelegramClient & QrLoginClient {
  return Object.assign(client, {
    onLoginToken(listener: () => void): () => void {
      const event = new Raw({ types: [Api.UpdateLoginToken] });
      const handler = () => listener();
      client.addEventHandler(handler, event);
      return () => client.removeEventHandler(handler, event);
    },
    async switchDc(dcId: number): Promise<void> {
      await (client as unknown as { _switchDC(dc: number): Promise<unknown> })._switchDC(dcId);
    },
  });
}
