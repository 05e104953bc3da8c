// (h) What a failover costs a steady create load on the Sentinel daemon at the default
// requirement (every replica): the longest stretch without an acknowledged create around each
// `paycue redis switchover`, each bare SENTINEL FAILOVER and each kill -9 of the primary (the dead
// node restarted as a replica at once, as systemd would). Reported, not judged: it depends on the
// sentinels' timers and this machine.
import { Redis } from 'ioredis';
import { switchover } from '../src/replicas/switchover.js';
import type { SentinelSet } from '../test/helpers/topology.js';

export interface FailoverFigures {
  switchover: { unavailableMs: number; pausedMs: number; catchUpMs: number }[];
  bare: number[];
  kill: number[];
  lost: number;
  acked: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `loops` create loops against `url` until stopped; the times of the 200s, the ids of every 200. */
function steadyLoad(url: string, authorization: string, loops: number) {
  const ok: number[] = [];
  const ids: string[] = [];
  let running = true;
  let price = 500_000_000;
  const one = async () => {
    while (running) {
      const r = await fetch(`${url}/create/transaction/`, {
        method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ amount: (price += 1_000_000) }),
      }).catch(() => null);
      if (r?.status === 200) {
        ok.push(performance.now());
        ids.push(((await r.json()) as { data: { transaction_id: string } }).data.transaction_id);
      } else {
        await r?.text().catch(() => undefined);
        await sleep(10);
      }
    }
  };
  const all = Array.from({ length: loops }, one);
  return {
    ok, ids,
    async stop() {
      running = false;
      await Promise.all(all);
    },
    /** The longest gap between acknowledged creates that overlaps [from, to]. */
    gap(from: number, to: number): number {
      let worst = 0;
      for (let i = 1; i < ok.length; i++) if ((ok[i] as number) >= from && (ok[i - 1] as number) <= to) worst = Math.max(worst, (ok[i] as number) - (ok[i - 1] as number));
      return Math.round(worst);
    },
  };
}

async function untilTrue(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error('(h) failover: timed out');
    await sleep(50);
  }
}

export async function benchFailovers(
  set: SentinelSet,
  daemon: { port: number; keys: { tx: (id: string) => string } },
  authorization: string,
  say: (line: string) => void,
  counts = { switchover: 3, bare: 1, kill: 2 },
): Promise<FailoverFigures> {
  const url = `http://127.0.0.1:${daemon.port}`;
  const load = steadyLoad(url, authorization, 8);
  const resumed = async () => {
    const n = load.ok.length;
    await untilTrue(async () => load.ok.length >= n + 20, 60_000);
  };
  await resumed();
  const out: FailoverFigures = { switchover: [], bare: [], kill: [], lost: 0, acked: 0 };
  const access = { sentinels: set.sentinels.map((port) => ({ host: '127.0.0.1', port })), name: set.name };
  for (let i = 0; i < counts.switchover; i++) {
    const from = performance.now();
    const r = await switchover({ access, creds: { tls: false } });
    await resumed();
    out.switchover.push({ unavailableMs: load.gap(from, performance.now()), pausedMs: r.pausedMs, catchUpMs: r.catchUpMs });
    say(`    switchover ${i + 1}: creates unavailable ${out.switchover.at(-1)?.unavailableMs} ms (writes paused ${r.pausedMs} ms, catch-up ${r.catchUpMs} ms)`);
  }
  for (let i = 0; i < counts.bare; i++) {
    const old = await set.currentPrimary();
    const from = performance.now();
    const s = new Redis({ port: set.sentinels[0] as number, lazyConnect: true });
    await s.connect();
    await s.call('SENTINEL', 'FAILOVER', set.name);
    s.disconnect();
    await untilTrue(async () => (await set.currentPrimary()) !== old, 30_000);
    await resumed();
    out.bare.push(load.gap(from, performance.now()));
    say(`    bare SENTINEL FAILOVER ${i + 1}: creates unavailable ${out.bare.at(-1)} ms`);
    // Let the sentinels finish before the next one.
    await sleep(3000);
  }
  for (let i = 0; i < counts.kill; i++) {
    const old = await set.currentPrimary();
    const from = performance.now();
    set.kill(old);
    await untilTrue(async () => (await set.currentPrimary()) !== old, 60_000);
    await set.revive(old, await set.currentPrimary());
    await resumed();
    out.kill.push(load.gap(from, performance.now()));
    say(`    kill -9 ${i + 1}: creates unavailable ${out.kill.at(-1)} ms`);
  }
  await load.stop();
  // Every acknowledged create is still there.
  const primary = new Redis({ port: await set.currentPrimary(), lazyConnect: true });
  await primary.connect();
  const pipe = primary.pipeline();
  for (const id of load.ids) pipe.exists(daemon.keys.tx(id));
  out.lost = ((await pipe.exec()) ?? []).filter(([, n]) => Number(n) !== 1).length;
  out.acked = load.ids.length;
  primary.disconnect();
  say(`    ${out.acked} creates acknowledged, ${out.lost} of them lost`);
  return out;
}
