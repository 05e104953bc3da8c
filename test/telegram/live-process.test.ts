// The built `paycue` process against the test Telegram: the interactive login (`paycue
// --telegram`: code, wrong code, 2FA) answered on stdin as a person would, the saved session
// then working; and the daemon's exit code when Telegram revokes its session.
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/local-redis.js';
import { sessionPath } from '../../src/telegram/session-store.js';
import { runChild, type Child } from '../helpers/child.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { SrpServer } from '../mtproto-server/index.js';
import { destroyClients, gramClient } from '../mtproto-server/client.js';
import { removeTempDirs } from './helpers.js';
import { childEnv, closeLiveTelegrams, liveTelegram, MERCHANT_PHONE } from './live.js';

const children: Child[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.proc.kill('SIGKILL');
  await destroyClients();
  await closeLiveTelegrams();
  await removeTempDirs();
});

function paycue(args: string[], env: Record<string, string>): Child & { answer(line: string): void; prompted(what: RegExp): Promise<void> } {
  const c = runChild(args, env, { keepStdinOpen: true });
  children.push(c);
  let from = 0;
  return Object.assign(c, {
    answer(line: string) {
      c.proc.stdin!.write(line + '\n');
    },
    /** Waits for the next output matching `what` (after what was already matched). */
    async prompted(what: RegExp) {
      await waitFor(`paycue to print ${what}`, () => {
        const m = what.exec(c.output().slice(from));
        if (m) from += m.index + m[0].length;
        return !!m;
      });
    },
  });
}

describe('paycue --telegram against the test Telegram', () => {
  it('logs in with the code Telegram sent (after a wrong one); the saved session is the account\'s', async () => {
    const live = await liveTelegram({ loggedIn: false });
    const p = paycue(['--telegram'], await childEnv(live));
    await p.prompted(/Phone number/);
    p.answer(MERCHANT_PHONE);
    await p.prompted(/Telegram sent a login code to your Telegram app[\s\S]*Login code: /);
    const code = live.tg.lastCode(MERCHANT_PHONE);
    p.answer(code === '12345' ? '54321' : '12345');
    await p.prompted(/That code is wrong/);
    p.answer(code);
    expect(await p.exited).toBe(0);
    expect(p.output()).toMatch(/Logged in as Kassa \(@kassa_uz\), id \d+/);
    expect(p.output()).not.toContain(code);
    // The process made its own auth key with the server (the test RSA key) and logged it in.
    expect(live.tg.keysInUse).toBe(1);
    expect(live.tg.sessionsOf(live.merchant)).toHaveLength(1);
    const saved = (await readFile(sessionPath(live.sessionDir), 'utf8')).trim();
    const client = gramClient(live.tg, saved);
    await client.connect();
    expect((await client.getMe()).id.toString()).toBe(String(live.merchant.id));
  });

  it('2FA: asks for the password after the code, says a wrong one is wrong, logs in with the right one', async () => {
    const live = await liveTelegram({ loggedIn: false, password: new SrpServer('kassa-2fa-pass', 'the shop one') });
    const p = paycue(['--telegram'], { ...(await childEnv(live)), TG_PHONE: MERCHANT_PHONE });
    await p.prompted(/Phone number \(international format\) \[\+998901234567\]: /);
    p.answer('');
    await p.prompted(/Login code: /);
    p.answer(live.tg.lastCode(MERCHANT_PHONE));
    await p.prompted(/Two-step verification password \(hint: the shop one\): /);
    p.answer('not-the-password');
    await p.prompted(/Wrong password\. Try again\.[\s\S]*Two-step verification password/);
    p.answer('kassa-2fa-pass');
    expect(await p.exited).toBe(0);
    expect(p.output()).toMatch(/Logged in as Kassa/);
    expect(p.output()).not.toMatch(/kassa-2fa-pass|not-the-password/);
    expect(live.tg.sessionsOf(live.merchant)).toHaveLength(1);
  });

  it('an expired code: paycue asks Telegram for a new one, and the new code logs in', async () => {
    const live = await liveTelegram({ loggedIn: false });
    const p = paycue(['--telegram'], await childEnv(live));
    await p.prompted(/Phone number/);
    p.answer(MERCHANT_PHONE);
    await p.prompted(/Login code: /);
    const first = live.tg.lastCode(MERCHANT_PHONE);
    live.tg.expireCodes();
    p.answer(first);
    await p.prompted(/The code has expired; asking Telegram for a new one\.[\s\S]*Telegram sent a new login code[\s\S]*Login code: /);
    expect(live.tg.codes).toHaveLength(2);
    p.answer(live.tg.lastCode(MERCHANT_PHONE));
    expect(await p.exited).toBe(0);
    expect(live.tg.sessionsOf(live.merchant)).toHaveLength(1);
  });

  it('a flood wait on sendCode: says how long to wait and exits 1, without retrying', async () => {
    const live = await liveTelegram({ loggedIn: false });
    live.tg.faults.floodWait('auth.SendCode', 4000);
    const p = paycue(['--telegram'], { ...(await childEnv(live)), TG_PHONE: MERCHANT_PHONE });
    await p.prompted(/Phone number/);
    p.answer('');
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/Telegram asks to wait 4000 seconds \(1 h 6 min\, until [^)]+\) before trying again \(FLOOD_WAIT\)/);
    expect(live.tg.count('auth.SendCode')).toBe(1);
  });

  it('send-code then verify in two processes: the code belongs to the session send-code kept (a wrong one first)', async () => {
    const live = await liveTelegram({ loggedIn: false });
    const env = await childEnv(live);
    const send = paycue(['telegram', 'send-code', '--phone', MERCHANT_PHONE], env);
    expect(await send.exited).toBe(0);
    expect(send.output()).toMatch(/Telegram sent a login code to your Telegram app/);
    const code = live.tg.lastCode(MERCHANT_PHONE);
    const wrong = paycue(['telegram', 'verify', '--code', code === '12345' ? '54321' : '12345'], env);
    expect(await wrong.exited).toBe(1);
    expect(wrong.output()).toMatch(/That code is wrong/);
    const right = paycue(['telegram', 'verify', '--code', code], env);
    expect(await right.exited).toBe(0);
    expect(right.output()).toMatch(/Logged in as Kassa \(@kassa_uz\)/);
    // One auth key did it all: the one send-code made and saved with the pending login.
    expect(live.tg.keysInUse).toBe(1);
    expect(live.tg.sessionsOf(live.merchant)).toHaveLength(1);
  });

  it('the test-server variables without NODE_ENV=test: exit 2 naming them, and no connection is made', async () => {
    const live = await liveTelegram({ loggedIn: false });
    const { NODE_ENV: _, ...env } = await childEnv(live);
    const p = paycue(['--telegram'], env);
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/PAYCUE_TEST_TELEGRAM_DC: for paycue's own tests only/);
    expect(live.tg.stats.authKeysCreated + live.tg.requests.length).toBe(0);
  });
});

describe('paycue telegram status / logout against the test Telegram', () => {
  it('status says whose the saved session is; logout ends it at Telegram and removes it', async () => {
    const live = await liveTelegram();
    const env = { ...(await childEnv(live)), REDIS_URL: redisUrl(), REDIS_PREFIX: uniquePrefix() };
    const status = paycue(['telegram', 'status'], env);
    expect(await status.exited).toBe(0);
    expect(status.output()).toMatch(/The saved session works: logged in as Kassa \(@kassa_uz\), id \d+/);
    expect(live.tg.sessionsOf(live.merchant)).toHaveLength(1);
    const logout = paycue(['telegram', 'logout'], env);
    expect(await logout.exited).toBe(0);
    expect(logout.output()).toMatch(/Logged out of Telegram and removed/);
    expect(live.tg.sessionsOf(live.merchant)).toHaveLength(0);
    await expect(readFile(sessionPath(live.sessionDir), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a session Telegram revoked: status says so (exit 1); logout removes it as already invalid', async () => {
    const live = await liveTelegram();
    const env = { ...(await childEnv(live)), REDIS_URL: redisUrl(), REDIS_PREFIX: uniquePrefix() };
    live.tg.revoke(live.merchant);
    const status = paycue(['telegram', 'status'], env);
    expect(await status.exited).toBe(1);
    expect(status.output()).toMatch(/The saved session no longer works \(AUTH_KEY_UNREGISTERED\)[\s\S]*paycue --telegram/);
    const logout = paycue(['telegram', 'logout'], env);
    expect(await logout.exited).toBe(0);
    expect(logout.output()).toMatch(/The session was already invalid at Telegram; removed/);
  });
});

describe('the paycue daemon process against the test Telegram', () => {
  it('Telegram revokes the session while it runs: exit 2 at the next read, saying to log in again', async () => {
    const live = await liveTelegram();
    const d = paycue([], {
      ...(await childEnv(live)),
      API_USERNAME: 'merchant', API_PASSWORD: 's3cret-pass', HOST: '127.0.0.1', PORT: String(await freePort()),
      REDIS_URL: redisUrl(), REDIS_PREFIX: uniquePrefix(), WEBHOOK_URL: 'http://127.0.0.1:9/hook',
    });
    await d.prompted(/telegram connected/);
    await waitFor('the first chat read', () => live.tg.count('messages.GetHistory') > 0);
    live.tg.revoke(live.merchant);
    // What makes paycue ask Telegram again: a connection drop (its reads follow every reconnect).
    live.tg.dropConnections();
    expect(await d.exited).toBe(2);
    expect(d.output()).toMatch(/no longer valid \(AUTH_KEY_UNREGISTERED\).*paycue --telegram/);
  });
});
