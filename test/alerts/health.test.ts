// Health alerts: Telegram disconnected, Redis unreachable and writes refused for too few Redis
// replicas for longer than their thresholds
// (shortened here), each with its recovery; a fatal watcher error (revoked session) is told too.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { StartWatcher } from '../../src/daemon/daemon.js';
import { startLocalRedis } from '../../src/dev/local-redis.js';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';
import { startBotApi, TOKEN, type BotApi } from '../helpers/bot-api.js';
import { startReplicated, stopTopologies } from '../helpers/topology.js';

const CHAT = 6161;
const apis: BotApi[] = [];
afterEach(async () => {
  await stopTestDaemons();
  await Promise.all(apis.splice(0).map((a) => a.close()));
});
afterAll(closeAllRedis);

const FAST = { tickMs: 50, pollSeconds: 1, telegramDownMs: 300, redisDownMs: 300, perMinute: 60, burst: 3 };
const TG = { SANDBOX: 'false', APP_ID: '12345', APP_HASH: '0123456789abcdef0123456789abcdef', WEBHOOK_URL: 'http://127.0.0.1:9/hook' };

describe('health alerts', () => {
  it('Telegram down past the threshold → one alert; back → one recovery; a fatal watcher error is told', async () => {
    const api = await startBotApi(CHAT);
    apis.push(api);
    let connected = true;
    let fatal: (reason: string, exitCode: 1 | 2) => void = () => undefined;
    const startWatcher: StartWatcher = async (args) => {
      fatal = args.onFatal;
      return { stop: async () => undefined, status: () => ({ connected, lastBotMessageAt: null }) };
    };
    const d = await startTestDaemon(
      { ...TG, ALERT_BOT_TOKEN: TOKEN, ALERT_CHAT_ID: String(CHAT), ALERT_API_ROOT: api.url },
      { startWatcher, alertTimings: FAST },
    );
    await d.watcherReady;
    connected = false;
    await api.waitFor('the disconnect alert', () => api.sent.find((m) => /disconnected from Telegram for more than 2 minutes/.test(m.text)));
    connected = true;
    await api.waitFor('the recovery', () => api.sent.find((m) => /connected to Telegram again/.test(m.text)));
    await new Promise((r) => setTimeout(r, 300));
    expect(api.sent.filter((m) => /Telegram/.test(m.text))).toHaveLength(2);

    fatal('the Telegram session was revoked (AUTH_KEY_UNREGISTERED)', 2);
    await api.waitFor('the session alert', () => api.sent.find((m) => /stopped watching Telegram: .*revoked/.test(m.text)));
  });

  it('writes refused for too few replicas past the threshold: one alert naming the runbook, and its recovery', async () => {
    const set = await startReplicated(1);
    const api = await startBotApi(CHAT);
    apis.push(api);
    try {
      const d = await startTestDaemon(
        { REDIS_URL: set.url, REDIS_MIN_REPLICAS: '1', ALERT_BOT_TOKEN: TOKEN, ALERT_CHAT_ID: String(CHAT), ALERT_API_ROOT: api.url },
        { alertTimings: { ...FAST, replicasShortMs: 300 } },
      );
      expect((await d.call('/create/transaction/', { body: { amount: 5000 } })).status).toBe(200);
      set.kill(set.replicas[0] as number);
      const alert = await api.waitFor('the replicas alert', () => api.sent.find((m) => /Redis writes refused/.test(m.text)));
      expect(alert.text).toBe(
        '🛑 Redis writes refused: 0 of the 1 replica paycue requires are connected: creates, cancels and credits are refused (503) until enough are back (runbook: README → High availability → "A replica is down")',
      );
      await set.revive(set.replicas[0] as number);
      await api.waitFor('the recovery', () => api.sent.find((m) => /Enough Redis replicas are connected again/.test(m.text)));
      expect(api.sent.filter((m) => /Redis writes refused/.test(m.text))).toHaveLength(1);
      expect((await d.call('/create/transaction/', { body: { amount: 5000 } })).status).toBe(200);
    } finally {
      await stopTestDaemons();
      await stopTopologies();
    }
  }, 60_000);

  it('Redis unreachable past the threshold is reported, and its recovery', async () => {
    const redis = await startLocalRedis({ persist: true });
    const api = await startBotApi(CHAT);
    apis.push(api);
    try {
      await startTestDaemon(
        { REDIS_URL: redis.url, ALERT_BOT_TOKEN: TOKEN, ALERT_CHAT_ID: String(CHAT), ALERT_API_ROOT: api.url },
        { alertTimings: FAST },
      );
      await redis.kill();
      await api.waitFor('the Redis alert', () => api.sent.find((m) => /Redis has been unreachable/.test(m.text)));
      await redis.restart();
      await api.waitFor('the Redis recovery', () => api.sent.find((m) => /Redis is reachable again/.test(m.text)));
    } finally {
      await stopTestDaemons();
      await redis.stop();
    }
  }, 30_000);
});
