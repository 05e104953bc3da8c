// `paycue telegram status` and `paycue telegram logout`.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Api } from 'telegram';
import { RPCError } from 'telegram/errors/index.js';
import { returnBigInt } from 'telegram/Helpers.js';
import { runTelegramLogout, runTelegramStatus } from '../../src/cli/telegram-commands.js';
import { redisKeys } from '../../src/redis/keys.js';
import { loadSession, saveCachedPeers, saveSession } from '../../src/telegram/session-store.js';
import { closeAllRedis, openRedis, uniquePrefix } from '../helpers/redis.js';
import { captureLog, FakeLoginClient, removeTempDirs, scriptedIO, tempDir, testConfig } from './helpers.js';

afterEach(removeTempDirs);
afterAll(closeAllRedis);

const ME = new Api.User({ id: returnBigInt(5000001), firstName: 'Kassa', username: 'kassa_uz' });

async function withSession(env: Record<string, string> = {}) {
  const sessionDir = await tempDir();
  await saveSession(sessionDir, 'saved-session');
  return { sessionDir, config: testConfig({ SESSION_DIR: sessionDir, ...env }) };
}

const deps = (make: (s: string) => FakeLoginClient, extra: Record<string, unknown> = {}) => ({
  createClient: make,
  redis: null,
  log: captureLog().log,
  connectTimeoutMs: 500,
  requestTimeoutMs: 500,
  ...extra,
});

describe('paycue telegram status', () => {
  it('says which account the saved session is, using that session', async () => {
    const { config } = await withSession();
    const used: string[] = [];
    const io = scriptedIO([]);
    const code = await runTelegramStatus(
      config,
      io,
      deps((s) => {
        used.push(s);
        return new FakeLoginClient((req) => {
          if (req instanceof Api.users.GetUsers) return [ME];
          throw new Error('unexpected');
        });
      }),
    );
    expect(code).toBe(0);
    expect(used).toEqual(['saved-session']);
    expect(io.printed.join('\n')).toMatch(/works: logged in as Kassa \(@kassa_uz\), id 5000001/);
    expect(io.all()).not.toContain('saved-session');
  });

  it('a revoked session: exit 1 and how to fix it', async () => {
    const { config } = await withSession();
    const io = scriptedIO([]);
    const code = await runTelegramStatus(
      config,
      io,
      deps(() => new FakeLoginClient((req) => Promise.reject(new RPCError('SESSION_REVOKED', req, 401)))),
    );
    expect(code).toBe(1);
    expect(io.errors.join('\n')).toMatch(/no longer works \(SESSION_REVOKED\).*paycue --telegram/);
  });

  it('no session: exit 1 without connecting', async () => {
    const config = testConfig({ SESSION_DIR: await tempDir() });
    let made = 0;
    const io = scriptedIO([]);
    expect(await runTelegramStatus(config, io, deps(() => (made++, new FakeLoginClient(() => undefined))))).toBe(1);
    expect(made).toBe(0);
    expect(io.printed.join('\n')).toMatch(/No Telegram session.*paycue --telegram/);
  });

  it('does not connect a second process while a daemon holds the session lock', async () => {
    const redis = await openRedis();
    const prefix = uniquePrefix();
    const { config } = await withSession({ REDIS_PREFIX: prefix });
    await redis.set(redisKeys(prefix).sessionLock, 'daemonhost|777|tok', 'PX', 30_000);
    let made = 0;
    const io = scriptedIO([]);
    expect(await runTelegramStatus(config, io, deps(() => (made++, new FakeLoginClient(() => undefined)), { redis }))).toBe(0);
    expect(made).toBe(0);
    expect(io.printed.join('\n')).toMatch(/in use by a running paycue daemon \(host daemonhost, pid 777\)/);
  });
});

describe('paycue telegram logout', () => {
  it('logs out at Telegram and removes the session and its cache', async () => {
    const { config, sessionDir } = await withSession();
    await saveCachedPeers(sessionDir, '5000001', { '856254490': { id: '856254490', accessHash: '1' } });
    const client = new FakeLoginClient((req) => {
      if (req instanceof Api.auth.LogOut) return new Api.auth.LoggedOut({});
      throw new Error('unexpected');
    });
    const io = scriptedIO([]);
    expect(await runTelegramLogout(config, io, deps(() => client))).toBe(0);
    expect(client.count(Api.auth.LogOut)).toBe(1);
    expect(await loadSession(sessionDir)).toBeNull();
    expect(existsSync(join(sessionDir, 'telegram.peers.json'))).toBe(false);
    expect(io.printed.join('\n')).toMatch(/Logged out of Telegram and removed/);
  });

  it('keeps the session when Telegram cannot be reached', async () => {
    const { config, sessionDir } = await withSession();
    const client = new FakeLoginClient(() => undefined);
    client.connectImpl = () => new Promise<boolean>(() => {});
    const io = scriptedIO([]);
    expect(await runTelegramLogout(config, io, deps(() => client, { connectTimeoutMs: 100 }))).toBe(1);
    expect(await loadSession(sessionDir)).toBe('saved-session');
    expect(io.errors.join('\n')).toMatch(/NOT removed/);
  });

  it('an already revoked session is simply removed', async () => {
    const { config, sessionDir } = await withSession();
    const io = scriptedIO([]);
    const code = await runTelegramLogout(
      config,
      io,
      deps(() => new FakeLoginClient((req) => Promise.reject(new RPCError('AUTH_KEY_UNREGISTERED', req, 401)))),
    );
    expect(code).toBe(0);
    expect(await loadSession(sessionDir)).toBeNull();
    expect(io.printed.join('\n')).toMatch(/already invalid/);
  });

  it('refuses while a daemon holds the session lock', async () => {
    const redis = await openRedis();
    const prefix = uniquePrefix();
    const { config, sessionDir } = await withSession({ REDIS_PREFIX: prefix });
    await redis.set(redisKeys(prefix).sessionLock, 'daemonhost|777|tok', 'PX', 30_000);
    const io = scriptedIO([]);
    expect(await runTelegramLogout(config, io, deps(() => new FakeLoginClient(() => undefined), { redis }))).toBe(1);
    expect(io.errors.join('\n')).toMatch(/Stop it first/);
    expect(await loadSession(sessionDir)).toBe('saved-session');
  });
});
