// A create + credit workload against a running daemon while something happens to its Redis, and
// the checks that nothing acknowledged was lost: the figures issue #13 asks for.
import { expect } from 'vitest';
import type { TestDaemon } from '../helpers/daemon.js';
import type { Receiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait.js';

export interface Workload {
  /** Transactions whose create answered 200. */
  acked: { id: string; amount: number }[];
  /** Transactions a credit answered 200 for (matched, or already processed by an earlier try). */
  credited: Set<string>;
  /** Credits not yet answered 200: the bank's message is read again after the switch. */
  unanswered: Map<string, number>;
  /** Transactions a manual confirm was acknowledged for (200, or 409 "already confirmed"). */
  confirmedByHand: Set<string>;
  /** Manual confirms not yet acknowledged: asked again after the switch. */
  unconfirmed: Set<string>;
  /** HTTP status → count, over every create and credit. */
  statuses: Map<number, number>;
  /** When each create was answered 200 (performance.now()), for the unavailability figures. */
  okTimes: number[];
  stop(): Promise<void>;
}

/** The longest time without an acknowledged create that overlaps [from, to] (ms): how long
 * creates were unavailable around something that happened then. */
export function unavailableMs(w: Workload, from: number, to: number): number {
  const t = [...w.okTimes].sort((a, b) => a - b);
  let worst = 0;
  for (let i = 1; i < t.length; i++) {
    const a = t[i - 1] as number;
    const b = t[i] as number;
    if (b >= from && a <= to) worst = Math.max(worst, b - a);
  }
  return worst;
}

/** Runs `workers` loops of create-then-credit-the-previous until stop(); with `byHand`, a third
 * of the transactions is confirmed by hand (POST /transaction/:id/confirm) instead. */
export function startWorkload(d: TestDaemon, workers = 4, o: { byHand?: boolean } = {}): Workload {
  const w: Workload = {
    acked: [], credited: new Set(), unanswered: new Map(), confirmedByHand: new Set(), unconfirmed: new Set(), statuses: new Map(), okTimes: [], stop: async () => undefined,
  };
  let running = true;
  const count = (s: number) => w.statuses.set(s, (w.statuses.get(s) ?? 0) + 1);
  const credit = async (id: string, amount: number) => {
    const r = await d.call('/sandbox/credit', { body: { amount, message_id: `m-${id}` } });
    count(r.status);
    if (r.status === 200) {
      w.unanswered.delete(id);
      w.credited.add(id);
    } else w.unanswered.set(id, amount);
  };
  const confirm = async (id: string) => {
    const r = await d.call(`/transaction/${id}/confirm`, { body: { reason: 'chaos test' } });
    count(r.status);
    // 409 "no longer pending (confirmed)": an earlier try that was not acknowledged did it.
    if (r.status === 200 || (r.status === 409 && /\(confirmed\)/.test(r.body.data.detail))) {
      w.unconfirmed.delete(id);
      w.confirmedByHand.add(id);
    } else w.unconfirmed.add(id);
  };
  const loop = async (n: number) => {
    for (let i = 0; running; i++) {
      const r = await d.call('/create/transaction/', { body: { amount: 1000 * (1 + Math.floor(Math.random() * 900)) } }).catch(() => ({ status: 0, body: null }));
      count(r.status);
      if (r.status === 200) {
        w.okTimes.push(performance.now());
        const tx = { id: r.body.data.transaction_id as string, amount: r.body.data.amount as number };
        w.acked.push(tx);
        // Every other transaction is paid right away (with byHand: a third paid, a third confirmed
        // by hand); the rest stay pending.
        const k = o.byHand ? (i + n) % 3 : (i + n) % 2;
        if (k === 0) await credit(tx.id, tx.amount).catch(() => w.unanswered.set(tx.id, tx.amount));
        else if (o.byHand && k === 1) await confirm(tx.id).catch(() => w.unconfirmed.add(tx.id));
      } else await new Promise((res) => setTimeout(res, 20));
    }
  };
  const loops = Array.from({ length: workers }, (_, n) => loop(n));
  w.stop = async () => {
    running = false;
    await Promise.all(loops);
  };
  return { ...w, stop: () => w.stop() };
}

/** After the switch: re-reads the unanswered credits, then checks the 0-lost figures. */
export async function verifyWorkload(d: TestDaemon, w: Workload, receiver: Receiver): Promise<void> {
  // Only clear answers during the switch: 200 or 503 (409 for a repeated manual confirm; never a
  // 500 or a hang).
  expect([...w.statuses.keys()].filter((s) => s !== 200 && s !== 503 && s !== 409)).toEqual([]);
  expect(w.acked.length).toBeGreaterThan(10);
  // Service resumed without a restart: the bank's unanswered messages go through now.
  for (const [id, amount] of [...w.unanswered]) {
    await waitFor(`credit for ${id} to be answered`, async () => {
      const r = await d.call('/sandbox/credit', { body: { amount, message_id: `m-${id}` } });
      return r.status === 200;
    });
    w.credited.add(id);
  }
  for (const id of [...w.unconfirmed]) {
    await waitFor(`manual confirm of ${id} to be answered`, async () => {
      const r = await d.call(`/transaction/${id}/confirm`, { body: { reason: 'chaos test, again' } });
      return r.status === 200 || (r.status === 409 && /\(confirmed\)/.test(r.body.data.detail));
    });
    w.confirmedByHand.add(id);
  }
  // Every acknowledged create still exists, in the state its credits say.
  for (const tx of w.acked) {
    // A read during the tail of the switch may still get a 503: ask again until it is clear.
    const r = await waitFor(`an answer for ${tx.id}`, async () => {
      const got = await d.call(`/transaction/${tx.id}`);
      return got.status === 503 ? null : got;
    });
    expect(r.status, `transaction ${tx.id} acknowledged but gone`).toBe(200);
    expect(r.body.data.state, tx.id).toBe(w.credited.has(tx.id) || w.confirmedByHand.has(tx.id) ? 'confirmed' : 'pending');
  }
  // No amount was handed out twice (the quarantine keeps every amount out for the whole test).
  expect(new Set(w.acked.map((t) => t.amount)).size).toBe(w.acked.length);
  // Every decided event (the confirms) reached the merchant.
  await waitFor('a confirm webhook for every paid transaction', () => {
    const confirmed = new Set(receiver.received.filter((r) => r.json?.action === 'confirm').map((r) => r.json.transaction_id));
    return [...w.credited, ...w.confirmedByHand].every((id) => confirmed.has(id));
  }, { timeoutMs: 30_000 });
  // …and no webhook was ever sent that the final state contradicts (a confirm undone by a failover).
  const hooks = receiver.received.filter((r) => r.json?.action === 'confirm' || r.json?.action === 'cancel');
  for (const id of new Set(hooks.map((h) => h.json.transaction_id as string))) {
    const actions = new Set(hooks.filter((h) => h.json.transaction_id === id).map((h) => h.json.action as string));
    const r = await d.call(`/transaction/${id}`);
    expect(r.status, `webhook for ${id}, which is gone`).toBe(200);
    expect([...actions], `webhooks for ${id} against its state ${r.body.data.state}`).toEqual([r.body.data.state === 'confirmed' ? 'confirm' : 'cancel']);
  }
}
