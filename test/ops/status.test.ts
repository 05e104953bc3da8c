import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStatus, type StatusReport } from '../../src/cli/status-command.js';
import { parseOperatorConfig } from '../../src/config/env.js';
import { Commands } from '../../src/redis/commands.js';
import { startLocalRedis, type LocalRedis } from '../../src/dev/local-redis.js';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis, openRedis, redisUrl, uniquePrefix } from '../helpers/redis.js';

// A Redis set up as the README asks (AOF, noeviction); the shared test Redis has AOF off.
let durable: LocalRedis;
beforeAll(async () => {
  durable = await startLocalRedis({ persist: true });
});
afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
  await durable.stop();
});

function capture() {
  const out: string[] = [];
  return { out, io: { out: (l: string) => out.push(l), err: (l: string) => out.push(l) } };
}

async function status(env: Record<string, string>): Promise<{ code: number; report: StatusReport; screen: string[] }> {
  const config = parseOperatorConfig(env);
  const json = capture();
  const code = await runStatus(config, json.io, { json: true });
  const human = capture();
  expect(await runStatus(config, human.io, { json: false })).toBe(code);
  return { code, report: JSON.parse(json.out[0]!) as StatusReport, screen: human.out };
}

describe('paycue status', () => {
  it('ok: a running sandbox daemon on a durable Redis is healthy (exit 0)', async () => {
    const d = await startTestDaemon({ REDIS_URL: durable.url });
    await d.call('/create/transaction/', { body: { amount: 5000 } });
    const { code, report, screen } = await status({ REDIS_URL: durable.url, REDIS_PREFIX: d.config.redisPrefix, SANDBOX: 'true' });
    expect(code).toBe(0);
    expect(report).toMatchObject({
      role: 'all', healthy: true, problems: [],
      redis: { address: new URL(durable.url).host, prefix: d.config.redisPrefix, up: true, maxmemory_policy: 'noeviction', aof: true },
      daemon: { running: true, pid: process.pid },
      telegram: { state: 'disabled' },
      pending_transactions: 1, webhook_backlog: 0, failed_deliveries: 0, open_credits: 0,
    });
    expect(screen[0]).toMatch(/^paycue \S+ +role all +HEALTHY$/);
    // The role shown is this machine's ROLE.
    const api = await status({ REDIS_URL: durable.url, REDIS_PREFIX: d.config.redisPrefix, SANDBOX: 'true', ROLE: 'api' });
    expect(api.report.role).toBe('api');
  });

  it('warn: open credits are shown with a hint but do not degrade', async () => {
    const d = await startTestDaemon({ REDIS_URL: durable.url });
    await d.call('/sandbox/credit', { body: { amount: 4321 } });
    const { code, report, screen } = await status({ REDIS_URL: durable.url, REDIS_PREFIX: d.config.redisPrefix, SANDBOX: 'true' });
    expect(code).toBe(0);
    expect(report.open_credits).toBe(1);
    expect(screen.join('\n')).toContain('paycue credits list --state open');
  });

  it('fail: no daemon, AOF off, Telegram disconnected, Redis unreachable — each degrades (exit 1)', async () => {
    // The shared test Redis has AOF off and nothing runs on a fresh prefix.
    const prefix = uniquePrefix();
    const none = await status({ REDIS_URL: redisUrl(), REDIS_PREFIX: prefix });
    expect(none.code).toBe(1);
    expect(none.report.problems).toEqual([
      expect.stringMatching(/AOF is off/),
      'no daemon on this prefix watches Telegram (a standby or a ROLE=api daemon does not publish a heartbeat)',
    ]);
    expect(none.report.telegram).toEqual({ state: 'unknown' });

    // A daemon outside sandbox whose Telegram is down publishes that; status reports it.
    const commands = Commands.forPrefix(await openRedis(durable.url), prefix);
    await commands.publishDaemonStatus(
      { version: '9.9.9', pid: 4242, host: 'vps', sandbox: false, telegramConnected: false, telegramState: 'down', expiryHeld: true, watermarkLagS: 700, lastBotMessageAt: Date.now() - 60_000, account: '777 (@shop)', updatedAt: Date.now() },
      60_000,
    );
    const down = await status({ REDIS_URL: durable.url, REDIS_PREFIX: prefix });
    expect(down.code).toBe(1);
    expect(down.report.telegram).toMatchObject({ state: 'disconnected', account: '777 (@shop)', expiry_held: true });
    expect(down.report.problems).toEqual(['Telegram is disconnected']);
    expect(down.screen.join('\n')).toMatch(/DEGRADED[\s\S]*expiry HELD/);

    // A heartbeat older than three beats: the daemon is gone.
    await commands.publishDaemonStatus(
      { version: '9.9.9', pid: 4242, host: 'vps', sandbox: false, telegramConnected: true, telegramState: 'up', expiryHeld: false, watermarkLagS: null, lastBotMessageAt: null, account: null, updatedAt: Date.now() - 120_000 },
      60_000,
    );
    const stale = await status({ REDIS_URL: durable.url, REDIS_PREFIX: prefix });
    expect(stale.code).toBe(1);
    expect(stale.report.daemon).toMatchObject({ running: false, pid: 4242 });
    expect(stale.report.telegram).toEqual({ state: 'unknown' });

    // Nothing listens on this port; the password in the URL is never printed.
    const gone = await startLocalRedis();
    await gone.stop();
    const unreachable = await status({ REDIS_URL: `redis://:hunter2-pw@127.0.0.1:${gone.port}` });
    expect(unreachable.code).toBe(1);
    expect(unreachable.report.redis).toMatchObject({ up: false, address: `127.0.0.1:${gone.port}` });
    expect(JSON.stringify(unreachable) + unreachable.screen.join('')).not.toContain('hunter2-pw');
  });
});
