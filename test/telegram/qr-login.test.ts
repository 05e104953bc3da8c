// `paycue --telegram --qr` with a scripted Telegram: the code on screen is read back the way a
// phone reads it (the terminal output through a terminal emulator, then a QR decoder written
// from the standard), refreshed when the token expires, and the scan, a data-centre move and 2FA
// (a real SRP check) finish the login.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Api } from 'telegram';
import { FloodWaitError, RPCError } from 'telegram/errors/index.js';
import { returnBigInt } from 'telegram/Helpers.js';
import { _handleUpdate } from 'telegram/client/updates.js';
import { runTelegramQrLogin } from '../../src/cli/telegram-commands.js';
import { qrLoginClient, createTelegramClient } from '../../src/telegram/client-factory.js';
import { loginUrl } from '../../src/telegram/qr-login.js';
import { QR_FOOTER, QR_HEADER } from '../../src/cli/qr-terminal.js';
import { loadSession } from '../../src/telegram/session-store.js';
import { decodeQr } from '../helpers/qr-decode.js';
import { qrCodesOnScreen, Screen } from '../helpers/terminal-screen.js';
import { waitFor } from '../helpers/wait.js';
import {
  authorization, captureLog, FakeLoginClient, FakeQrClient, removeTempDirs, scriptedIO, SrpServer, telegramConfig, tempDir, testConfig, type ScriptedIO,
} from './helpers.js';

afterEach(removeTempDirs);

const SESSION = '1AgAOMTQ5LjE1NC4xNjcuNTBQ-qr-session-secret';
const ME = new Api.User({ id: returnBigInt(5000001), firstName: 'Kassa', lastName: 'Bot', username: 'kassa_uz' });
const rpc = (code: string, req: Api.AnyRequest, http = 400) => new RPCError(code, req, http);

/**
 * Telegram's side of the QR login. Each exportLoginToken before the scan issues a new token
 * living `lifetimeS` seconds; `scan()` is a phone accepting the newest one. After it, the next
 * export answers success, SESSION_PASSWORD_NEEDED (2FA) or a move to another data centre.
 */
function qrTelegram(opts: { lifetimeS?: number; srp?: SrpServer; migrateTo?: number; skewS?: number } = {}) {
  const tokens: Buffer[] = [];
  const migrateToken = randomBytes(32);
  let accepted = false;
  let passwordOk = false;
  const now = () => Math.floor(Date.now() / 1000) + (opts.skewS ?? 0);
  const done = () => {
    if (opts.srp && !passwordOk) throw new RPCError('SESSION_PASSWORD_NEEDED', new Api.auth.ExportLoginToken({ apiId: 0, apiHash: '', exceptIds: [] }), 401);
    return new Api.auth.LoginTokenSuccess({ authorization: authorization(ME) });
  };
  const answer = (req: Api.AnyRequest, client: FakeLoginClient) => {
    if (req instanceof Api.help.GetConfig) return telegramConfig(now());
    if (req instanceof Api.auth.ExportLoginToken) {
      expect(req.apiId).toBe(12345);
      if (!accepted) {
        tokens.push(randomBytes(32));
        return new Api.auth.LoginToken({ token: tokens.at(-1)!, expires: now() + (opts.lifetimeS ?? 30) });
      }
      if (opts.migrateTo) return new Api.auth.LoginTokenMigrateTo({ dcId: opts.migrateTo, token: migrateToken });
      return done();
    }
    if (req instanceof Api.auth.ImportLoginToken) {
      if (!opts.migrateTo || (client as FakeQrClient).dc !== opts.migrateTo || !Buffer.from(req.token).equals(migrateToken)) throw rpc('AUTH_TOKEN_INVALID', req);
      return done();
    }
    if (req instanceof Api.account.GetPassword && opts.srp) return opts.srp.passwordParams();
    if (req instanceof Api.auth.CheckPassword && opts.srp) {
      if (!opts.srp.verify(req.password)) throw rpc('PASSWORD_HASH_INVALID', req);
      passwordOk = true;
      return authorization(ME);
    }
    throw new Error(`unexpected ${req.className}`);
  };
  return {
    tokens,
    answer,
    /** A phone accepts the code on screen; `push` false: the update is lost on the way. */
    scan(client: FakeQrClient, push = true) {
      accepted = true;
      if (push) client.pushLoginToken();
    },
  };
}

async function setup(over: { tty?: boolean; qrTimeoutMs?: number } = {}) {
  const sessionDir = join(await tempDir(), 'sessions');
  return {
    sessionDir,
    config: testConfig({ SESSION_DIR: sessionDir }),
    deps: (client: FakeQrClient) => ({
      createQrClient: () => client,
      redis: null,
      log: captureLog().log,
      connectTimeoutMs: 2000,
      requestTimeoutMs: 2000,
      tty: over.tty ?? true,
      ...(over.qrTimeoutMs !== undefined ? { qrTimeoutMs: over.qrTimeoutMs } : {}),
    }),
  };
}

/** The terminal after everything printed so far. */
const screenOf = (io: ScriptedIO) => new Screen().write(io.printed.map((l) => `${l}\n`).join(''));
const urlsOnScreen = (io: ScriptedIO) => qrCodesOnScreen(screenOf(io)).map((m) => decodeQr(m).text);

describe('paycue --telegram --qr', () => {
  it('shows a code that reads as tg://login?token=<the token>, logs in after the scan, saves the session 0600', async () => {
    const { config, sessionDir, deps } = await setup();
    const tg = qrTelegram();
    const client = new FakeQrClient(tg.answer, SESSION);
    const io = scriptedIO([]);
    const done = runTelegramQrLogin(config, io, deps(client));
    await waitFor('a code on screen', () => urlsOnScreen(io).length === 1);
    expect(urlsOnScreen(io)).toEqual([loginUrl(tg.tokens[0]!)]);
    expect(loginUrl(tg.tokens[0]!)).toMatch(/^tg:\/\/login\?token=[A-Za-z0-9_-]{43}$/); // base64url, no padding
    const text = screenOf(io).text();
    expect(text.slice(0, 2)).toEqual(QR_HEADER);
    expect(text.slice(-2)).toEqual(QR_FOOTER);
    expect(Math.max(...text.map((l) => [...l].length))).toBeLessThan(80);
    expect(text.length).toBeLessThanOrEqual(23); // an 80×24 window, with the prompt line
    expect(client.listening()).toBe(1);

    tg.scan(client);
    expect(await done).toBe(0);
    expect(io.printed.join('\n')).toMatch(/Logged in as Kassa Bot \(@kassa_uz\), id 5000001/);
    expect(await loadSession(sessionDir)).toBe(SESSION);
    expect((await stat(join(sessionDir, 'telegram.session'))).mode & 0o777).toBe(0o600);
    expect(tg.tokens).toHaveLength(1); // the scan was taken at once, not at the next refresh
    expect(client.listening()).toBe(0);
    expect(client.destroyed).toBe(true);
    expect(io.questions).toEqual([]); // no phone number, no code
    expect(io.all()).not.toContain(SESSION);
  });

  it('on a terminal an expired code is replaced in place: one code on screen, the newest', async () => {
    const { config, deps } = await setup({ tty: true });
    const tg = qrTelegram({ lifetimeS: 1 });
    const client = new FakeQrClient(tg.answer, SESSION);
    const io = scriptedIO([]);
    const done = runTelegramQrLogin(config, io, deps(client));
    await waitFor('two refreshes', () => tg.tokens.length >= 3 && urlsOnScreen(io).length === 1 && urlsOnScreen(io)[0] === loginUrl(tg.tokens.at(-1)!));
    const text = screenOf(io).text();
    expect(text.filter((l) => l === QR_HEADER[0])).toHaveLength(1);
    expect(text.filter((l) => l === QR_FOOTER[1])).toHaveLength(1);
    expect(text.slice(0, 2)).toEqual(QR_HEADER); // nothing left above it
    expect(io.printed.filter((l) => l.includes(QR_HEADER[0]!))).toHaveLength(tg.tokens.length); // drawn each time, over the last
    tg.scan(client);
    expect(await done).toBe(0);
  });

  it('piped (no terminal) each new code comes below the last, announced', async () => {
    const { config, deps } = await setup({ tty: false });
    const tg = qrTelegram({ lifetimeS: 1 });
    const client = new FakeQrClient(tg.answer, SESSION);
    const io = scriptedIO([]);
    const done = runTelegramQrLogin(config, io, deps(client));
    await waitFor('a second code', () => urlsOnScreen(io).length === 2);
    expect(urlsOnScreen(io)).toEqual(tg.tokens.slice(0, 2).map(loginUrl));
    expect(screenOf(io).text()).toContain('The code expired; a new one:');
    expect(io.printed.join('')).not.toContain('\x1b[J');
    tg.scan(client);
    expect(await done).toBe(0);
  });

  it('a scan whose update never arrives is caught when the code is refreshed', async () => {
    const { config, sessionDir, deps } = await setup();
    const tg = qrTelegram({ lifetimeS: 1 });
    const client = new FakeQrClient(tg.answer, SESSION);
    const io = scriptedIO([]);
    const done = runTelegramQrLogin(config, io, deps(client));
    await waitFor('a code on screen', () => tg.tokens.length === 1);
    tg.scan(client, false);
    expect(await done).toBe(0);
    expect(await loadSession(sessionDir)).toBe(SESSION);
  });

  it('the expiry is read on Telegram\'s clock: a machine 10 minutes behind still refreshes on time', async () => {
    const { config, deps } = await setup();
    const tg = qrTelegram({ lifetimeS: 1, skewS: 600 });
    const client = new FakeQrClient(tg.answer, SESSION);
    const io = scriptedIO([]);
    const done = runTelegramQrLogin(config, io, deps(client));
    // Read on this machine's clock, the token would look valid for 10 min and the screen would
    // keep a dead code that long (the wait is capped at 60 s; the test's waitFor at 10 s).
    await waitFor('a refresh', () => tg.tokens.length >= 2);
    tg.scan(client);
    expect(await done).toBe(0);
  });

  it('2FA after the scan: the hidden password prompt, a wrong password asked again, the right one proved by SRP', async () => {
    const { config, sessionDir, deps } = await setup();
    const srp = new SrpServer('correct horse', 'horse');
    const tg = qrTelegram({ srp });
    const client = new FakeQrClient(tg.answer, SESSION);
    const io = scriptedIO(['wrong horse', 'correct horse']);
    const done = runTelegramQrLogin(config, io, deps(client));
    await waitFor('a code on screen', () => tg.tokens.length === 1);
    tg.scan(client);
    expect(await done).toBe(0);
    expect(io.printed.join('\n')).toMatch(/Scanned\. This account has two-step verification/);
    const pw = io.questions.filter((q) => q.text.startsWith('Two-step verification password'));
    expect(pw).toHaveLength(2);
    expect(pw.every((q) => q.hidden)).toBe(true);
    expect(pw[0]!.text).toContain('(hint: horse)');
    expect(io.errors.join('\n')).toMatch(/Wrong password/);
    expect(client.count(Api.auth.CheckPassword)).toBe(2);
    expect(await loadSession(sessionDir)).toBe(SESSION);
    expect(io.all()).not.toContain('correct horse');
  }, 30_000);

  it('an account on another data centre: moves there and imports the token, then 2FA there', async () => {
    const { config, sessionDir, deps } = await setup();
    const srp = new SrpServer('s3cret');
    const tg = qrTelegram({ migrateTo: 4, srp });
    const client = new FakeQrClient(tg.answer, SESSION);
    const io = scriptedIO(['s3cret']);
    const done = runTelegramQrLogin(config, io, deps(client));
    await waitFor('a code on screen', () => tg.tokens.length === 1);
    tg.scan(client);
    expect(await done).toBe(0);
    expect(client.dcSwitches).toEqual([4]);
    expect(client.count(Api.auth.ImportLoginToken)).toBe(1);
    expect(io.printed.join('\n')).toMatch(/data centre 4: moving there/);
    expect(await loadSession(sessionDir)).toBe(SESSION);
  }, 30_000);

  it('nobody scans: gives up after the time limit, exit 1, nothing saved', async () => {
    const { config, sessionDir, deps } = await setup({ qrTimeoutMs: 1500 });
    const tg = qrTelegram({ lifetimeS: 1 });
    const client = new FakeQrClient(tg.answer, SESSION);
    const io = scriptedIO([]);
    expect(await runTelegramQrLogin(config, io, deps(client))).toBe(1);
    expect(io.errors.join('\n')).toMatch(/Nobody scanned the QR code/);
    expect(await loadSession(sessionDir)).toBeNull();
    expect(client.listening()).toBe(0);
  });

  it('Ctrl+C while the code waits: cancelled, exit 1, nothing saved', async () => {
    const { config, sessionDir, deps } = await setup();
    const tg = qrTelegram();
    const client = new FakeQrClient(tg.answer, SESSION);
    const io = scriptedIO([]);
    const done = runTelegramQrLogin(config, io, deps(client));
    await waitFor('a code on screen', () => tg.tokens.length === 1);
    io.interrupt();
    expect(await done).toBe(1);
    expect(io.errors.join('\n')).toMatch(/Login cancelled/);
    expect(await loadSession(sessionDir)).toBeNull();
    expect(client.destroyed).toBe(true);
  });

  it('a flood wait on the token request: how long, exit 1', async () => {
    const { config, deps } = await setup();
    const client = new FakeQrClient((req) => {
      if (req instanceof Api.help.GetConfig) return telegramConfig(Math.floor(Date.now() / 1000));
      throw new FloodWaitError({ request: req, capture: 120 });
    });
    const io = scriptedIO([]);
    expect(await runTelegramQrLogin(config, io, deps(client))).toBe(1);
    expect(io.errors.join('\n')).toMatch(/wait 120 seconds \(2 min/);
  });
});

describe('the GramJS client for the QR login', () => {
  it('hears updateLoginToken through GramJS\'s own update handling, and stops hearing it when unsubscribed', async () => {
    const client = qrLoginClient(createTelegramClient({ appId: 12345, appHash: 'f'.repeat(32), session: '', log: captureLog().log, purpose: 'cli' }));
    client._selfInputPeer = new Api.InputPeerUser({ userId: returnBigInt(1), accessHash: returnBigInt(1) });
    let heard = 0;
    const stop = client.onLoginToken(() => heard++);
    // A handler after ours: GramJS runs handlers one after the other, so once it has seen an
    // update, ours has had its turn at it.
    let seen = 0;
    client.addEventHandler(() => seen++);
    const push = (update: Api.TypeUpdate) => _handleUpdate(client, new Api.UpdateShort({ update, date: 0 }) as unknown as Api.TypeUpdate); // as Telegram sends it
    push(new Api.UpdateUserTyping({ userId: returnBigInt(1), action: new Api.SendMessageTypingAction() }));
    await waitFor('the first update', () => seen === 1);
    expect(heard).toBe(0); // another update is not a scan
    push(new Api.UpdateLoginToken());
    await waitFor('the second update', () => seen === 2);
    expect(heard).toBe(1);
    stop();
    push(new Api.UpdateLoginToken());
    await waitFor('the third update', () => seen === 3);
    expect(heard).toBe(1);
    await client.destroy();
  });
});

describe('the tests\' QR reader', () => {
  const matrix = (text: string, level: 'L' | 'M' | 'Q' | 'H', maskPattern: number) => {
    const q = QRCode.create(text, { errorCorrectionLevel: level, maskPattern } as QRCode.QRCodeOptions);
    const n = q.modules.size;
    return Array.from({ length: n }, (_, y) => Array.from({ length: n }, (_, x) => Boolean(q.modules.get(y, x))));
  };

  it('reads what the qrcode package draws, at every level and mask, in every segment mode and up to version 17', () => {
    const texts = ['tg://login?token=' + randomBytes(32).toString('base64url'), 'HELLO WORLD 1234567890123', '12345', 'ünïcödé ✓', 'x'.repeat(300)];
    for (const text of texts) {
      for (const level of ['L', 'M', 'Q', 'H'] as const) {
        for (let mask = 0; mask < 8; mask++) expect(decodeQr(matrix(text, level, mask))).toMatchObject({ text, level, mask });
      }
    }
    expect(decodeQr(matrix('x'.repeat(300), 'H', 0)).version).toBeGreaterThanOrEqual(7); // with version information
  });

  it('refuses a damaged code instead of guessing', () => {
    const m = matrix('tg://login?token=' + randomBytes(32).toString('base64url'), 'M', 3);
    const data = m.map((r) => [...r]);
    data[m.length - 1]![m.length - 1] = !data[m.length - 1]![m.length - 1]; // the first data module
    expect(() => decodeQr(data)).toThrow(/Reed-Solomon/);
    const format = m.map((r) => [...r]);
    format[8]![0] = !format[8]![0];
    expect(() => decodeQr(format)).toThrow(/format information/);
  });
});
