// The money invariant of expiry, over generated interleavings against the real components (two
// daemons sharing one Redis, the real watcher and sweepers, GramJS's own dispatcher): live
// messages before and after the deadline, lost live updates, bank delays, drops, GramJS's
// wake-up `connected` events, chat reads of random latency (0–2 s) and failures, Telegram's
// clock skewed within the bound, sweeps on both daemons.
//   No transaction paid by a message dated before deadline + PAYMENT_GRACE ends cancelled;
//   every unpaid one is eventually cancelled.
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Api } from 'telegram';
import { _dispatchUpdate } from 'telegram/client/updates.js';
import { UpdateConnectionState } from 'telegram/network/index.js';
import { RPCError } from 'telegram/errors/index.js';
import { humoCreditMessage } from '../../src/bot-messages/compose.js';
import { createLogger } from '../../src/log/logger.js';
import { telegramStarter } from '../../src/daemon/telegram.js';
import { startTestDaemon, stopTestDaemons, type TestDaemon } from '../helpers/daemon.js';
import { closeAllRedis, uniquePrefix } from '../helpers/redis.js';
import { APP_HASH, HUMO, RecordedTelegram, privateMessage, removeTempDirs, tempDir } from './helpers.js';
import { sleep, waitFor } from '../helpers/wait.js';

afterEach(async () => {
  await stopTestDaemons();
  await closeAllRedis();
  await removeTempDirs();
});

const silent = createLogger({ debug: false, level: 'silent' });
const TTL_MS = 1000;

type Happening =
  | { at: number; kind: 'drop' | 'wakeup' | 'reads_fail' | 'reads_work' };

interface Scenario {
  skewMs: number;
  graceMs: number;
  /** Per transaction: when its payment reaches Telegram, relative to its deadline (null: unpaid);
   * whether GramJS loses the live update. */
  payments: { storedAt: number | null; lostLive: boolean }[];
  happenings: Happening[];
  /** Latency of each chat read in turn (cycled). */
  readLatencies: number[];
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  skewMs: fc.integer({ min: -2500, max: 2500 }),
  graceMs: fc.constantFrom(0, 400, 1000),
  payments: fc.array(
    fc.record({
      // From well before the deadline to past deadline + grace: a bank delay is a later storedAt.
      storedAt: fc.option(fc.integer({ min: -900, max: 1800 }), { freq: 3 }),
      lostLive: fc.boolean(),
    }),
    { minLength: 3, maxLength: 5 },
  ),
  happenings: fc.array(
    fc.record({ at: fc.integer({ min: -900, max: 2000 }), kind: fc.constantFrom('drop' as const, 'wakeup' as const, 'reads_fail' as const, 'reads_work' as const) }),
    { maxLength: 8 },
  ),
  readLatencies: fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 6 }),
});

async function run(s: Scenario): Promise<void> {
  const prefix = uniquePrefix();
  const client = new RecordedTelegram(silent);
  client.clockSkewMs = s.skewMs;
  client.add(HUMO, privateMessage(HUMO, 100, 'an old notification', { date: client.telegramNow() - 60 }));
  const env = {
    SANDBOX: 'false', APP_ID: '12345', APP_HASH, WEBHOOK_URL: 'http://127.0.0.1:9/hook', REDIS_PREFIX: prefix,
    TRANSACTION_TTL: `${TTL_MS}ms`, PAYMENT_GRACE: `${s.graceMs}ms`,
  };
  const holder: TestDaemon = await startTestDaemon(
    { ...env, SESSION_DIR: await tempDir() },
    { startWatcher: telegramStarter({ client, deadlineReadGapMs: 100, retryBaseMs: 100, catchUpIntervalMs: 3_600_000 }), sweepIntervalMs: 25 },
  );
  await holder.watcherReady;
  const api = await startTestDaemon({ ...env, ROLE: 'api' }, { sweepIntervalMs: 25 });

  let failing = false;
  let read = 0;
  client.getMessagesImpl = async (peer, params) => {
    const latency = s.readLatencies[read++ % s.readLatencies.length] as number;
    if (failing) {
      await sleep(latency);
      throw new RPCError('FLOOD_WAIT_3', new Api.messages.GetHistory({}), 420);
    }
    const snapshot = (client.history.get(peer) ?? []).filter((m) => m.id > (params.minId ?? 0) && (!params.maxId || m.id < params.maxId));
    await sleep(latency);
    return snapshot.sort((a, b) => b.id - a.id).slice(0, params.limit);
  };

  // Orders alternate between the two daemons; the first deadline is the time origin.
  const txs: { transaction_id: string; amount_tiyin: number; expires_at: string }[] = [];
  for (const [i] of s.payments.entries()) txs.push((await (i % 2 ? api : holder).call('/create/transaction/', { body: { amount: 20000 } })).body.data);
  const origin = Date.parse(txs[0]!.expires_at);

  let nextId = 101;
  let pts = 1;
  const dated: (number | null)[] = s.payments.map(() => null);
  const steps: { at: number; act: () => Promise<void> }[] = [];
  s.payments.forEach((p, i) => {
    if (p.storedAt === null) return;
    const deadline = Date.parse(txs[i]!.expires_at);
    steps.push({
      at: deadline + p.storedAt,
      act: async () => {
        const m = privateMessage(HUMO, nextId++, humoCreditMessage(txs[i]!.amount_tiyin, '7159'), { date: client.telegramNow() });
        client.add(HUMO, m);
        dated[i] = m.date * 1000;
        if (!p.lostLive) await _dispatchUpdate(client, { update: new Api.UpdateNewMessage({ message: m, pts: ++pts, ptsCount: 1 }) });
      },
    });
  });
  const connection = (state: number) => _dispatchUpdate(client, { update: new UpdateConnectionState(state) as unknown as Api.TypeUpdate });
  for (const h of s.happenings) {
    steps.push({
      at: origin + h.at,
      act: async () => {
        if (h.kind === 'drop') {
          await connection(UpdateConnectionState.disconnected);
          await connection(UpdateConnectionState.connected);
        } else if (h.kind === 'wakeup') await connection(UpdateConnectionState.connected);
        else failing = h.kind === 'reads_fail';
      },
    });
  }
  steps.sort((a, b) => a.at - b.at);
  for (const step of steps) {
    await sleep(Math.max(0, step.at - Date.now()));
    await step.act();
  }
  failing = false; // reads work in the end: every unpaid one must then be cancelled

  const stateOf = async (id: string) => (await holder.call(`/transaction/${id}`)).body.data.state as string;
  await waitFor('every transaction to be decided', async () => (await Promise.all(txs.map((t) => stateOf(t.transaction_id)))).every((st) => st !== 'pending'), {
    timeoutMs: 20_000,
  });
  for (const [i, t] of txs.entries()) {
    const state = await stateOf(t.transaction_id);
    const date = dated[i] ?? null;
    const deadline = Date.parse(t.expires_at);
    const what = `tx ${i} (deadline +${deadline - origin} ms, message dated ${date === null ? 'never' : `${date - deadline} ms after the deadline`})`;
    if (date === null) expect(state, what).toBe('cancelled');
    else if (date < deadline + s.graceMs) expect(state, what).toBe('confirmed');
  }
  await stopTestDaemons();
}

describe('expiry by what has been seen, over generated interleavings', () => {
  it('no transaction paid by a message dated before deadline + PAYMENT_GRACE ends cancelled; every unpaid one is cancelled', async () => {
    await fc.assert(fc.asyncProperty(scenario, run), {
      numRuns: Number(process.env.PAYCUE_PROPERTY_RUNS ?? 4),
      // Each run takes seconds of real time: report the failing case as generated, unshrunk.
      endOnFailure: true,
    });
  }, 300_000);
});
