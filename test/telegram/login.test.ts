// The login commands with scripted prompts and a scripted client throwing GramJS's own errors.
// 2FA is checked with a real SRP verifier against GramJS's computeCheck.
import { afterEach, describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Api } from 'telegram';
import { FloodWaitError, RPCError } from 'telegram/errors/index.js';
import { returnBigInt } from 'telegram/Helpers.js';
import { runSendCode, runTelegramLogin, runVerify } from '../../src/cli/telegram-commands.js';
import { loadPendingLogin, loadSession, saveSession, PENDING_FILE } from '../../src/telegram/session-store.js';
import {
  authorization,
  captureLog,
  FakeLoginClient,
  gramStringSession,
  removeTempDirs,
  scriptedIO,
  sentCode,
  SrpServer,
  tempDir,
  testConfig,
} from './helpers.js';

afterEach(removeTempDirs);

const PHONE = '+998901234567';
const SESSION = '1AgAOMTQ5LjE1NC4xNjcuNTBQ-fake-session-secret';
const ME = new Api.User({ id: returnBigInt(5000001), firstName: 'Kassa', lastName: 'Bot', username: 'kassa_uz' });

const rpc = (code: string, req: Api.AnyRequest, http = 400) => new RPCError(code, req, http);

async function setup(env: Record<string, string> = {}) {
  const dir = await tempDir();
  const sessionDir = join(dir, 'sessions');
  return { sessionDir, config: testConfig({ SESSION_DIR: sessionDir, TG_PHONE: PHONE, ...env }) };
}

function deps(client: FakeLoginClient | (() => FakeLoginClient), extra: Record<string, unknown> = {}) {
  const make = typeof client === 'function' ? client : () => client;
  return { createClient: make, redis: null, log: captureLog().log, connectTimeoutMs: 2000, requestTimeoutMs: 2000, ...extra };
}

/** Telegram that accepts `code` (one hash at a time) and, if given, a 2FA password. */
function telegram(opts: { code: string; srp?: SrpServer; expireFirst?: boolean }) {
  let hashes = 0;
  let expired = !opts.expireFirst;
  let codeOk = false;
  return (req: Api.AnyRequest) => {
    if (req instanceof Api.auth.SendCode) {
      expect(req.phoneNumber).toBe(PHONE);
      expect(req.apiId).toBe(12345);
      return sentCode(`hash${++hashes}`);
    }
    if (req instanceof Api.auth.SignIn) {
      if (req.phoneCodeHash !== `hash${hashes}`) throw rpc('PHONE_CODE_EXPIRED', req);
      if (!expired) {
        expired = true;
        throw rpc('PHONE_CODE_EXPIRED', req);
      }
      if (req.phoneCode !== opts.code) throw rpc('PHONE_CODE_INVALID', req);
      if (opts.srp) {
        codeOk = true;
        throw rpc('SESSION_PASSWORD_NEEDED', req, 401);
      }
      return authorization(ME);
    }
    if (req instanceof Api.account.GetPassword && opts.srp) return opts.srp.passwordParams();
    if (req instanceof Api.auth.CheckPassword && opts.srp) {
      if (opts.srp.verify(req.password)) return authorization(ME);
      throw rpc('PASSWORD_HASH_INVALID', req);
    }
    throw new Error(`unexpected ${req.className} (code accepted: ${codeOk})`);
  };
}

async function expectPrivate(file: string) {
  expect((await stat(file)).mode & 0o777).toBe(0o600);
}

describe('paycue --telegram', () => {
  it('logs in with the default phone and a code, saves the session 0600 in a 0700 dir, prints who', async () => {
    const { config, sessionDir } = await setup();
    const client = new FakeLoginClient(telegram({ code: '60718' }), SESSION);
    const io = scriptedIO(['', '60718']);
    expect(await runTelegramLogin(config, io, deps(client))).toBe(0);
    expect(io.questions.map((q) => q.text)).toEqual([`Phone number (international format) [${PHONE}]: `, 'Login code: ']);
    expect(io.printed.join('\n')).toMatch(/Logged in as Kassa Bot \(@kassa_uz\), id 5000001/);
    expect(await loadSession(sessionDir)).toBe(SESSION);
    await expectPrivate(join(sessionDir, 'telegram.session'));
    expect((await stat(sessionDir)).mode & 0o777).toBe(0o700);
    expect(io.all()).not.toContain(SESSION);
    expect(io.all()).not.toContain('60718');
    expect(client.destroyed).toBe(true);
  });

  it('a wrong code asks again', async () => {
    const { config } = await setup();
    const client = new FakeLoginClient(telegram({ code: '22222' }), SESSION);
    const io = scriptedIO([PHONE, '11111', '22 222']);
    expect(await runTelegramLogin(config, io, deps(client))).toBe(0);
    expect(io.questions.filter((q) => q.text === 'Login code: ')).toHaveLength(2);
    expect(io.errors.join('\n')).toMatch(/code is wrong/);
    expect(client.count(Api.auth.SendCode)).toBe(1);
  });

  it('an expired code makes Telegram send a new one, and the new code works', async () => {
    const { config } = await setup();
    const client = new FakeLoginClient(telegram({ code: '33333', expireFirst: true }), SESSION);
    const io = scriptedIO([PHONE, '33333', '33333']);
    expect(await runTelegramLogin(config, io, deps(client))).toBe(0);
    expect(client.count(Api.auth.SendCode)).toBe(2);
    const signIns = client.requests.filter((r): r is Api.auth.SignIn => r instanceof Api.auth.SignIn);
    expect(signIns.map((r) => r.phoneCodeHash)).toEqual(['hash1', 'hash2']);
    expect(io.printed.join('\n')).toMatch(/expired.*new one/);
  });

  it('asks the 2FA password with hidden input, re-asks a wrong one, and proves the right one by SRP', async () => {
    const { config, sessionDir } = await setup();
    const srp = new SrpServer('correct horse', 'horse');
    const client = new FakeLoginClient(telegram({ code: '44444', srp }), SESSION);
    const io = scriptedIO([PHONE, '44444', 'wrong horse', 'correct horse']);
    expect(await runTelegramLogin(config, io, deps(client))).toBe(0);
    const pw = io.questions.filter((q) => q.text.startsWith('Two-step verification password'));
    expect(pw).toHaveLength(2);
    expect(pw.every((q) => q.hidden)).toBe(true);
    expect(pw[0]!.text).toContain('(hint: horse)');
    expect(io.questions.filter((q) => !q.text.startsWith('Two-step')).every((q) => !q.hidden)).toBe(true);
    expect(io.errors.join('\n')).toMatch(/Wrong password/);
    expect(client.count(Api.account.GetPassword)).toBe(2); // fresh SRP parameters per attempt
    expect(io.all()).not.toContain('correct horse');
    expect(io.all()).not.toContain('wrong horse');
    expect(await loadSession(sessionDir)).toBe(SESSION);
  }, 30_000);

  it('a flood wait says how long to wait and exits non-zero', async () => {
    const { config, sessionDir } = await setup();
    const client = new FakeLoginClient((req) => {
      throw new FloodWaitError({ request: req, capture: 3725 });
    });
    const io = scriptedIO([PHONE]);
    expect(await runTelegramLogin(config, io, deps(client))).toBe(1);
    expect(io.errors.join('\n')).toMatch(/wait 3725 seconds \(1 h 2 min/);
    expect(await loadSession(sessionDir)).toBeNull();
  });

  it('no network: a clear error within the connect timeout, not a hang', async () => {
    const { config } = await setup();
    const client = new FakeLoginClient(() => {
      throw new Error('not reached');
    });
    client.connectImpl = () => new Promise<boolean>(() => {});
    const io = scriptedIO([PHONE, '12345']);
    const t0 = Date.now();
    expect(await runTelegramLogin(config, io, deps(client, { connectTimeoutMs: 200 }))).toBe(1);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(io.errors.join('\n')).toMatch(/Cannot reach Telegram \(no connection within 0\.2 s\).*network/);
    expect(client.destroyed).toBe(true);
  });

  it('a request Telegram never answers is bounded in time too', async () => {
    const { config } = await setup();
    const client = new FakeLoginClient(() => new Promise(() => {}));
    const io = scriptedIO([PHONE]);
    const t0 = Date.now();
    expect(await runTelegramLogin(config, io, deps(client, { requestTimeoutMs: 200 }))).toBe(1);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(io.errors.join('\n')).toMatch(/did not answer.*auth\.SendCode/);
  });

  it('re-asks a malformed or Telegram-rejected phone number', async () => {
    const { config } = await setup({ TG_PHONE: '' });
    let first = true;
    const base = telegram({ code: '55555' });
    const client = new FakeLoginClient((req) => {
      if (req instanceof Api.auth.SendCode && first) {
        first = false;
        throw rpc('PHONE_NUMBER_INVALID', req);
      }
      return base(req);
    });
    const io = scriptedIO(['hello', PHONE, PHONE, '55555']);
    expect(await runTelegramLogin(config, io, deps(client))).toBe(0);
    expect(io.errors.join('\n')).toMatch(/not a phone number/);
    expect(io.errors.join('\n')).toMatch(/not a valid phone number/);
    expect(client.count(Api.auth.SendCode)).toBe(2);
  });

  it('without APP_ID / APP_HASH: names them and exits 2 without connecting', async () => {
    const dir = await tempDir();
    const config = testConfig({ SESSION_DIR: dir, APP_ID: '', APP_HASH: '', SANDBOX: 'true' });
    let made = 0;
    const io = scriptedIO([]);
    expect(
      await runTelegramLogin(config, io, deps(() => {
        made++;
        return new FakeLoginClient(() => undefined);
      })),
    ).toBe(2);
    expect(io.errors.join('\n')).toMatch(/APP_ID and APP_HASH are not set/);
    expect(made).toBe(0);
  });

  it('with TELEGRAM_SESSION set, says the daemon uses that and how to replace it', async () => {
    const { config } = await setup({ TELEGRAM_SESSION: await gramStringSession() });
    const io = scriptedIO(['', '60718']);
    expect(await runTelegramLogin(config, io, deps(new FakeLoginClient(telegram({ code: '60718' }), SESSION)))).toBe(0);
    expect(io.printed.join('\n')).toMatch(/TELEGRAM_SESSION is set, and the daemon uses it rather than this file: set it to what `paycue telegram export-session` prints/);
  });

  it('keeps an existing session unless the user confirms', async () => {
    const { config, sessionDir } = await setup();
    await saveSession(sessionDir, 'old-session');
    let made = 0;
    const io = scriptedIO(['n']);
    expect(
      await runTelegramLogin(config, io, deps(() => {
        made++;
        return new FakeLoginClient(() => undefined);
      })),
    ).toBe(0);
    expect(made).toBe(0);
    expect(await loadSession(sessionDir)).toBe('old-session');
  });

  it('input closing mid-conversation ends with an error, not a hang', async () => {
    const { config } = await setup();
    const client = new FakeLoginClient(telegram({ code: '1' }));
    const io = scriptedIO([PHONE]);
    expect(await runTelegramLogin(config, io, deps(client))).toBe(1);
    expect(io.errors.join('\n')).toMatch(/cancelled/);
  });
});

describe('paycue telegram send-code / verify', () => {
  it('two steps on one session: the pending login (0600) carries session, hash and phone', async () => {
    const { config, sessionDir } = await setup();
    const answer = telegram({ code: '77777' });
    const sessionsUsed: string[] = [];
    const make = (s: string) => {
      sessionsUsed.push(s);
      return new FakeLoginClient(answer, s || 'step-one-session');
    };
    const io1 = scriptedIO([]);
    expect(await runSendCode(config, io1, {}, { ...deps(() => new FakeLoginClient(answer)), createClient: make })).toBe(0);
    expect(io1.printed.join('\n')).toMatch(/paycue telegram verify --code/);
    await expectPrivate(join(sessionDir, PENDING_FILE));
    const pending = await loadPendingLogin(sessionDir);
    expect(pending).toMatchObject({ session: 'step-one-session', phone: PHONE, phoneCodeHash: 'hash1' });
    expect(io1.all()).not.toContain('step-one-session');

    const io2 = scriptedIO([]);
    expect(await runVerify(config, io2, { code: '77777' }, { ...deps(() => new FakeLoginClient(answer)), createClient: make })).toBe(0);
    expect(sessionsUsed).toEqual(['', 'step-one-session']); // verify reused the send-code session
    expect(await loadSession(sessionDir)).toBe('step-one-session');
    expect(await loadPendingLogin(sessionDir)).toBeNull();
    expect(io2.printed.join('\n')).toMatch(/Logged in as Kassa Bot/);
  });

  it('verify with a wrong code exits 1 and keeps the pending login; an expired one sends a new code', async () => {
    const { config, sessionDir } = await setup();
    const answer = telegram({ code: '88888' });
    const make = (s: string) => new FakeLoginClient(answer, s || 'pending-session');
    expect(await runSendCode(config, scriptedIO([]), {}, { ...deps(() => make('')), createClient: make })).toBe(0);

    const wrong = scriptedIO([]);
    expect(await runVerify(config, wrong, { code: '00000' }, { ...deps(() => make('')), createClient: make })).toBe(1);
    expect(wrong.errors.join('\n')).toMatch(/code is wrong/);
    expect(await loadPendingLogin(sessionDir)).not.toBeNull();

    // Telegram expires the code: verify asks for a new one and records the new hash
    const expiring = (req: Api.AnyRequest) => {
      if (req instanceof Api.auth.SignIn) throw rpc('PHONE_CODE_EXPIRED', req);
      return answer(req);
    };
    const io = scriptedIO([]);
    expect(await runVerify(config, io, { code: '88888' }, { ...deps(() => make('')), createClient: (s) => new FakeLoginClient(expiring, s) })).toBe(1);
    expect(io.errors.join('\n')).toMatch(/expired.*new one/);
    expect((await loadPendingLogin(sessionDir))!.phoneCodeHash).toBe('hash2');

    expect(await runVerify(config, scriptedIO([]), { code: '88888' }, { ...deps(() => make('')), createClient: make })).toBe(0);
  });

  it('2FA: verify without --password says so; verify with it finishes (SRP, no second SignIn)', async () => {
    const { config, sessionDir } = await setup();
    const srp = new SrpServer('s3cret pass');
    const answer = telegram({ code: '99999', srp });
    const clients: FakeLoginClient[] = [];
    const make = (s: string) => {
      const c = new FakeLoginClient(answer, s || 'pending-session');
      clients.push(c);
      return c;
    };
    const d = { ...deps(() => make('')), createClient: make };
    expect(await runSendCode(config, scriptedIO([]), {}, d)).toBe(0);
    const io = scriptedIO([]);
    expect(await runVerify(config, io, { code: '99999' }, d)).toBe(1);
    expect(io.errors.join('\n')).toMatch(/two-step verification.*--password/);
    expect((await loadPendingLogin(sessionDir))!.passwordNeeded).toBe(true);

    const bad = scriptedIO([]);
    expect(await runVerify(config, bad, { code: '99999', password: 'guess' }, d)).toBe(1);
    expect(bad.errors.join('\n')).toMatch(/Wrong two-step verification password/);

    const ok = scriptedIO([]);
    expect(await runVerify(config, ok, { code: '99999', password: 's3cret pass' }, d)).toBe(0);
    expect(clients.at(-1)!.count(Api.auth.SignIn)).toBe(0);
    expect(await loadSession(sessionDir)).toBe('pending-session');
    expect(ok.all()).not.toContain('s3cret');
  }, 30_000);

  it('verify without a pending login, send-code without a phone: usage errors (exit 2)', async () => {
    const { config } = await setup({ TG_PHONE: '' });
    const io = scriptedIO([]);
    expect(await runVerify(config, io, { code: '1' }, deps(new FakeLoginClient(() => undefined)))).toBe(2);
    expect(io.errors.join('\n')).toMatch(/send-code/);
    const io2 = scriptedIO([]);
    expect(await runSendCode(config, io2, {}, deps(new FakeLoginClient(() => undefined)))).toBe(2);
    expect(io2.errors.join('\n')).toMatch(/TG_PHONE/);
  });

  it('send-code under a flood wait prints the wait and exits 1', async () => {
    const { config, sessionDir } = await setup();
    const client = new FakeLoginClient((req) => {
      throw new FloodWaitError({ request: req, capture: 86400 });
    });
    const io = scriptedIO([]);
    expect(await runSendCode(config, io, { phone: PHONE }, deps(client))).toBe(1);
    expect(io.errors.join('\n')).toMatch(/86400 seconds \(24 h/);
    expect(await loadPendingLogin(sessionDir)).toBeNull();
  });
});
