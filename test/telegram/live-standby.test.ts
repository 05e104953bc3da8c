// Two paycue processes on one Telegram session (ROLE=all, a hot standby) against the test
// Telegram, which revokes a key used from two open connections at once (AUTH_KEY_DUPLICATED, as
// Telegram does when two processes share a session). The standby must take over only once the
// holder's connection is gone: Telegram never sees the key used twice.
import { afterEach, describe, expect, it } from 'vitest';
import { humoCreditMessage } from '../../src/bot-messages/compose.js';
import { freePort } from '../../src/dev/local-redis.js';
import { runChild, type Child } from '../helpers/child.js';
import { AUTH } from '../helpers/daemon.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait.js';
import { HUMO_BOT } from '../mtproto-server/index.js';
import { removeTempDirs } from './helpers.js';
import { childEnv, closeLiveTelegrams, liveTelegram, type LiveTelegram } from './live.js';

const children: Child[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    c.proc.kill('SIGCONT');
    c.proc.kill('SIGKILL');
  }
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  await closeLiveTelegrams();
  await removeTempDirs();
});

async function daemons(live: LiveTelegram, n: number) {
  const hooks = await startReceiver();
  receivers.push(hooks);
  const shared = {
    ...(await childEnv(live)),
    API_USERNAME: 'merchant', API_PASSWORD: 's3cret-pass', HOST: '127.0.0.1', ROLE: 'all', TELEGRAM_TAKEOVER: '3s',
    REDIS_URL: redisUrl(), REDIS_PREFIX: uniquePrefix(), WEBHOOK_URL: hooks.url,
  };
  const out = [];
  for (let i = 0; i < n; i++) {
    const port = await freePort();
    const c = runChild([], { ...shared, PORT: String(port) });
    children.push(c);
    out.push({ child: c, url: `http://127.0.0.1:${port}` });
    if (i === 0) await waitFor('the first daemon to hold the session', () => /telegram connected/.test(c.output()), { timeoutMs: 15_000 });
  }
  return { hooks, procs: out };
}

const create = async (url: string, amount: number) =>
  (await (await fetch(`${url}/create/transaction/`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ amount }) })).json()).data;

describe('hot standby against the test Telegram', () => {
  it('the holder is killed: the standby takes the session over, catches up, and Telegram never sees the key twice', async () => {
    const live = await liveTelegram();
    const { hooks, procs } = await daemons(live, 2);
    const [holder, standby] = procs as [(typeof procs)[0], (typeof procs)[0]];
    await waitFor('the second daemon to stand by', () => /standby: another paycue holds the Telegram session/.test(standby.child.output()), { timeoutMs: 15_000 });
    const tx = await create(standby.url, 20000);
    holder.child.proc.kill('SIGKILL');
    live.tg.botSends(live.merchant, HUMO_BOT, humoCreditMessage(tx.amount_tiyin, '7159'));
    await waitFor('the standby to take over', () => /took the Telegram watcher over/.test(standby.child.output()), { timeoutMs: 15_000 });
    const [hook] = await hooks.waitFor(1);
    expect(hook!.json).toMatchObject({ action: 'confirm', transaction_id: tx.transaction_id });
    expect(live.tg.duplicates).toEqual([]);
  });

  it('the holder freezes (SIGSTOP) past its lease, the standby takes over, then the holder wakes up: Telegram never sees the key twice', async () => {
    const live = await liveTelegram();
    const { hooks, procs } = await daemons(live, 2);
    const [holder, standby] = procs as [(typeof procs)[0], (typeof procs)[0]];
    await waitFor('the second daemon to stand by', () => /standby: another paycue holds the Telegram session/.test(standby.child.output()), { timeoutMs: 15_000 });
    holder.child.proc.kill('SIGSTOP');
    await waitFor('the standby to take over', () => /took the Telegram watcher over/.test(standby.child.output()), { timeoutMs: 15_000 });
    const tx = await create(standby.url, 20000);
    holder.child.proc.kill('SIGCONT');
    // The woken holder finds its lease gone and must let the session go without using it.
    await waitFor('the old holder to stop', () => holder.child.proc.exitCode !== null, { timeoutMs: 15_000 });
    expect(holder.child.proc.exitCode).toBe(1);
    expect(holder.child.output()).toMatch(/the Telegram session lock was taken by host/);
    live.tg.botSends(live.merchant, HUMO_BOT, humoCreditMessage(tx.amount_tiyin, '7159'));
    const [hook] = await hooks.waitFor(1);
    expect(hook!.json).toMatchObject({ action: 'confirm', transaction_id: tx.transaction_id });
    expect(live.tg.duplicates).toEqual([]);
  });
});
