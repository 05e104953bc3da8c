// Expiry by what has been seen, through the real watcher, the real sweeper and GramJS's own
// update dispatcher: a customer who pays before the deadline is never cancelled, whatever the
// connection events say and however slow or failing the chat reads are.
import { afterEach, describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { _dispatchUpdate } from 'telegram/client/updates.js';
import { UpdateConnectionState } from 'telegram/network/index.js';
import { RPCError } from 'telegram/errors/index.js';
import { humoCreditMessage } from '../../src/bot-messages/compose.js';
import { createLogger } from '../../src/log/logger.js';
import { telegramStarter } from '../../src/daemon/telegram.js';
import { Commands, NotSessionHolderError } from '../../src/redis/commands.js';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis, openRedis, uniquePrefix } from '../helpers/redis.js';
import { APP_HASH, HUMO, RecordedTelegram, privateMessage, removeTempDirs, tempDir } from './helpers.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { startBotApi, TOKEN } from '../helpers/bot-api.js';
import { captureIO } from '../helpers/cli-io.js';
import { runTransactionsCancel } from '../../src/cli/review-commands.js';

afterEach(async () => {
  await stopTestDaemons();
  await closeAllRedis();
  await removeTempDirs();
});

const silent = createLogger({ debug: false, level: 'silent' });

async function daemonWith(client: RecordedTelegram, env: Record<string, string> = {}, prefix = uniquePrefix()): Promise<TestDaemon> {
  const d = await startTestDaemon(
    {
      SANDBOX: 'false', APP_ID: '12345', APP_HASH, WEBHOOK_URL: 'http://127.0.0.1:9/hook', SESSION_DIR: await tempDir(), REDIS_PREFIX: prefix,
      TRANSACTION_TTL: '1500ms', ...env,
    },
    { startWatcher: telegramStarter({ client, deadlineReadGapMs: 100, retryBaseMs: 100, catchUpIntervalMs: 3_600_000 }), sweepIntervalMs: 20 },
  );
  await d.watcherReady;
  return d;
}

const connection = (client: RecordedTelegram, state: number) =>
  _dispatchUpdate(client, { update: new UpdateConnectionState(state) as unknown as Api.TypeUpdate });

const stateOf = async (d: TestDaemon, id: string): Promise<string> => (await d.call(`/transaction/${id}`)).body.data.state;
const decided = (d: TestDaemon, id: string) => waitFor('the transaction to be decided', async () => (await stateOf(d, id)) !== 'pending', { timeoutMs: 15_000 });
const until = async (at: number) => sleep(Math.max(0, at - Date.now()));

/** The bank's message for `tx`, dated now by Telegram's clock, stored in the chat. */
function pay(client: RecordedTelegram, id: number, tx: { amount_tiyin: number }): Api.Message {
  const m = privateMessage(HUMO, id, humoCreditMessage(tx.amount_tiyin, '7159'), { date: client.telegramNow() });
  client.add(HUMO, m);
  return m;
}
const live = (client: RecordedTelegram, m: Api.Message, pts: number) =>
  _dispatchUpdate(client, { update: new Api.UpdateNewMessage({ message: m, pts, ptsCount: 1 }) });

/** Every chat read takes `ms` (the history as it was when the read began). */
function slowReads(client: RecordedTelegram, ms: number): void {
  client.getMessagesImpl = async (peer, params) => {
    const snapshot = (client.history.get(peer) ?? []).filter((m) => m.id > (params.minId ?? 0) && (!params.maxId || m.id < params.maxId));
    await sleep(ms);
    return snapshot.sort((a, b) => b.id - a.id).slice(0, params.limit);
  };
}

/** A daemon watching a bank chat that has one old message, and one order on it. */
async function anOrder(env: Record<string, string> = {}) {
  const client = new RecordedTelegram(silent);
  client.add(HUMO, privateMessage(HUMO, 100, 'an old notification', { date: client.telegramNow() - 60 }));
  const d = await daemonWith(client, env);
  const tx = (await d.call('/create/transaction/', { body: { amount: 20000 } })).body.data;
  return { client, d, tx, deadline: Date.parse(tx.expires_at) };
}

async function trials(n: number, one: (i: number) => Promise<string>): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i += 5) out.push(...(await Promise.all(Array.from({ length: Math.min(5, n - i) }, (_, j) => one(i + j)))));
  return out;
}

describe('a payment made before the deadline is never cancelled', () => {
  it('a live message 300 ms before the deadline, while an 800 ms chat read runs: confirmed, 10 of 10', async () => {
    const outcomes = await trials(10, async () => {
      const { client, d, tx, deadline } = await anOrder();
      slowReads(client, 800);
      await until(deadline - 700);
      await connection(client, UpdateConnectionState.disconnected); // a drop: a read starts
      await connection(client, UpdateConnectionState.connected);
      await until(deadline - 300);
      await live(client, pay(client, 101, tx), 2);
      await decided(d, tx.transaction_id);
      return stateOf(d, tx.transaction_id);
    });
    expect(outcomes).toEqual(Array(10).fill('confirmed'));
  }, 60_000);

  it('a live update lost before the deadline, wake-up `connected` every 100 ms and 800 ms reads: confirmed, 10 of 10', async () => {
    const outcomes = await trials(10, async () => {
      const { client, d, tx, deadline } = await anOrder();
      slowReads(client, 800);
      // GramJS's ping loop: `connected` with no drop before it, over and over.
      const pings = setInterval(() => void connection(client, UpdateConnectionState.connected), 100);
      try {
        await until(deadline - 300);
        pay(client, 101, tx); // in the chat, but GramJS never delivers it
        await decided(d, tx.transaction_id);
      } finally {
        clearInterval(pings);
      }
      return stateOf(d, tx.transaction_id);
    });
    expect(outcomes).toEqual(Array(10).fill('confirmed'));
  }, 60_000);

  it('a drop and a lost live update a moment before the deadline, then failing reads: held, then confirmed, 10 of 10', async () => {
    const outcomes = await trials(10, async () => {
      const { client, d, tx, deadline } = await anOrder();
      await until(deadline - 200);
      await connection(client, UpdateConnectionState.disconnected);
      pay(client, 101, tx);
      let failing = true;
      client.getMessagesImpl = async () => {
        if (failing) throw new RPCError('FLOOD_WAIT_3', new Api.messages.GetHistory({}), 420);
        return undefined;
      };
      await connection(client, UpdateConnectionState.connected);
      // Long after any read could have reached the deadline, had one succeeded.
      await until(deadline + 2500);
      const meanwhile = await stateOf(d, tx.transaction_id);
      failing = false;
      await decided(d, tx.transaction_id);
      return `${meanwhile}/${await stateOf(d, tx.transaction_id)}`;
    });
    expect(outcomes).toEqual(Array(10).fill('pending/confirmed'));
  }, 60_000);
});

describe('the watermark follows the earlier of the two clocks', () => {
  it('Telegram 1.5 s behind, 2 s reads: a payment stored after the deadline but dated before it confirms, 3 of 3', async () => {
    const outcomes = await trials(3, async () => {
      const client = new RecordedTelegram(silent);
      client.clockSkewMs = -1500;
      client.add(HUMO, privateMessage(HUMO, 100, 'an old notification', { date: client.telegramNow() - 60 }));
      const d = await daemonWith(client, { TRANSACTION_TTL: '1s' });
      const tx = (await d.call('/create/transaction/', { body: { amount: 20000 } })).body.data;
      const deadline = Date.parse(tx.expires_at);
      slowReads(client, 2000);
      // A read starts after the deadline by this machine's clock, a moment before the payment
      // reaches the chat: it cannot have seen what Telegram dates before the deadline.
      await until(deadline + 1050);
      await connection(client, UpdateConnectionState.disconnected);
      await connection(client, UpdateConnectionState.connected);
      await until(deadline + 1200);
      const m = pay(client, 101, tx); // lost live; Telegram dates it before the deadline
      expect(m.date * 1000).toBeLessThan(deadline);
      await decided(d, tx.transaction_id);
      return stateOf(d, tx.transaction_id);
    });
    expect(outcomes).toEqual(Array(3).fill('confirmed'));
  }, 60_000);

  it('the cancel script itself refuses an expiry the watermark has not reached, whatever the caller read', async () => {
    const client = new RecordedTelegram(silent);
    client.add(HUMO, privateMessage(HUMO, 100, 'an old notification'));
    const d = await daemonWith(client, { TRANSACTION_TTL: '30m' });
    const tx = (await d.call('/create/transaction/', { body: { amount: 100 } })).body.data;
    const cancel = () =>
      d.ctx.commands.cancel({
        txId: tx.transaction_id, card: '_', idem: '', reason: 'expired', onlyIfDue: true, expiry: d.ctx.rules.expiry, quarantineMs: 60_000, keepMs: 60_000,
      });
    // By the clock the deadline is long past; the watermark (the start-up read) is not.
    d.ctx.clock.offsetMs += 31 * 60_000;
    expect(await cancel()).toBe('not_due');
    expect(await stateOf(d, tx.transaction_id)).toBe('pending');
    // Once a read has seen past the deadline, the same call expires it.
    await d.ctx.redis.hset(d.ctx.keys.cursor, `seen:${HUMO}`, String(Date.parse(tx.expires_at) + 1));
    expect(await cancel()).toBe('cancelled');
  });
});

describe('live messages and reads', () => {
  it('a live message is decided at once while every chat read fails', async () => {
    const client = new RecordedTelegram(silent);
    client.add(HUMO, privateMessage(HUMO, 100, 'an old notification'));
    const d = await daemonWith(client, { TRANSACTION_TTL: '30m' });
    const tx = (await d.call('/create/transaction/', { body: { amount: 30000 } })).body.data;
    client.getMessagesImpl = async () => {
      throw new RPCError('FLOOD_WAIT_30', new Api.messages.GetHistory({}), 420);
    };
    await live(client, pay(client, 101, tx), 2);
    await decided(d, tx.transaction_id);
    expect(await stateOf(d, tx.transaction_id)).toBe('confirmed');
  });

  it('an idle hour of GramJS pings (400 wake-up `connected`) reads nothing; a drop reads once; a gap in pts reads once', async () => {
    const client = new RecordedTelegram(silent);
    client.add(HUMO, privateMessage(HUMO, 100, 'an old notification'));
    const d = await daemonWith(client, { TRANSACTION_TTL: '30m' });
    const reads = () => client.getMessagesCalls.length;
    const metric = async () => Number(/^paycue_telegram_history_reads_total\{bot="humo"\} (\d+)$/m.exec(await (await fetch(`${d.url}/metrics`)).text())?.[1]);
    const atStart = reads();
    expect(atStart).toBeGreaterThan(0);
    for (let i = 0; i < 400; i++) await connection(client, UpdateConnectionState.connected);
    expect(reads()).toBe(atStart);
    expect(await metric()).toBe(atStart);
    expect(client.sent(Api.help.GetConfig).length).toBe(1); // a read asks Telegram's clock; none ran

    await connection(client, UpdateConnectionState.disconnected);
    await connection(client, UpdateConnectionState.connected);
    await waitFor('the read after the drop', () => reads() === atStart + 1);

    // Updates in sequence read nothing; one that skips pts numbers does.
    const gs = client.sent(Api.updates.GetState).length;
    await _dispatchUpdate(client, { update: new Api.UpdateReadHistoryInbox({ peer: new Api.PeerUser({ userId: HUMO as never }), maxId: 100, stillUnreadCount: 0, pts: 2, ptsCount: 1 }) });
    await _dispatchUpdate(client, { update: new Api.UpdateReadHistoryInbox({ peer: new Api.PeerUser({ userId: HUMO as never }), maxId: 100, stillUnreadCount: 0, pts: 3, ptsCount: 1 }) });
    await sleep(100);
    expect(client.sent(Api.updates.GetState).length).toBe(gs);
    await _dispatchUpdate(client, { update: new Api.UpdateReadHistoryInbox({ peer: new Api.PeerUser({ userId: HUMO as never }), maxId: 100, stillUnreadCount: 0, pts: 9, ptsCount: 1 }) });
    await waitFor('the read after the gap', () => reads() === atStart + 2);
    expect(await metric()).toBe(atStart + 2);
  });
});

describe('the watermark', () => {
  it('only the holder of the session lock moves it, never backwards, and only for the cursors\' account', async () => {
    const redis = await openRedis();
    const c = Commands.forPrefix(redis, uniquePrefix());
    await redis.set(c.keys.sessionLock, 'holder-token');
    await c.cursorBind('777', 'holder-token');
    await c.cursorInit(HUMO, 50, { token: 'holder-token', account: '777' });
    const base = { account: '777', botId: HUMO, bots: [HUMO] };
    expect(await c.watermarkAdvance({ ...base, token: 'holder-token', seenThrough: 5000 })).toBe(5000);
    expect(await c.watermarkAdvance({ ...base, token: 'frozen-ex-holder', seenThrough: 9000 })).toBeNull();
    expect(await c.watermarkAdvance({ ...base, token: 'holder-token', account: '888', seenThrough: 9000 })).toBeNull();
    expect(await c.watermarkAdvance({ ...base, token: 'holder-token', seenThrough: 4000 })).toBe(5000);
    expect(await redis.hget(c.keys.cursor, `seen:${HUMO}`)).toBe('5000');
    // The cursor it rests on is fenced the same way: a frozen former holder, maybe of another
    // account, cannot move it over messages this account has not decided.
    await expect(c.cursorAdvance(HUMO, 9000, { token: 'frozen-ex-holder', account: '777' })).rejects.toThrow(NotSessionHolderError);
    await expect(c.cursorAdvance(HUMO, 9000, { token: 'holder-token', account: '888' })).rejects.toThrow(NotSessionHolderError);
    await expect(c.cursorBind('999', 'frozen-ex-holder')).rejects.toThrow(NotSessionHolderError);
    expect(await c.cursorAdvance(HUMO, 60, { token: 'holder-token', account: '777' })).toBe(60);
    // A new account drops the cursors, and with them the watermark: nothing expires blind.
    await c.cursorBind('888', 'holder-token');
    expect(await redis.hget(c.keys.cursor, `seen:${HUMO}`)).toBeNull();
  });

  it('Telegram\'s clock 60 s off: the watermark stays, expiry holds, and resumes once the clocks agree', async () => {
    const client = new RecordedTelegram(silent);
    client.add(HUMO, privateMessage(HUMO, 100, 'an old notification'));
    client.clockSkewMs = 60_000;
    const d = await daemonWith(client, { TRANSACTION_TTL: '300ms' });
    const tx = (await d.call('/create/transaction/', { body: { amount: 100 } })).body.data;
    await until(Date.parse(tx.expires_at) + 500);
    await waitFor('a read after the deadline', () => client.getMessagesCalls.length >= 2);
    expect(await stateOf(d, tx.transaction_id)).toBe('pending');
    expect(await d.ctx.redis.hget(d.ctx.keys.cursor, `seen:${HUMO}`)).toBeNull();
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(Number(/^paycue_telegram_clock_skew_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(58);
    await waitFor('expiry to be reported held', async () => (await d.call('/ready', { auth: false })).body.data.expiry === 'held');
    const ready = await d.call('/ready', { auth: false });
    expect(ready.status).toBe(503);
    expect(ready.body.data).toMatchObject({ telegram: 'degraded', expiry: 'held', watermark_lag_s: null });
    client.clockSkewMs = 0;
    await decided(d, tx.transaction_id);
    expect(await stateOf(d, tx.transaction_id)).toBe('cancelled');
  });

  it('a transaction created before the bot\'s cursor began is held and alerted once, not expired blind; later ones expire', async () => {
    const prefix = uniquePrefix();
    // An API-only daemon takes orders before any watcher has read the bank chat.
    const api = await startTestDaemon({ SANDBOX: 'false', ROLE: 'api', APP_ID: '12345', APP_HASH, WEBHOOK_URL: 'http://127.0.0.1:9/hook', REDIS_PREFIX: prefix, TRANSACTION_TTL: '200ms' });
    const early = (await api.call('/create/transaction/', { body: { amount: 100 } })).body.data;
    const bot = await startBotApi(4242);
    try {
      const client = new RecordedTelegram(silent);
      client.add(HUMO, privateMessage(HUMO, 100, 'an old notification (maybe the early payment)'));
      const d = await startTestDaemon(
        {
          SANDBOX: 'false', APP_ID: '12345', APP_HASH, WEBHOOK_URL: 'http://127.0.0.1:9/hook', SESSION_DIR: await tempDir(), REDIS_PREFIX: prefix,
          TRANSACTION_TTL: '200ms', ALERT_BOT_TOKEN: TOKEN, ALERT_CHAT_ID: '4242', ALERT_API_ROOT: bot.url,
        },
        {
          startWatcher: telegramStarter({ client, deadlineReadGapMs: 100 }), sweepIntervalMs: 20,
          alertTimings: { tickMs: 50, pollSeconds: 1, telegramDownMs: 5000, redisDownMs: 5000, perMinute: 12, burst: 3 },
        },
      );
      await d.watcherReady;
      const later = (await d.call('/create/transaction/', { body: { amount: 100 } })).body.data;
      await decided(d, later.transaction_id);
      expect(await stateOf(d, later.transaction_id)).toBe('cancelled');
      expect(await stateOf(d, early.transaction_id)).toBe('pending');
      expect(await d.ctx.redis.hget(d.ctx.keys.tx(early.transaction_id), 'held')).toBe('unseen');
      const alert = await bot.waitFor('the held alert', () => bot.sent.find((m) => m.text.includes(early.transaction_id)));
      expect(alert.text).toMatch(/^⏸ Not expired: 100\.00 UZS/);
      expect(alert.text).toMatch(/created before paycue began reading the bank chat/);
      expect(alert.text).toContain(`paycue transactions confirm|cancel ${early.transaction_id}`);
      // Swept every 20 ms, alerted once.
      await sleep(300);
      expect(bot.sent.filter((m) => m.text.includes(early.transaction_id))).toHaveLength(1);
      // The merchant settles it by hand after looking at the chat.
      const io = captureIO();
      expect(await runTransactionsCancel(d.config, io.io, early.transaction_id, 'not in the chat')).toBe(0);
      expect((await d.call(`/transaction/${early.transaction_id}`)).body.data).toMatchObject({ state: 'cancelled', cancel_reason: 'cancelled' });
      expect(await runTransactionsCancel(d.config, captureIO().io, early.transaction_id, 'again')).toBe(1);
    } finally {
      await bot.close();
    }
  });
});

describe('PAYMENT_GRACE', () => {
  it('a payment dated after the deadline but within the grace confirms; an unpaid one is cancelled only after deadline + grace', async () => {
    const client = new RecordedTelegram(silent);
    client.add(HUMO, privateMessage(HUMO, 100, 'an old notification'));
    const d = await daemonWith(client, { TRANSACTION_TTL: '500ms', PAYMENT_GRACE: '1500ms' });
    const paid = (await d.call('/create/transaction/', { body: { amount: 100 } })).body.data;
    const unpaid = (await d.call('/create/transaction/', { body: { amount: 100 } })).body.data;
    await until(Date.parse(paid.expires_at) + 400);
    pay(client, 101, paid); // the bank was slow: dated after the deadline, lost live
    await decided(d, paid.transaction_id);
    await decided(d, unpaid.transaction_id);
    expect(await stateOf(d, paid.transaction_id)).toBe('confirmed');
    const cancelled = (await d.call(`/transaction/${unpaid.transaction_id}`)).body.data;
    expect(cancelled.state).toBe('cancelled');
    expect(Date.parse(cancelled.cancelled_at)).toBeGreaterThanOrEqual(Date.parse(cancelled.expires_at) + 1500);
  });
});
