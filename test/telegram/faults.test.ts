// Telegram faults that used to leave the daemon stuck or slow to react, produced through the
// client boundary (GramJS's own types and errors) against the real daemon: a stale access hash,
// a session revoked mid-read, reads failing for long, a lost session lock while a read hangs, and
// a daemon still connecting.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { returnBigInt } from 'telegram/Helpers.js';
import { _dispatchUpdate } from 'telegram/client/updates.js';
import { UpdateConnectionState } from 'telegram/network/index.js';
import { RPCError } from 'telegram/errors/index.js';
import { humoCreditMessage } from '../../src/bot-messages/compose.js';
import { telegramStarter } from '../../src/daemon/telegram.js';
import { collectStatus } from '../../src/cli/status-command.js';
import { PEERS_FILE } from '../../src/telegram/session-store.js';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis, uniquePrefix } from '../helpers/redis.js';
import { startBotApi, TOKEN } from '../helpers/bot-api.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { APP_HASH, HUMO, RecordedTelegram, botUser, captureLog, privateMessage, removeTempDirs, tempDir } from './helpers.js';

afterEach(async () => {
  await stopTestDaemons();
  await closeAllRedis();
  await removeTempDirs();
});

const BASE = { SANDBOX: 'false', APP_ID: '12345', APP_HASH, WEBHOOK_URL: 'http://127.0.0.1:9/hook', TRANSACTION_TTL: '30m' };
const drop = async (client: RecordedTelegram) => {
  await _dispatchUpdate(client, { update: new UpdateConnectionState(UpdateConnectionState.disconnected) as unknown as Api.TypeUpdate });
  await _dispatchUpdate(client, { update: new UpdateConnectionState(UpdateConnectionState.connected) as unknown as Api.TypeUpdate });
};
const ready = async (d: TestDaemon) => d.call('/ready', { auth: false });

describe('Telegram faults', () => {
  it('a stale cached access hash (PEER_ID_INVALID) is resolved again and the cache rewritten; the waiting payment confirms', async () => {
    const client = new RecordedTelegram(captureLog().log);
    client.add(HUMO, privateMessage(HUMO, 100, 'an old notification'));
    // Telegram accepts only the bot's current access hash.
    client.getMessagesImpl = (_peer, _params, entity) => {
      const current = client.bots.get('HUMOcardbot')!.accessHash!.toString();
      if (entity.accessHash.toString() !== current) throw new RPCError('PEER_ID_INVALID', new Api.messages.GetHistory({}), 400);
      return undefined;
    };
    const sessionDir = await tempDir();
    const d = await startTestDaemon({ ...BASE, SESSION_DIR: sessionDir, REDIS_PREFIX: uniquePrefix() }, { startWatcher: telegramStarter({ client, retryBaseMs: 100 }) });
    await d.watcherReady;
    expect(client.sent(Api.contacts.ResolveUsername)).toHaveLength(1);
    // The hash this account knows changes (a re-login elsewhere); the customer pays, lost live.
    client.bots.set('HUMOcardbot', new Api.User({ ...botUser(HUMO, { username: 'HUMOcardbot' }), accessHash: returnBigInt(99_999) }) as Api.User);
    const tx = (await d.call('/create/transaction/', { body: { amount: 20000 } })).body.data;
    client.add(HUMO, privateMessage(HUMO, 101, humoCreditMessage(tx.amount_tiyin, '7159')));
    await drop(client);
    await waitFor('the payment to confirm', async () => (await d.call(`/transaction/${tx.transaction_id}`)).body.data.state === 'confirmed');
    expect(client.sent(Api.contacts.ResolveUsername)).toHaveLength(2);
    const cache = JSON.parse(await readFile(join(sessionDir, PEERS_FILE), 'utf8'));
    expect(cache.peers[String(HUMO)].accessHash).toBe('99999');
    expect((await ready(d)).body.data.telegram).toBe('up');
  });

  it('AUTH_KEY_UNREGISTERED in a chat read stops the daemon at once: exit 2, a message naming paycue --telegram', async () => {
    const client = new RecordedTelegram(captureLog().log);
    client.add(HUMO, privateMessage(HUMO, 100, 'an old notification'));
    const d = await startTestDaemon({ ...BASE, SESSION_DIR: await tempDir(), REDIS_PREFIX: uniquePrefix() }, { startWatcher: telegramStarter({ client }) });
    await d.watcherReady;
    client.getMessagesImpl = () => {
      throw new RPCError('AUTH_KEY_UNREGISTERED', new Api.messages.GetHistory({}), 401);
    };
    await drop(client);
    // The watchdog would have taken minutes (its interval is 2 min); this comes from the read.
    const fatal = await d.fatal;
    expect(fatal.exitCode).toBe(2);
    expect(fatal.reason).toMatch(/no longer valid \(AUTH_KEY_UNREGISTERED\); run `paycue --telegram`/);
    expect(client.sent(Api.updates.GetState).length).toBeLessThanOrEqual(2); // start-up read and this one: no watchdog round
  });

  it('a forgotten auth key (GramJS reports the connection `broken`, only for -404) stops the daemon at once: exit 2, log in again', async () => {
    const client = new RecordedTelegram(captureLog().log);
    client.add(HUMO, privateMessage(HUMO, 100, 'an old notification'));
    const d = await startTestDaemon({ ...BASE, SESSION_DIR: await tempDir(), REDIS_PREFIX: uniquePrefix() }, { startWatcher: telegramStarter({ client }) });
    await d.watcherReady;
    await _dispatchUpdate(client, { update: new UpdateConnectionState(UpdateConnectionState.broken) as unknown as Api.TypeUpdate });
    const fatal = await d.fatal;
    expect(fatal.exitCode).toBe(2);
    expect(fatal.reason).toMatch(/no longer knows this session's auth key \(-404\); run `paycue --telegram`/);
  });

  it('chat reads failing for longer than the limit: /ready says degraded (503), one alert, the log says what to do; recovery too', async () => {
    const bot = await startBotApi(4242);
    try {
      const log = captureLog();
      const client = new RecordedTelegram(log.log);
      client.add(HUMO, privateMessage(HUMO, 100, 'an old notification'));
      const d = await startTestDaemon(
        { ...BASE, SESSION_DIR: await tempDir(), REDIS_PREFIX: uniquePrefix(), ALERT_BOT_TOKEN: TOKEN, ALERT_CHAT_ID: '4242', ALERT_API_ROOT: bot.url },
        {
          log: log.log,
          startWatcher: telegramStarter({ client, retryBaseMs: 50, degradedAfterMs: 300 }),
          alertTimings: { tickMs: 50, pollSeconds: 1, telegramDownMs: 60_000, redisDownMs: 60_000, perMinute: 12, burst: 3 },
        },
      );
      await d.watcherReady;
      let failing = true;
      client.getMessagesImpl = () => {
        if (failing) throw new RPCError('FLOOD_WAIT_3', new Api.messages.GetHistory({}), 420);
        return undefined;
      };
      await drop(client);
      await waitFor('telegram degraded', async () => (await ready(d)).body.data.telegram === 'degraded');
      expect((await ready(d)).status).toBe(503);
      const alert = await bot.waitFor('the degraded alert', () => bot.sent.find((m) => /Telegram degraded/.test(m.text)));
      expect(alert.text).toMatch(/reading the bank chats has failed for \d+ s: payments are confirmed only from live messages and expiry holds/);
      expect(log.text()).toMatch(/"msg":"telegram degraded"/);
      failing = false;
      await waitFor('telegram up again', async () => (await ready(d)).body.data.telegram === 'up');
      await bot.waitFor('the recovery alert', () => bot.sent.find((m) => /works again/.test(m.text)));
      expect(bot.sent.filter((m) => /Telegram degraded/.test(m.text))).toHaveLength(1);
    } finally {
      await bot.close();
    }
  });

  it('a daemon that lost its session lock while a chat read hangs stops within its shutdown deadline', async () => {
    const log = captureLog();
    const client = new RecordedTelegram(log.log);
    client.add(HUMO, privateMessage(HUMO, 100, 'an old notification'));
    const prefix = uniquePrefix();
    const d = await startTestDaemon(
      { ...BASE, SESSION_DIR: await tempDir(), REDIS_PREFIX: prefix },
      { log: log.log, startWatcher: telegramStarter({ client, lockRenewMs: 50 }) },
    );
    await d.watcherReady;
    client.getMessagesImpl = () => new Promise(() => undefined); // Telegram never answers this read
    await drop(client);
    await waitFor('the hanging read', () => client.getMessagesCalls.length >= 2);
    await d.ctx.redis.set(d.ctx.keys.sessionLock, 'otherhost|1|x|y'); // another process has the session now
    const fatal = await d.fatal;
    expect(fatal).toMatchObject({ exitCode: 1 });
    expect(fatal.reason).toMatch(/lock was taken by host otherhost/);
    const deadline = 2000;
    const outcome = await Promise.race([d.stop(deadline).then(() => 'stopped'), sleep(deadline).then(() => 'past its deadline')]);
    expect(outcome).toBe('stopped');
    expect(client.destroyed).toBe(true);
    expect(log.text()).not.toMatch(/stopping without waiting|did not finish within/);
  });

  it('while the only daemon is still connecting, /ready says connecting (not standby) and paycue status that it runs', async () => {
    const client = new RecordedTelegram(captureLog().log);
    client.connectImpl = () => new Promise<boolean>(() => undefined); // connecting takes long
    const d = await startTestDaemon({ ...BASE, SESSION_DIR: await tempDir(), REDIS_PREFIX: uniquePrefix() }, { startWatcher: telegramStarter({ client }) });
    await waitFor('connect() to be called', () => client.connectCalls > 0);
    const r = await ready(d);
    expect(r.status).toBe(503);
    expect(r.body.data).toMatchObject({ telegram: 'connecting', watcher: 'connecting' });
    await waitFor('the heartbeat', async () => (await d.ctx.commands.daemonStatus()) !== null);
    const report = await collectStatus(d.config);
    expect(report.daemon.running).toBe(true);
    expect(report.telegram).toMatchObject({ state: 'connecting' });
    expect(report.problems.join('\n')).not.toMatch(/NOT RUNNING|no daemon/);
  });
});
