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
import { captureLog, FakeLoginClient, gramStringSession, removeTempDirs, scriptedIO, tempDir, testConfig } from './helpers.js';

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

describe('with TELEGRAM_SESSION', () => {
  const getMe = (req: Api.AnyRequest) => {
    if (req instanceof Api.users.GetUsers) return [ME];
    throw new Error('unexpected');
  };

  it('status checks the session from the environment, not the saved file, and never prints it', async () => {
    const env = await gramStringSession();
    const { config } = await withSession({ TELEGRAM_SESSION: env });
    const used: string[] = [];
    const io = scriptedIO([]);
    expect(await runTelegramStatus(config, io, deps((s) => (used.push(s), new FakeLoginClient(getMe))))).toBe(0);
    expect(used).toEqual([env]);
    expect(io.printed.join('\n')).toMatch(/The session in TELEGRAM_SESSION works: logged in as Kassa/);
    expect(io.printed.join('\n')).toMatch(/no session file is read/);
    expect(io.all()).not.toContain(env.slice(1, 30));
  });

  it('status without any session file works from the environment alone', async () => {
    const env = await gramStringSession();
    const config = testConfig({ SESSION_DIR: join(await tempDir(), 'never-created'), TELEGRAM_SESSION: env });
    const io = scriptedIO([]);
    expect(await runTelegramStatus(config, io, deps(() => new FakeLoginClient(getMe)))).toBe(0);
  });

  it('a revoked TELEGRAM_SESSION: status says to log in and replace the variable', async () => {
    const config = testConfig({ SESSION_DIR: await tempDir(), TELEGRAM_SESSION: await gramStringSession() });
    const io = scriptedIO([]);
    const code = await runTelegramStatus(config, io, deps(() => new FakeLoginClient((req) => Promise.reject(new RPCError('SESSION_REVOKED', req, 401)))));
    expect(code).toBe(1);
    expect(io.errors.join('\n')).toMatch(/TELEGRAM_SESSION no longer works \(SESSION_REVOKED\).*paycue --telegram.*set TELEGRAM_SESSION.*export-session/);
  });

  it('logout ends that session at Telegram, keeps an unrelated saved file, and says to remove the variable', async () => {
    const env = await gramStringSession();
    const { config, sessionDir } = await withSession({ TELEGRAM_SESSION: env });
    const used: string[] = [];
    const client = new FakeLoginClient((req) => {
      if (req instanceof Api.auth.LogOut) return new Api.auth.LoggedOut({});
      throw new Error('unexpected');
    });
    const io = scriptedIO([]);
    expect(await runTelegramLogout(config, io, deps((s) => (used.push(s), client)))).toBe(0);
    expect(used).toEqual([env]);
    expect(client.count(Api.auth.LogOut)).toBe(1);
    expect(await loadSession(sessionDir)).toBe('saved-session');
    expect(io.printed.join('\n')).toMatch(/session in TELEGRAM_SESSION is ended[\s\S]*Remove TELEGRAM_SESSION/);
  });

  it('logout removes a saved file that holds the same session', async () => {
    const env = await gramStringSession();
    const sessionDir = await tempDir();
    await saveSession(sessionDir, env);
    const config = testConfig({ SESSION_DIR: sessionDir, TELEGRAM_SESSION: env });
    const client = new FakeLoginClient((req) => (req instanceof Api.auth.LogOut ? new Api.auth.LoggedOut({}) : undefined));
    expect(await runTelegramLogout(config, scriptedIO([]), deps(() => client))).toBe(0);
    expect(await loadSession(sessionDir)).toBeNull();
  });
});
