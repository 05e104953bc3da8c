import { expect } from 'vitest';
// Real GramJS clients pointed at a test server, for tests of the server itself and of paycue.
import { TelegramClient } from 'telegram';
import { StringSession } from 'telegram/sessions/index.js';
import { createLogger } from '../../src/log/logger.js';
import { PinoGramLogger } from '../../src/telegram/gramjs-logger.js';
import { TELEGRAM_PORT, TEST_APP_HASH, TEST_APP_ID, type TelegramTestServer } from './server.js';

const clients: TelegramClient[] = [];

/** A TelegramClient on `session` ('' for a fresh one) that dials the test server. */
export function gramClient(server: TelegramTestServer, session = '', opts: { retries?: number; floodSleepThreshold?: number } = {}): TelegramClient {
  server.trustKey();
  const s = new StringSession(session);
  s.setDC(2, server.dcIp, TELEGRAM_PORT);
  const client = new TelegramClient(s, TEST_APP_ID, TEST_APP_HASH, {
    baseLogger: new PinoGramLogger(createLogger({ debug: false, level: process.env.TEST_LOG ?? 'silent' })),
    connectionRetries: opts.retries ?? 3,
    retryDelay: 100,
    ...(opts.floodSleepThreshold !== undefined ? { floodSleepThreshold: opts.floodSleepThreshold } : {}),
  });
  clients.push(client);
  return client;
}

/** Destroys every client made by gramClient. */
export async function destroyClients(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.destroy().catch(() => undefined)));
}

/** Closes every client, then every server a test opened; a server that hit an error in its own
 * code fails the test (instead of passing it off as a Telegram error). */
export async function closeAll(servers: TelegramTestServer[]): Promise<void> {
  await destroyClients();
  const closing = servers.splice(0);
  await Promise.all(closing.map((s) => s.close()));
  expect(closing.flatMap((s) => s.internalErrors)).toEqual([]);
}
