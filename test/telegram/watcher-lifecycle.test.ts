// Start-up refusals, the single-instance lock, bot resolution, watchdog and shutdown.
import { afterEach, describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { RPCError } from 'telegram/errors/index.js';
import { redisKeys } from '../../src/redis/keys.js';
import { startTelegramWatcher, TelegramStartError } from '../../src/telegram/watcher.js';
import { saveSession } from '../../src/telegram/session-store.js';
import { openRedis, uniquePrefix } from '../helpers/redis.js';
import { cleanup, harness, telegramDeps } from './harness.js';
import { botUser, captureLog, HUMO, HUMO_CREDIT, privateMessage, RecordedTelegram, tempDir, testConfig } from './helpers.js';
import { sleep, waitFor } from '../helpers/wait.js';

afterEach(cleanup);

const seeded = (c: RecordedTelegram) => c.add(HUMO, privateMessage(HUMO, 100, 'old'));

async function startError(p: Promise<unknown>): Promise<TelegramStartError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TelegramStartError);
  return err as TelegramStartError;
}

describe('session lock', () => {
  it('refuses a second watcher on the same session while the first runs, and frees the lock on stop', async () => {
    const first = await harness({ prepare: seeded });
    const key = redisKeys(first.prefix).sessionLock;
    const token = await first.redis.get(key);
    expect(token).toContain(`|${process.pid}|`);
    expect(await first.redis.pttl(key)).toBeGreaterThan(15_000); // the lease: 2/3 of TELEGRAM_TAKEOVER (30 s)

    const second = new RecordedTelegram(captureLog().log);
    const err = await startError(harness({ client: second, prefix: first.prefix, prepare: seeded }));
    expect(err.reason).toBe('locked');
    expect(err.message).toMatch(/AUTH_KEY_DUPLICATED/);
    expect(second.connectCalls).toBe(0); // never touched the session
    expect(await first.redis.get(key)).toBe(token); // the holder keeps it

    await first.watcher.stop();
    expect(await first.redis.get(key)).toBeNull();
    const third = await harness({ prefix: first.prefix, prepare: seeded });
    expect(third.watcher.status().connected).toBe(true);
  });

  it('renews the lock while running', async () => {
    const h = await harness({ prepare: seeded, lockRenewMs: 50 });
    const key = redisKeys(h.prefix).sessionLock;
    await h.redis.pexpire(key, 2000);
    await waitFor('the lock to be renewed', async () => (await h.redis.pttl(key)) > 15_000);
    expect(h.fatal).toEqual([]);
  });

  it('reports a fatal error when another process took the lock', async () => {
    const h = await harness({ prepare: seeded, lockRenewMs: 50 });
    await h.redis.set(redisKeys(h.prefix).sessionLock, 'otherhost|4242|abc');
    await waitFor('a fatal error', () => h.fatal.length > 0);
    expect(h.fatal[0]).toMatch(/lock was taken by host otherhost, pid 4242/);
    await h.watcher.stop();
    // stop must not delete a lock that is not ours
    expect(await h.redis.get(redisKeys(h.prefix).sessionLock)).toBe('otherhost|4242|abc');
  });
});

describe('start-up refusals', () => {
  it('no saved session: a clear message naming `paycue --telegram`, lock not left behind', async () => {
    const redis = await openRedis();
    const prefix = uniquePrefix();
    const config = testConfig({ REDIS_PREFIX: prefix, SESSION_DIR: await tempDir() });
    const err = await startError(
      startTelegramWatcher({ ...telegramDeps(config, redis), log: captureLog().log, handle: async () => {}, onFatal: () => {} }),
    );
    expect(err.reason).toBe('no-session');
    expect(err.message).toMatch(/paycue --telegram/);
    expect(await redis.get(redisKeys(prefix).sessionLock)).toBeNull();
  });

  it('a corrupt session file is reported as such', async () => {
    const redis = await openRedis();
    const dir = await tempDir();
    await saveSession(dir, 'not-a-gramjs-session');
    const config = testConfig({ REDIS_PREFIX: uniquePrefix(), SESSION_DIR: dir });
    const err = await startError(startTelegramWatcher({ ...telegramDeps(config, redis), log: captureLog().log, handle: async () => {}, onFatal: () => {} }));
    expect(err.message).toMatch(/unreadable.*paycue --telegram/);
  });

  it('a revoked session: clear message, client destroyed, lock released', async () => {
    const client = new RecordedTelegram(captureLog().log);
    client.getMeImpl = async () => {
      throw new RPCError('AUTH_KEY_UNREGISTERED', new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }), 401);
    };
    const prefix = uniquePrefix();
    const err = await startError(harness({ client, prefix }));
    expect(err.reason).toBe('session-revoked');
    expect(err.message).toMatch(/AUTH_KEY_UNREGISTERED.*paycue --telegram/);
    expect(client.destroyed).toBe(true);
    const redis = await openRedis();
    expect(await redis.get(redisKeys(prefix).sessionLock)).toBeNull();
  });

  it('connect() that never finishes fails within the connect timeout instead of hanging', async () => {
    const client = new RecordedTelegram(captureLog().log);
    client.connectImpl = () => new Promise<boolean>(() => {});
    const t0 = Date.now();
    const err = await startError(harness({ client, connectTimeoutMs: 300 }));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(err.reason).toBe('connect');
    expect(err.message).toMatch(/cannot connect to Telegram/);
    expect(client.destroyed).toBe(true);
  });

  it('refuses a WATCH bot that resolves to another id or is not a bot', async () => {
    const impostor = new RecordedTelegram(captureLog().log);
    impostor.bots.set('HUMOcardbot', botUser(123456, { username: 'HUMOcardbot' }));
    const e1 = await startError(harness({ client: impostor }));
    expect(e1.reason).toBe('bot');
    expect(e1.message).toMatch(/123456.*856254490.*WATCH_ID/);

    const human = new RecordedTelegram(captureLog().log);
    human.bots.set('HUMOcardbot', botUser(HUMO, { bot: false, username: 'HUMOcardbot' }));
    const e2 = await startError(harness({ client: human }));
    expect(e2.message).toMatch(/not a bot/);
  });
});

describe('bot resolution', () => {
  it('resolves @HUMOcardbot once and reuses the cached id + access hash on restart', async () => {
    const sessionDir = await tempDir();
    const first = await harness({ sessionDir, prepare: seeded });
    const resolved = first.client.sent(Api.contacts.ResolveUsername);
    expect(resolved.map((r) => r.username)).toEqual(['HUMOcardbot']);
    await first.watcher.stop();

    const again = await harness({ sessionDir, prefix: first.prefix, prepare: seeded });
    expect(again.client.sent(Api.contacts.ResolveUsername)).toHaveLength(0);
    // the cached peer is what catch-up reads with
    expect(again.client.getMessagesCalls[0]!.peer).toBe(String(HUMO));
  });
});

describe('watchdog', () => {
  it('calls onFatal after 3 consecutive failed health checks', async () => {
    const h = await harness({
      prepare: (c) => {
        seeded(c);
        c.invokeImpl = (req) => {
          if (req instanceof Api.updates.GetState) return new Promise(() => {}); // never answers
          return undefined;
        };
      },
      watchdogIntervalMs: 40,
      watchdogTimeoutMs: 30,
      // The start-up read asks GetState for Telegram's clock too: it gives up, reads anyway.
      requestTimeoutMs: 200,
    });
    const t0 = Date.now();
    await waitFor('a fatal error', () => h.fatal.length > 0);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(h.fatal).toHaveLength(1);
    expect(h.fatal[0]).toMatch(/^Telegram has not answered 3 consecutive health checks/);
    expect(h.watcher.status().connected).toBe(false);
  });

  it('one failure followed by success is not fatal', async () => {
    let n = 0;
    const h = await harness({
      prepare: (c) => {
        seeded(c);
        c.invokeImpl = (req) => {
          if (req instanceof Api.updates.GetState && n++ < 2) throw new Error('TIMEOUT');
          return undefined;
        };
      },
      watchdogIntervalMs: 30,
    });
    await waitFor('six health checks', () => n >= 6);
    expect(h.fatal).toEqual([]);
    expect(h.watcher.status().connected).toBe(true);
  });

  it('a session revoked while running (AUTH_KEY_DUPLICATED) is fatal at once with the reason', async () => {
    const h = await harness({
      prepare: (c) => {
        seeded(c);
        c.invokeImpl = (req) => {
          if (req instanceof Api.updates.GetState) throw new RPCError('AUTH_KEY_DUPLICATED', req, 406);
          return undefined;
        };
      },
      watchdogIntervalMs: 30,
    });
    await waitFor('a fatal error', () => h.fatal.length > 0);
    expect(h.fatal[0]).toMatch(/AUTH_KEY_DUPLICATED.*paycue --telegram/);
  });
});

describe('stop', () => {
  it('waits for the message in progress, destroys the client and ignores updates afterwards', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const done: number[] = [];
    let started = false;
    const h = await harness({
      prepare: seeded,
      handle: async (msg) => {
        started = true;
        await gate;
        done.push(msg.messageId);
      },
    });
    h.client.add(HUMO, privateMessage(HUMO, 101, HUMO_CREDIT));
    void h.watcher.catchUp();
    await waitFor('the handler to start', () => started);
    const stopped = h.watcher.stop();
    await sleep(30); // only a wait can show that stop does not go ahead without the handler
    expect(h.client.destroyed).toBe(false); // still waiting for the handler
    release();
    await stopped;
    expect(done).toEqual([101]);
    expect(h.client.destroyed).toBe(true);
    expect(h.watcher.status().connected).toBe(false);
    expect(await h.redis.hget(redisKeys(h.prefix).cursor, String(HUMO))).toBe('101');
  });
});
