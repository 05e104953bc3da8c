// paycue against the test Telegram (test/mtproto-server): a server with the merchant's account,
// a saved session for it in a SESSION_DIR (as `paycue --telegram` leaves it), and the
// environment that points paycue there. GramJS talks to the server over real sockets.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { saveSession } from '../../src/telegram/session-store.js';
import { TEST_DC_VARIABLE, TEST_KEY_VARIABLE } from '../../src/telegram/test-telegram.js';
import { HUMO_BOT, TelegramTestServer, TEST_APP_HASH, TEST_APP_ID, type Account } from '../mtproto-server/index.js';
import { tempDir } from './helpers.js';

export const MERCHANT_PHONE = '+998901234567';

export interface LiveTelegram {
  tg: TelegramTestServer;
  merchant: Account;
  sessionDir: string;
  /** What paycue needs to watch Telegram there (no SANDBOX). */
  env: Record<string, string>;
}

const servers: TelegramTestServer[] = [];

/**
 * A test Telegram with the merchant's account. By default the HUMO chat already holds an old
 * notification (so the first start's cursor is there) and a session is saved in SESSION_DIR.
 */
export async function liveTelegram(opts: { loggedIn?: boolean; oldNotification?: boolean; clockSkewMs?: number; password?: import('../mtproto-server/index.js').SrpServer } = {}): Promise<LiveTelegram> {
  const tg = await TelegramTestServer.start(opts.clockSkewMs !== undefined ? { clockSkewMs: opts.clockSkewMs } : {});
  servers.push(tg);
  // A fresh login in this process (the in-process CLI) must trust the server's key.
  tg.trustKey();
  const merchant = tg.addAccount({ phone: MERCHANT_PHONE, firstName: 'Kassa', username: 'kassa_uz', ...(opts.password ? { password: opts.password } : {}) });
  if (opts.oldNotification ?? true) tg.botSends(merchant, HUMO_BOT, 'an old notification', { date: Math.floor(tg.now() / 1000) - 86_400 });
  const sessionDir = join(await tempDir(), 'sessions');
  if (opts.loggedIn ?? true) await saveSession(sessionDir, await tg.sessionFor(merchant));
  return { tg, merchant, sessionDir, env: { SANDBOX: 'false', APP_ID: String(TEST_APP_ID), APP_HASH: TEST_APP_HASH, SESSION_DIR: sessionDir } };
}

/** The environment a paycue child process needs to dial the server (tests only: NODE_ENV=test). */
export async function childEnv(live: LiveTelegram): Promise<Record<string, string>> {
  const keyFile = join(await tempDir(), 'telegram-test-key.pem');
  await writeFile(keyFile, live.tg.rsa.publicPem);
  return { ...live.env, NODE_ENV: 'test', [TEST_DC_VARIABLE]: live.tg.dcIp, [TEST_KEY_VARIABLE]: keyFile };
}

/** Closes the servers; fails the test if paycue called a method the server does not implement,
 * or the server failed internally (either answer is an error Telegram would not give). */
export async function closeLiveTelegrams(): Promise<void> {
  const closing = servers.splice(0);
  await Promise.all(closing.map((s) => s.close()));
  const broken = closing.flatMap((s) => s.internalErrors);
  if (broken.length) throw new Error(`the test Telegram failed internally:\n${broken.join('\n')}`);
  const unsupported = closing.flatMap((s) => s.unsupported);
  if (unsupported.length) throw new Error(`paycue called methods the test Telegram does not implement: ${[...new Set(unsupported)].join(', ')}`);
}
