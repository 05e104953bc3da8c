// The Telegram session lock is never left behind: not by a daemon stopped while it was still
// connecting, and a lock whose holder is a dead process of this host is taken over at once.
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { telegramStarter } from '../../src/daemon/telegram.js';
import { Commands } from '../../src/redis/commands.js';
import { redisKeys } from '../../src/redis/keys.js';
import { acquireSessionLock, pidScope, SessionLockedError } from '../../src/telegram/session-lock.js';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis, openRedis, uniquePrefix } from '../helpers/redis.js';
import { APP_HASH, HUMO, RecordedTelegram, captureLog, privateMessage, removeTempDirs, tempDir } from './helpers.js';
import { waitFor } from '../helpers/wait.js';
import { startLocalRedis } from '../../src/dev/local-redis.js';

afterEach(async () => {
  await stopTestDaemons();
  await closeAllRedis();
  await removeTempDirs();
});

/** A pid that existed a moment ago and does not any more. */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => p.once('exit', r));
  return p.pid as number;
}

describe('session lock', () => {
  it('a daemon stopped while Telegram is still connecting releases the lock at once', async () => {
    const client = new RecordedTelegram(captureLog().log);
    client.connectImpl = () => new Promise<boolean>(() => undefined); // Telegram unreachable: connect never ends
    const prefix = uniquePrefix();
    const d = await startTestDaemon(
      { SANDBOX: 'false', APP_ID: '12345', APP_HASH, WEBHOOK_URL: 'http://127.0.0.1:9/hook', SESSION_DIR: await tempDir(), REDIS_PREFIX: prefix },
      { startWatcher: telegramStarter({ client }) },
    );
    const redis = await openRedis();
    const lockKey = redisKeys(prefix).sessionLock;
    await waitFor('the session lock to be taken', async () => (await redis.get(lockKey)) !== null);
    await d.stop(2000);
    expect(await redis.get(lockKey)).toBeNull();
  });

  it('a daemon stopped while its first catch-up hangs releases the lock at once too', async () => {
    const client = new RecordedTelegram(captureLog().log);
    client.add(HUMO, privateMessage(HUMO, 100, 'an old notification'));
    client.getMessagesImpl = () => new Promise(() => undefined); // the history read never answers
    const prefix = uniquePrefix();
    const d = await startTestDaemon(
      { SANDBOX: 'false', APP_ID: '12345', APP_HASH, WEBHOOK_URL: 'http://127.0.0.1:9/hook', SESSION_DIR: await tempDir(), REDIS_PREFIX: prefix },
      { startWatcher: telegramStarter({ client }) },
    );
    await waitFor('a catch-up read', () => client.getMessagesCalls.length > 0);
    const redis = await openRedis();
    expect(await redis.get(redisKeys(prefix).sessionLock)).not.toBeNull();
    await d.stop(2000);
    expect(await redis.get(redisKeys(prefix).sessionLock)).toBeNull();
    expect(client.destroyed).toBe(true);
  });

  it('a holder that cannot renew lets the session go before its lease can expire when a standby waits; alone it keeps it', async () => {
    for (const withStandby of [true, false]) {
      const own = await startLocalRedis();
      try {
        const redis = await openRedis(own.url);
        const store = Commands.forPrefix(redis, uniquePrefix());
        if (withStandby) await store.markStandby(60_000); // what a standing-by daemon writes
        const log = captureLog();
        const lost: string[] = [];
        const ttl = 1500;
        const lock = await acquireSessionLock({ store, log: log.log, onLost: (why) => lost.push(why), ttlMs: ttl, renewMs: 200 });
        await own.stop(); // Redis is gone for this process (for a standby elsewhere it may not be)
        if (withStandby) {
          await waitFor('the lock to be given up', () => (lost.length > 0 ? true : undefined));
          expect(lost).toHaveLength(1);
          expect(lost[0]).toMatch(/could not be renewed for \d+ s: letting the session go before the lock expires/);
        } else {
          // Nobody could take it over: keeping the session (and the alerts) is the better choice.
          await new Promise((r) => setTimeout(r, ttl + 600));
          expect(lost).toEqual([]);
          expect(log.text()).toMatch(/cannot renew the telegram session lock/);
        }
        await lock.release();
      } finally {
        await own.stop().catch(() => undefined);
      }
    }
  });

  it('takes over at once a lock whose holder is a dead process of this host, but not a live one', async () => {
    const redis = await openRedis();
    const store = Commands.forPrefix(redis, uniquePrefix());
    const log = captureLog();
    const dead = `${hostname()}|${await deadPid()}|abc|${pidScope()}`;
    await store.lockAcquire(dead, 30_000);
    const lock = await acquireSessionLock({ store, log: log.log, onLost: () => undefined });
    expect(await store.lockHolder()).toBe(lock.token);
    expect(log.text()).toMatch(/took over the Telegram session lock/);
    await lock.release();

    const alive = spawn('sleep', ['10']);
    try {
      await store.lockAcquire(`${hostname()}|${alive.pid}|def|${pidScope()}`, 30_000);
      await expect(acquireSessionLock({ store, log: log.log, onLost: () => undefined })).rejects.toBeInstanceOf(SessionLockedError);
      // Another host's pids mean nothing here: its lock is never taken over.
      await redis.del(store.keys.sessionLock);
      await store.lockAcquire(`otherhost|${await deadPid()}|ghi|${pidScope()}`, 30_000);
      await expect(acquireSessionLock({ store, log: log.log, onLost: () => undefined })).rejects.toBeInstanceOf(SessionLockedError);
      // Nor a holder with our host name in another machine, boot or container (another pid scope).
      await redis.del(store.keys.sessionLock);
      await store.lockAcquire(`${hostname()}|${await deadPid()}|jkl|0000000000000000`, 30_000);
      await expect(acquireSessionLock({ store, log: log.log, onLost: () => undefined })).rejects.toBeInstanceOf(SessionLockedError);
    } finally {
      alive.kill();
    }
  });
});
