// TELEGRAM_SESSION: the session from the environment, for hosts without a writable disk. Its
// check, the daemon's use of it instead of SESSION_DIR's file, the session lock that still
// applies, and a SESSION_DIR that cannot be written (only the peers cache lives there then).
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api } from 'telegram';
import { RPCError } from 'telegram/errors/index.js';
import { StringSession } from 'telegram/sessions/index.js';
import { ConfigError } from '../../src/config/env.js';
import { watcherSettings } from '../../src/daemon/rules.js';
import { telegramStarter } from '../../src/daemon/telegram.js';
import { PeerCache, resolveBotAgain, resolveWatchedBots } from '../../src/telegram/bot-peer.js';
import { checkSavedSession, clientMaker } from '../../src/telegram/open-session.js';
import { PEERS_FILE, SESSION_FILE, saveSession } from '../../src/telegram/session-store.js';
import { sessionStringProblem } from '../../src/telegram/session-string.js';
import { TelegramStartError } from '../../src/telegram/errors.js';
import { uniquePrefix } from '../helpers/redis.js';
import { cleanup, harness } from './harness.js';
import { runExportSession } from '../../src/cli/telegram-commands.js';
import { captureLog, gramStringSession, HUMO, RecordedTelegram, scriptedIO, tempDir, testConfig } from './helpers.js';

const readOnly: string[] = [];
afterEach(async () => {
  for (const dir of readOnly.splice(0)) {
    if (process.getuid?.() === 0) execFileSync('chattr', ['-i', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
  await cleanup();
});

/** A directory nobody can write, root included (root ignores modes: the immutable flag stops it too). */
function readOnlyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'paycue-ro-'));
  if (process.getuid?.() === 0) execFileSync('chattr', ['+i', dir]);
  else execFileSync('chmod', ['0500', dir]);
  readOnly.push(dir);
  expect(() => writeFileSync(join(dir, 'probe'), 'x')).toThrow(); // the premise of every test using it
  return dir;
}

const configError = (env: Record<string, string>): ConfigError => {
  try {
    testConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('the configuration was accepted');
};

describe('TELEGRAM_SESSION: the check', () => {
  it('accepts what GramJS writes (IPv4 and IPv6 data centres), with surrounding spaces', async () => {
    const v4 = await gramStringSession();
    const v6 = await gramStringSession(4, '2001:67c:4e8:f004::b', 443);
    expect(sessionStringProblem(v4)).toBeNull();
    expect(sessionStringProblem(v6)).toBeNull();
    expect(testConfig({ TELEGRAM_SESSION: `  ${v4}\n` }).telegramSession).toBe(v4);
    expect(testConfig({}).telegramSession).toBeUndefined();
  });

  it('refuses malformed values, naming the variable and never echoing the value', async () => {
    const good = await gramStringSession();
    const bad = {
      cut: good.slice(0, 200),
      'wrapped with a line break': `${good.slice(0, 100)}\\n${good.slice(100)}`,
      'a file path': '/home/paycue/sessions/telegram.session',
      'version 2': `2${good.slice(1)}`,
      'two keys glued': good + good.slice(1),
    };
    for (const [what, value] of Object.entries(bad)) {
      const err = configError({ TELEGRAM_SESSION: value });
      expect(err.problems.map((p) => p.variable), what).toEqual(['TELEGRAM_SESSION']);
      expect(err.message, what).toMatch(/TELEGRAM_SESSION: .*(not a Telegram string session|too short)/);
      expect(err.message, what).toMatch(/the value is not shown/);
      // Not the value, nor any long piece of it.
      for (let i = 0; i + 24 <= value.length; i += 12) expect(err.message, what).not.toContain(value.slice(i, i + 24));
    }
  });
});

describe('paycue telegram export-session', () => {
  it('refuses a saved file that TELEGRAM_SESSION would refuse, without printing it', async () => {
    const dir = await tempDir();
    await saveSession(dir, 'half-a-session-copied-by-hand');
    const io = scriptedIO([]);
    expect(await runExportSession(testConfig({ SESSION_DIR: dir }), io)).toBe(2);
    expect(io.printed).toEqual([]);
    expect(io.errors.join('\n')).toMatch(/holds no usable session \(not a Telegram string session.*\): run `paycue --telegram` to log in again/);
    expect(io.all()).not.toContain('half-a-session');
  });
});

describe('a session in the wrong variable', () => {
  it('is not quoted back by that variable\'s error', async () => {
    const session = await gramStringSession();
    const err = configError({ WATCH_ID: session, TRANSACTION_TTL: session });
    expect(err.problems.map((p) => p.variable).sort()).toEqual(['TRANSACTION_TTL', 'WATCH_ID']);
    expect(err.message).toMatch(/WATCH_ID: expected a whole number, got "1…\(a Telegram session: not shown\)"/);
    expect(err.message).not.toContain(session.slice(1, 40));
  });
});

describe('TELEGRAM_SESSION: the daemon', () => {
  it('is used instead of SESSION_DIR, which is not even read (a missing or unreadable directory is fine)', async () => {
    const session = await gramStringSession(2, '149.154.167.51', 443);
    const settings = watcherSettings(testConfig({ TELEGRAM_SESSION: session, SESSION_DIR: readOnlyDir() }));
    const checked = await checkSavedSession(settings);
    expect(checked.source).toBe('env');
    expect(checked.session).toBeInstanceOf(StringSession);
    expect(checked.session.dcId).toBe(2);
    expect(checked.session.serverAddress).toBe('149.154.167.51');
    // No session file anywhere: the daemon's pre-flight check passes (without it, it refuses).
    await expect(telegramStarter().preflight!(settings)).resolves.toBeUndefined();
    const withoutEnv = watcherSettings(testConfig({ SESSION_DIR: await tempDir() }));
    await expect(telegramStarter().preflight!(withoutEnv)).rejects.toThrow(/no Telegram session in .*paycue --telegram/);
  });

  it('wins over a saved file, and the client the daemon builds carries exactly that session', async () => {
    const env = await gramStringSession(2);
    const file = await gramStringSession(4);
    const dir = await tempDir();
    await saveSession(dir, file);
    const logs = captureLog();
    const make = await clientMaker({ settings: watcherSettings(testConfig({ TELEGRAM_SESSION: env, SESSION_DIR: dir })), log: logs.log });
    const client = make();
    await client.session.load(); // what connect() does first: the auth key is read then
    expect(client.session.save()).toBe(env);
    expect(logs.text()).toMatch(/session from TELEGRAM_SESSION/);
    expect(logs.text()).not.toContain(env.slice(1, 40));
    await client.destroy();

    const fromFile = (await clientMaker({ settings: watcherSettings(testConfig({ SESSION_DIR: dir })), log: captureLog().log }))();
    await fromFile.session.load();
    expect(fromFile.session.save()).toBe(file);
    await fromFile.destroy();
  });

  it('a session GramJS cannot load is refused as TELEGRAM_SESSION (not as a corrupt file), without the value', async () => {
    // Past the configuration's shape check (settings made by hand), GramJS's own parser is the last word.
    const settings = { ...watcherSettings(testConfig({})), session: '1!!!not-base64' };
    const err = await checkSavedSession(settings).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TelegramStartError);
    expect((err as TelegramStartError).reason).toBe('no-session');
    expect((err as Error).message).toMatch(/TELEGRAM_SESSION is not a usable Telegram session.*export-session/);
    expect((err as Error).message).not.toContain('not-base64');
  });

  it('runs with a read-only SESSION_DIR: no session file, bots resolved, one warning about the cache', async () => {
    const dir = readOnlyDir();
    const h = await harness({ sessionDir: dir, env: { TELEGRAM_SESSION: await gramStringSession() } });
    expect(h.watcher.status().me?.id).toBe('5000001');
    expect(h.client.sent(Api.contacts.ResolveUsername)).toHaveLength(1);
    const warnings = h.logs.lines.filter((l) => l.includes('SESSION_DIR cannot be written'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!).level).toBe('warn');
    expect(existsSync(join(dir, SESSION_FILE))).toBe(false);
    expect(existsSync(join(dir, PEERS_FILE))).toBe(false);
  });

  it('with a writable SESSION_DIR the peers cache is kept there, and no session file is written', async () => {
    const dir = await tempDir();
    const h = await harness({ sessionDir: dir, env: { TELEGRAM_SESSION: await gramStringSession() } });
    expect(h.watcher.status().me?.id).toBe('5000001');
    const cache = JSON.parse(await readFile(join(dir, PEERS_FILE), 'utf8'));
    expect(cache.peers[String(HUMO)].id).toBe(String(HUMO));
    expect(existsSync(join(dir, SESSION_FILE))).toBe(false);
    expect(h.logs.text()).not.toMatch(/SESSION_DIR cannot be written/);
  });

  it('the peers cache says it cannot be written once, however often it is written', async () => {
    const logs = captureLog();
    const client = new RecordedTelegram(logs.log);
    const cache = new PeerCache(readOnlyDir(), '5000001', logs.log);
    const bots = await resolveWatchedBots({ client, bots: [{ name: 'humo', id: HUMO }], cache, log: logs.log, timeoutMs: 2000 });
    await resolveBotAgain({ client, bot: bots[0]!, cache, log: logs.log, timeoutMs: 2000 });
    await resolveBotAgain({ client, bot: bots[0]!, cache, log: logs.log, timeoutMs: 2000 });
    expect(client.sent(Api.contacts.ResolveUsername)).toHaveLength(3);
    const lines = logs.lines.map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(lines.filter((l) => /SESSION_DIR cannot be written/.test(l.msg))).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'could not write the bank bots cache').map((l) => l.level)).toEqual(['debug', 'debug']);
  });

  it('the session lock still applies: a second daemon on the same session and Redis is refused', async () => {
    const session = await gramStringSession();
    const prefix = uniquePrefix();
    const first = await harness({ prefix, env: { TELEGRAM_SESSION: session } });
    expect(first.watcher.status().connected).toBe(true);
    const second = await harness({ prefix, env: { TELEGRAM_SESSION: session } }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(TelegramStartError);
    expect((second as TelegramStartError).reason).toBe('locked');
    expect((second as Error).message).toMatch(/AUTH_KEY_DUPLICATED/);
  });
});

// A revoked TELEGRAM_SESSION names the way out (log in, export, replace the variable).
describe('TELEGRAM_SESSION revoked', () => {
  it('the start-up refusal says to export a new session into TELEGRAM_SESSION', async () => {
    const client = new RecordedTelegram(captureLog().log);
    client.getMeImpl = () => Promise.reject(new RPCError('AUTH_KEY_UNREGISTERED', new Api.users.GetUsers({ id: [] }), 401));
    const err = await harness({ client, env: { TELEGRAM_SESSION: await gramStringSession() } }).catch((e: unknown) => e);
    expect((err as TelegramStartError).reason).toBe('session-revoked');
    expect((err as Error).message).toMatch(/paycue --telegram.*TELEGRAM_SESSION.*export-session/);
  });
});
