// A hot standby (issue #13): two ROLE=all daemons on one prefix, each with its own (recorded)
// Telegram client. Only the lock's holder connects; the other serves the API and, once the
// holder dies without releasing the lock, takes the watcher over within TELEGRAM_TAKEOVER and
// catches up from the cursor, so every credit is confirmed exactly once.
import { afterAll, describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { _dispatchUpdate } from 'telegram/client/updates.js';
import { humoCreditMessage } from '../../src/bot-messages/compose.js';
import { createLogger } from '../../src/log/logger.js';
import { telegramStarter } from '../../src/daemon/telegram.js';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis, uniquePrefix } from '../helpers/redis.js';
import { startReceiver } from '../helpers/receiver.js';
import { waitFor, webhooksSettled } from '../helpers/wait.js';
import { APP_HASH, HUMO, RecordedTelegram, privateMessage, removeTempDirs, tempDir } from './helpers.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
  await removeTempDirs();
});

const silent = createLogger({ debug: false, level: 'silent' });
const TAKEOVER_MS = 3000;

const ready = async (d: TestDaemon) => (await d.call('/ready', { auth: false })).body.data;
const held = async (d: TestDaemon) => /^paycue_telegram_watcher_held (\d)$/m.exec(await (await fetch(`${d.url}/metrics`)).text())?.[1];

describe('ROLE=all standby', () => {
  it('takes the watcher over from a dead holder and confirms every credit exactly once', async () => {
    const receiver = await startReceiver();
    try {
      const env = {
        SANDBOX: 'false', APP_ID: '12345', APP_HASH, ROLE: 'all', TELEGRAM_TAKEOVER: `${TAKEOVER_MS}ms`,
        WEBHOOK_URL: receiver.url, SESSION_DIR: await tempDir(), REDIS_PREFIX: uniquePrefix(),
      };
      const clients = [new RecordedTelegram(silent), new RecordedTelegram(silent)] as const;
      // One bank chat, seen by whichever client is connected.
      let nextId = 100;
      const bankSays = (text: string) => {
        const m = privateMessage(HUMO, nextId++, text, { date: Math.floor(Date.now() / 1000) });
        for (const c of clients) c.add(HUMO, m);
        return m;
      };
      bankSays('an old notification');
      const holder = await startTestDaemon(env, { startWatcher: telegramStarter({ client: clients[0] }) });
      await holder.watcherReady;
      const standby = await startTestDaemon(env, { startWatcher: telegramStarter({ client: clients[1] }) });
      await waitFor('the second daemon to be a standby', async () => (await ready(standby)).watcher === 'standby');
      // Standing by is serving: systemd's readiness (and anything else waiting on it) must not wait for a takeover.
      await standby.serving;
      expect((await ready(standby)).watcher).toBe('standby');
      // A standby serves the API (ready for a load balancer) and never connects to Telegram.
      expect((await standby.call('/ready', { auth: false })).status).toBe(200);
      expect(await ready(standby)).toMatchObject({ telegram: 'standby', watcher: 'standby', role: 'all' });
      expect(await ready(holder)).toMatchObject({ telegram: 'up', watcher: 'held', role: 'all' });
      expect([await held(holder), await held(standby)]).toEqual(['1', '0']);
      // The holder knows a standby waits: cut off from Redis, it would let the session go in time.
      expect(await holder.ctx.commands.standbyPresent()).toBe(true);
      // `paycue status` reads the holder's heartbeat; a standby neither overwrites it ("Telegram
      // disconnected") nor reports the watcher's gauges as its own.
      expect(await standby.ctx.commands.daemonStatus()).toMatchObject({ telegramConnected: true, expiryHeld: false });
      const standbyMetrics = await (await fetch(`${standby.url}/metrics`)).text();
      expect(standbyMetrics).toMatch(/^paycue_telegram_connected NaN$/im); // prom-client writes "Nan"
      // Expiry is decided by the watermark in Redis: every daemon reports the same.
      expect(standbyMetrics).toMatch(/^paycue_expiry_held 0$/m);
      expect(await (await fetch(`${holder.url}/metrics`)).text()).toMatch(/^paycue_telegram_connected 1$/m);
      expect(clients[1].connectCalls).toBe(0);

      const txs = [];
      for (let i = 0; i < 9; i++) txs.push((await standby.call('/create/transaction/', { body: { amount: 20000 } })).body.data);
      // Three credits while the holder watches (live updates).
      let pts = 1;
      for (const tx of txs.slice(0, 3)) {
        const m = bankSays(humoCreditMessage(tx.amount_tiyin, '7159'));
        await _dispatchUpdate(clients[0], { update: new Api.UpdateNewMessage({ message: m, pts: pts++, ptsCount: 1 }) });
      }
      await receiver.waitFor(3);

      // The holder dies without releasing its lock: a token that is no longer its own stays for
      // one lease, as a killed process's would.
      const lease = Math.floor((TAKEOVER_MS * 2) / 3);
      await holder.ctx.redis.set(holder.ctx.keys.sessionLock, 'gone-host|1|dead|', 'PX', lease);
      const died = Date.now();
      await holder.stop(2000);
      // Three credits while nobody watches: read from the cursor by the new holder.
      for (const tx of txs.slice(3, 6)) bankSays(humoCreditMessage(tx.amount_tiyin, '7159'));
      await waitFor('the standby to hold the watcher', async () => (await ready(standby)).watcher === 'held', { timeoutMs: TAKEOVER_MS + 2000 });
      expect(Date.now() - died).toBeLessThanOrEqual(TAKEOVER_MS + 1000);
      expect(clients[1].connectCalls).toBe(1);
      expect(await held(standby)).toBe('1');
      // And three live ones after the takeover.
      for (const tx of txs.slice(6)) {
        const m = bankSays(humoCreditMessage(tx.amount_tiyin, '7159'));
        await _dispatchUpdate(clients[1], { update: new Api.UpdateNewMessage({ message: m, pts: pts++, ptsCount: 1 }) });
      }
      await receiver.waitFor(9);
      await webhooksSettled(standby.ctx);
      const confirms = receiver.received.filter((r) => r.json.action === 'confirm').map((r) => r.json.transaction_id);
      expect(confirms.sort()).toEqual(txs.map((t) => t.transaction_id).sort());
      for (const tx of txs) expect((await standby.call(`/transaction/${tx.transaction_id}`)).body.data.state).toBe('confirmed');
    } finally {
      await receiver.close();
    }
  }, 40_000);

  it('ROLE=api serves the API without Telegram and without a session', async () => {
    const d = await startTestDaemon({ SANDBOX: 'false', APP_ID: '12345', APP_HASH, ROLE: 'api', WEBHOOK_URL: 'http://127.0.0.1:9/hook', SESSION_DIR: '/nonexistent/paycue' }, { startWatcher: telegramStarter() });
    expect((await d.call('/ready', { auth: false })).status).toBe(200);
    expect(await ready(d)).toMatchObject({ telegram: 'disabled', role: 'api' });
    expect((await d.call('/create/transaction/', { body: { amount: 1000 } })).status).toBe(200);
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(metrics).toMatch(/^paycue_role\{role="api"\} 1$/m);
    expect(metrics).not.toMatch(/^paycue_telegram_connected /m); // nothing here watches Telegram
    expect(metrics).toMatch(/^paycue_expiry_held 0$/m); // but it sweeps, by the watermark in Redis
    expect(await d.ctx.commands.daemonStatus()).toBeNull(); // nor says it does
  });
});
