// `paycue demo`: the whole payment flow on one machine, no Telegram and no real money.
import { randomBytes } from 'node:crypto';
import { parseConfig } from '../config/env.js';
import { readEnvironment } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { startDaemon, type Daemon } from '../daemon/daemon.js';
import { startLocalRedis, type LocalRedis } from '../dev/local-redis.js';
import { connectRedis, createRedis, describeRedis } from '../redis/client.js';
import { Commands } from '../redis/commands.js';
import { humoCreditMessage } from '../bot-messages/compose.js';
import type { CliIO } from './io.js';
import { startDemoReceiver, type DemoReceiver } from './demo-receiver.js';

const TTL_SECONDS = 3;
/** Life of the transaction `--keep` leaves open for a look at its pay page. */
const KEEP_TTL = '15m';

export interface DemoOptions {
  /** After the walk-through, keep a pending transaction and its pay page up until `hold` resolves. */
  keep?: boolean;
  hold?: () => Promise<void>;
  /** `--env-file`: read instead of `.env` in the working directory. */
  envFile?: string;
}

const KEEP_MS = 15 * 60_000;

/** `--keep` holds until Ctrl-C (or the kept payment's life ends). */
function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    const timer = setTimeout(done, KEEP_MS);
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/** Whether a Redis answers within a second. */
async function answers(url: string): Promise<boolean> {
  const r = createRedis({ url, name: 'paycue-demo-check' });
  r.on('error', () => undefined);
  try {
    return await connectRedis(r, 1000);
  } finally {
    r.disconnect();
  }
}

/** Removes every key the demo wrote under its throw-away prefix on a Redis it does not own. */
async function forget(url: string, prefix: string): Promise<void> {
  const r = createRedis({ url, name: 'paycue-demo-cleanup', commandTimeoutMs: 5000 });
  r.on('error', () => undefined);
  try {
    if (await connectRedis(r, 2000)) await Commands.forPrefix(r, prefix).deleteEverything();
  } finally {
    r.disconnect();
  }
}

export async function runDemo(io: CliIO, opts: DemoOptions = {}): Promise<number> {
  const hold = opts.hold ?? untilInterrupted;
  const env = readEnvironment(undefined, undefined, opts.envFile);
  let redis: LocalRedis | undefined;
  let daemon: Daemon | undefined;
  let receiver: DemoReceiver | undefined;
  let step = 0;
  /** A Redis the demo does not own: its keys are removed at the end. */
  let shared: string | undefined;
  const prefix = `paycue-demo-${randomBytes(4).toString('hex')}`;
  const say = (text: string) => io.out(`\n${++step}. ${text}`);
  const detail = (text: string) => io.out(`   ${text}`);

  try {
    let redisUrl = env.REDIS_URL || (env.REDIS_ADDR ? `redis://${env.REDIS_ADDR}` : '');
    // A Redis named in .env (e.g. the example's 127.0.0.1:6379) that does not answer would fail the
    // demo half-way: say so and use a private one instead.
    if (redisUrl && !(await answers(redisUrl))) {
      say(`The Redis in your settings (${describeRedis(redisUrl)}) does not answer; the demo uses a private one instead`);
      redisUrl = '';
    }
    if (!redisUrl) {
      redis = await startLocalRedis({ say: (l) => detail(l) });
      redisUrl = redis.url;
      say(`Started a private Redis for the demo on 127.0.0.1:${redis.port}`);
    } else {
      shared = redisUrl;
      say(`Using the Redis at ${describeRedis(redisUrl)} (keys under a throw-away prefix, removed at the end)`);
    }

    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    receiver = await startDemoReceiver(secret);
    const user = 'demo';
    const password = randomBytes(12).toString('hex');
    const settings = {
      API_USERNAME: user,
      API_PASSWORD: password,
      SANDBOX: 'true',
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: '0',
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: secret,
      TRANSACTION_TTL: `${TTL_SECONDS}s`,
      AMOUNT_QUARANTINE: '10s',
      // A simulated credit has no bank delay to wait for.
      PAYMENT_GRACE: '0s',
      AMOUNT_QUARANTINE_SHORT_OK: 'true',
    };
    const log = createLogger({ debug: false, level: env.DEMO_LOG ?? 'error' });
    daemon = await startDaemon(parseConfig(settings), log);
    const base = `http://127.0.0.1:${daemon.port}`;
    say(`paycue is running in sandbox mode at ${base}`);
    detail(`webhooks go to a local merchant receiver at ${receiver.shown}`);
    detail(`transactions live ${TTL_SECONDS} s in this demo (30 min by default)`);

    const auth = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
    const post = async (path: string, body: unknown) => {
      const res = await fetch(base + path, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as { status: boolean; data: Record<string, unknown> };
      if (res.status !== 200 || !json.status) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(json)}`);
      return json.data;
    };

    say('The shop asks for 20 000 so\'m twice: POST /create/transaction/ {"amount": 20000}');
    const first = await post('/create/transaction/', { amount: 20000, metadata: { order: 'demo-1' } });
    const second = await post('/create/transaction/', { amount: 20000, metadata: { order: 'demo-2' } });
    detail(`order demo-1 must pay ${first.amount} so'm  (transaction ${String(first.transaction_id)})`);
    detail(`order demo-2 must pay ${second.amount} so'm  (transaction ${String(second.transaction_id)}): a unique amount`);
    detail(`the customer of demo-1 would open ${base}/pay/${String(first.transaction_id)} (the pay page; with PUBLIC_URL set, create answers it as pay_url)`);

    const text = humoCreditMessage(Number(second.amount_tiyin), '7159');
    say(`The customer of demo-2 pays ${second.amount} so'm; @HUMOcardbot would send:`);
    for (const line of text.split('\n')) detail(`│ ${line}`);
    const matched = await post('/sandbox/credit', { text, message_id: 1 });
    detail(`paycue: ${JSON.stringify(matched)}`);
    if (matched.matched !== true || matched.transaction_id !== second.transaction_id) throw new Error('the credit did not match demo-2');
    const replay = await post('/sandbox/credit', { text, message_id: 1 });
    detail(`the same message again (a reconnect): ${JSON.stringify(replay)}`);

    const confirm = await receiver.next(15_000);
    say('The merchant receives a signed webhook, verified with the standardwebhooks package:');
    detail(`webhook-id ${confirm.id}`);
    detail(JSON.stringify(confirm.payload));
    if (confirm.payload.action !== 'confirm' || confirm.payload.transaction_id !== second.transaction_id) {
      throw new Error('expected a confirm webhook for demo-2');
    }

    say(`Nobody pays demo-1; after ${TTL_SECONDS} s it expires…`);
    const cancel = await receiver.next(15_000);
    detail(`webhook-id ${cancel.id}`);
    detail(JSON.stringify(cancel.payload));
    if (cancel.payload.action !== 'cancel' || cancel.payload.transaction_id !== first.transaction_id) {
      throw new Error('expected a cancel webhook for demo-1');
    }
    const late = await post('/sandbox/credit', { amount: first.amount });
    detail(`a payment of ${first.amount} so'm arriving now confirms nothing: ${JSON.stringify(late)}`);
    if (late.matched !== false) throw new Error('a late payment must not confirm');

    io.out('\nDemo complete: every step happened. Next: configure .env (see .env.example) and run `paycue --telegram`.');
    if (opts.keep) {
      // A daemon with a customer-sized TTL on the same Redis, so the page can be looked at.
      await daemon.stop(3000);
      daemon = undefined;
      daemon = await startDaemon(parseConfig({ ...settings, TRANSACTION_TTL: KEEP_TTL, PORT: env.PORT || '0' }), log);
      const keepBase = `http://127.0.0.1:${daemon.port}`;
      const kept = await fetch(`${keepBase}/create/transaction/`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 20000, metadata: { order: 'demo-keep' }, success_url: 'https://example.com/thanks', cancel_url: 'https://example.com/cart' }),
      }).then((r) => r.json() as Promise<{ data: { transaction_id: string } }>);
      say(`Kept open for ${KEEP_TTL}: a pending payment's page (press the simulate button, or Ctrl-C to end):`);
      io.out(`   ${keepBase}/pay/${kept.data.transaction_id}`);
      await hold();
    }
    return 0;
  } catch (err) {
    io.err(`\ndemo failed at step ${step}: ${(err as Error).message}`);
    return 1;
  } finally {
    await daemon?.stop(3000).catch(() => undefined);
    await receiver?.close().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
    if (shared) await forget(shared, prefix).catch((err: Error) => io.err(`could not remove the demo's keys (prefix ${prefix}): ${err.message}`));
  }
}
