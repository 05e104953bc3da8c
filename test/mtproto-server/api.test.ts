// The test Telegram's API, through GramJS's own client methods and raw requests: login with a
// code and with 2FA (SRP checked on the server), users and bots with their real ids, per-account
// access hashes, chat history with Telegram's paging semantics, dialogs, pushed updates, and the
// scripted bot (now or dated in the past, edited, forwarded).
import { afterEach, describe, expect, it } from 'vitest';
import { Api, type TelegramClient } from 'telegram';
import { NewMessage, type NewMessageEvent } from 'telegram/events/index.js';
import { EditedMessage, type EditedMessageEvent } from 'telegram/events/EditedMessage.js';
import { returnBigInt } from 'telegram/Helpers.js';
import { computeCheck } from 'telegram/Password.js';
import { CARDXABAR_BOT, HUMO_BOT, SERVICE_USER, SrpServer, TelegramTestServer, TEST_APP_HASH, TEST_APP_ID, type Account } from './index.js';
import { closeAll, gramClient } from './client.js';
import { waitFor } from '../helpers/wait.js';

const servers: TelegramTestServer[] = [];
afterEach(() => closeAll(servers));

async function server(): Promise<TelegramTestServer> {
  const s = await TelegramTestServer.start();
  servers.push(s);
  return s;
}

const PHONE = '+998901234567';

async function loggedIn(tg: TelegramTestServer, account: Account): Promise<TelegramClient> {
  const client = gramClient(tg, await tg.sessionFor(account));
  await client.connect();
  return client;
}

const sendCode = (client: TelegramClient, phone = PHONE, apiId = TEST_APP_ID) =>
  client.invoke(new Api.auth.SendCode({ phoneNumber: phone, apiId, apiHash: TEST_APP_HASH, settings: new Api.CodeSettings({}) })) as Promise<Api.auth.SentCode>;
const signIn = (client: TelegramClient, hash: string, code: string, phone = PHONE) =>
  client.invoke(new Api.auth.SignIn({ phoneNumber: phone, phoneCodeHash: hash, phoneCode: code }));

describe('login', () => {
  it('sendCode puts the code in the "Telegram" chat of the account\'s other sessions; signIn with it logs the new key in', async () => {
    const tg = await server();
    const account = tg.addAccount({ phone: PHONE, firstName: 'Kassa' });
    const phoneApp = await loggedIn(tg, account);
    const seen: string[] = [];
    phoneApp.addEventHandler((e: NewMessageEvent) => void seen.push(e.message.message), new NewMessage({ chats: [String(SERVICE_USER)] }));

    const client = gramClient(tg);
    await client.connect();
    const sent = await sendCode(client);
    expect(sent.type).toBeInstanceOf(Api.auth.SentCodeTypeApp);
    await waitFor('the code to reach the other session', () => seen.length === 1);
    const code = /Login code: (\d+)/.exec(seen[0]!)![1]!;
    expect(code).toBe(tg.lastCode(PHONE));

    await expect(signIn(client, sent.phoneCodeHash, code === '11111' ? '22222' : '11111')).rejects.toMatchObject({ errorMessage: 'PHONE_CODE_INVALID' });
    const auth = await signIn(client, sent.phoneCodeHash, code);
    expect(auth).toBeInstanceOf(Api.auth.Authorization);
    expect((await client.getMe()).id.toString()).toBe(String(account.id));
    // A used code is gone.
    await expect(signIn(client, sent.phoneCodeHash, code)).rejects.toMatchObject({ errorMessage: 'PHONE_CODE_EXPIRED' });
  });

  it('a code is bound to the session that asked for it, expires, and needs the right app and a phone number', async () => {
    const tg = await server();
    tg.addAccount({ phone: PHONE, firstName: 'Kassa' });
    const first = gramClient(tg);
    await first.connect();
    const sent = await sendCode(first);
    const other = gramClient(tg);
    await other.connect();
    await expect(signIn(other, sent.phoneCodeHash, tg.lastCode(PHONE))).rejects.toMatchObject({ errorMessage: 'PHONE_CODE_EXPIRED' });
    tg.expireCodes();
    await expect(signIn(first, sent.phoneCodeHash, tg.lastCode(PHONE))).rejects.toMatchObject({ errorMessage: 'PHONE_CODE_EXPIRED' });
    await expect(sendCode(first, PHONE, 999)).rejects.toMatchObject({ errorMessage: 'API_ID_INVALID' });
    await expect(sendCode(first, '12ab')).rejects.toMatchObject({ errorMessage: 'PHONE_NUMBER_INVALID' });
    // A number without an account: the code works, then sign-up is required.
    const unknown = await sendCode(first, '+998907654321');
    expect(await signIn(first, unknown.phoneCodeHash, tg.lastCode('+998907654321'), '+998907654321')).toBeInstanceOf(Api.auth.AuthorizationSignUpRequired);
  });

  it('2FA: the right code asks for the password; the SRP proof of a wrong one is refused, of the right one accepted', async () => {
    const tg = await server();
    const account = tg.addAccount({ phone: PHONE, firstName: 'Kassa', password: new SrpServer('correct horse', 'a horse') });
    const client = gramClient(tg);
    await client.connect();
    const sent = await sendCode(client);
    await expect(signIn(client, sent.phoneCodeHash, tg.lastCode(PHONE))).rejects.toMatchObject({ code: 401, errorMessage: 'SESSION_PASSWORD_NEEDED' });
    await expect(client.getMe()).rejects.toMatchObject({ errorMessage: 'AUTH_KEY_UNREGISTERED' });
    const params = await client.invoke(new Api.account.GetPassword());
    expect(params.hint).toBe('a horse');
    await expect(client.invoke(new Api.auth.CheckPassword({ password: await computeCheck(params, 'wrong horse') }))).rejects.toMatchObject({
      errorMessage: 'PASSWORD_HASH_INVALID',
    });
    const again = await client.invoke(new Api.account.GetPassword());
    const auth = await client.invoke(new Api.auth.CheckPassword({ password: await computeCheck(again, 'correct horse') }));
    expect(auth).toBeInstanceOf(Api.auth.Authorization);
    expect((await client.getMe()).id.toString()).toBe(String(account.id));
  });

  it('auth.logOut ends the key\'s login; a revoked account\'s sessions get 401 on every call that needs one', async () => {
    const tg = await server();
    const account = tg.addAccount({ phone: PHONE, firstName: 'Kassa' });
    const a = await loggedIn(tg, account);
    const b = await loggedIn(tg, account);
    await a.invoke(new Api.auth.LogOut());
    await expect(a.getMe()).rejects.toMatchObject({ errorMessage: 'AUTH_KEY_UNREGISTERED' });
    expect((await b.getMe()).id.toString()).toBe(String(account.id));
    tg.revoke(account, 'SESSION_REVOKED');
    await expect(b.invoke(new Api.updates.GetState())).rejects.toMatchObject({ code: 401, errorMessage: 'SESSION_REVOKED' });
    // help.getConfig needs no login: it still answers.
    expect(await b.invoke(new Api.help.GetConfig())).toBeInstanceOf(Api.Config);
  });
});

describe('QR login', () => {
  /** GramJS's own QR login on a fresh client, the scan done by `scanner` (logged in as the account). */
  async function qrLogin(tg: TelegramTestServer, scanner: TelegramClient, password?: string) {
    const client = gramClient(tg);
    await client.connect();
    const shown: number[] = [];
    const user = await client.signInUserWithQrCode(
      { apiId: TEST_APP_ID, apiHash: TEST_APP_HASH },
      {
        qrCode: async ({ token, expires }) => {
          shown.push(expires);
          // The phone scans tg://login?token=<base64url token>: auth.acceptLoginToken.
          await scanner.invoke(new Api.auth.AcceptLoginToken({ token }));
        },
        ...(password ? { password: async () => password } : {}),
        onError: async (err) => {
          throw err;
        },
      },
    );
    return { client, user: user as Api.User, shown };
  }

  it('a token scanned by a logged-in session logs the new client in (updateLoginToken, then the login)', async () => {
    const tg = await server();
    const account = tg.addAccount({ phone: PHONE, firstName: 'Kassa' });
    const phone = await loggedIn(tg, account);
    const { client, user, shown } = await qrLogin(tg, phone);
    expect(user.id.toString()).toBe(String(account.id));
    expect(shown).toHaveLength(1);
    expect(shown[0]).toBeGreaterThan(Math.floor(Date.now() / 1000));
    expect((await client.getMe()).id.toString()).toBe(String(account.id));
    expect(tg.sessionsOf(account)).toHaveLength(2);
  });

  it('with 2FA the scan is followed by the password (SRP)', async () => {
    const tg = await server();
    const account = tg.addAccount({ phone: PHONE, firstName: 'Kassa', password: new SrpServer('qr-pass') });
    const phone = await loggedIn(tg, account);
    const { user } = await qrLogin(tg, phone, 'qr-pass');
    expect(user.id.toString()).toBe(String(account.id));
    expect(tg.sessionsOf(account)).toHaveLength(2);
  });

  it('an expired token cannot be scanned; a new one can; a token is good for one scan', async () => {
    const tg = await server();
    const account = tg.addAccount({ phone: PHONE, firstName: 'Kassa' });
    const phone = await loggedIn(tg, account);
    const fresh = gramClient(tg);
    await fresh.connect();
    const exportToken = () => fresh.invoke(new Api.auth.ExportLoginToken({ apiId: TEST_APP_ID, apiHash: TEST_APP_HASH, exceptIds: [] }));
    const old = (await exportToken()) as Api.auth.LoginToken;
    tg.expireLoginTokens();
    await expect(phone.invoke(new Api.auth.AcceptLoginToken({ token: old.token }))).rejects.toMatchObject({ errorMessage: 'AUTH_TOKEN_EXPIRED' });
    const next = (await exportToken()) as Api.auth.LoginToken;
    expect(Buffer.from(next.token).equals(Buffer.from(old.token))).toBe(false);
    await phone.invoke(new Api.auth.AcceptLoginToken({ token: next.token }));
    await expect(phone.invoke(new Api.auth.AcceptLoginToken({ token: next.token }))).rejects.toMatchObject({ errorMessage: 'AUTH_TOKEN_INVALID' });
    const done = await exportToken();
    expect(done).toBeInstanceOf(Api.auth.LoginTokenSuccess);
    expect((await fresh.getMe()).id.toString()).toBe(String(account.id));
  });
});

describe('users and bots', () => {
  it('@HUMOcardbot and @CardXabarBot resolve to their real ids as bots; each account has its own access hash for them', async () => {
    const tg = await server();
    const one = tg.addAccount({ phone: PHONE, firstName: 'Kassa' });
    const two = tg.addAccount({ phone: '+998909999999', firstName: 'Other' });
    const c1 = await loggedIn(tg, one);
    const c2 = await loggedIn(tg, two);
    const humo1 = (await c1.invoke(new Api.contacts.ResolveUsername({ username: 'HUMOcardbot' }))).users[0] as Api.User;
    const cx = (await c1.invoke(new Api.contacts.ResolveUsername({ username: 'cardxabarbot' }))).users[0] as Api.User;
    const humo2 = (await c2.invoke(new Api.contacts.ResolveUsername({ username: 'HUMOcardbot' }))).users[0] as Api.User;
    expect([humo1.id.toString(), humo1.bot, cx.id.toString(), cx.bot]).toEqual([String(HUMO_BOT), true, String(CARDXABAR_BOT), true]);
    expect(humo1.accessHash!.toString()).not.toBe(humo2.accessHash!.toString());
    await expect(c1.invoke(new Api.contacts.ResolveUsername({ username: 'NoSuchBot123' }))).rejects.toMatchObject({ errorMessage: 'USERNAME_NOT_OCCUPIED' });

    // users.getUsers answers only for a hash that is the caller's.
    const byOwn = await c1.invoke(new Api.users.GetUsers({ id: [new Api.InputUser({ userId: humo1.id, accessHash: humo1.accessHash! })] }));
    const byForeign = await c1.invoke(new Api.users.GetUsers({ id: [new Api.InputUser({ userId: humo2.id, accessHash: humo2.accessHash! })] }));
    expect(byOwn.map((u) => u.id.toString())).toEqual([String(HUMO_BOT)]);
    expect(byForeign).toEqual([]);
    const full = await c1.invoke(new Api.users.GetFullUser({ id: new Api.InputUser({ userId: humo1.id, accessHash: humo1.accessHash! }) }));
    expect(full.fullUser.id.toString()).toBe(String(HUMO_BOT));

    // A new login of the same account (a new key) gets the same hash; a rotated one is refused.
    const again = await loggedIn(tg, one);
    const humo3 = (await again.invoke(new Api.contacts.ResolveUsername({ username: 'HUMOcardbot' }))).users[0] as Api.User;
    expect(humo3.accessHash!.toString()).toBe(humo1.accessHash!.toString());
    tg.world.rotateAccessHash(one.id, HUMO_BOT);
    const stale = new Api.InputPeerUser({ userId: humo1.id, accessHash: humo1.accessHash! });
    await expect(c1.getMessages(stale, { limit: 1 })).rejects.toMatchObject({ errorMessage: 'PEER_ID_INVALID' });
  });
});

describe('chats', () => {
  async function humoChat(tg: TelegramTestServer, account: Account, client: TelegramClient): Promise<Api.InputPeerUser> {
    const bot = (await client.invoke(new Api.contacts.ResolveUsername({ username: 'HUMOcardbot' }))).users[0] as Api.User;
    return new Api.InputPeerUser({ userId: bot.id, accessHash: bot.accessHash! });
  }

  it('getMessages answers as documented: newest first, min_id/max_id exclusive, limit, paging past 100 (gzip_packed pages)', async () => {
    const tg = await server();
    const account = tg.addAccount({ phone: PHONE, firstName: 'Kassa' });
    const client = await loggedIn(tg, account);
    const peer = await humoChat(tg, account, client);
    const start = Math.floor(Date.now() / 1000) - 10_000;
    for (let i = 1; i <= 250; i++) tg.botSends(account, HUMO_BOT, `notification ${i} ${'x'.repeat(40)}`, { date: start + i });
    // Message ids are the account's own sequence (here 1..250).
    const newest = await client.getMessages(peer, { limit: 3 });
    expect([...newest].map((m) => m.id)).toEqual([250, 249, 248]);
    expect(newest[0]!.senderId!.toString()).toBe(String(HUMO_BOT));
    expect(newest[0]!.date).toBe(start + 250);
    expect([...(await client.getMessages(peer, { minId: 245, limit: 100 }))].map((m) => m.id)).toEqual([250, 249, 248, 247, 246]);
    expect([...(await client.getMessages(peer, { maxId: 4, limit: 100 }))].map((m) => m.id)).toEqual([3, 2, 1]);
    expect([...(await client.getMessages(peer, { minId: 10, maxId: 14, limit: 100 }))].map((m) => m.id)).toEqual([13, 12, 11]);
    const all = await client.getMessages(peer, { limit: 300 });
    expect([...all].map((m) => m.id)).toEqual(Array.from({ length: 250 }, (_, i) => 250 - i));
    expect(all.total).toBe(250);
    expect(tg.stats.gzippedOut).toBeGreaterThan(0);
  });

  it('iterDialogs lists the bot chat with its last message; the other chats of the account too', async () => {
    const tg = await server();
    const account = tg.addAccount({ phone: PHONE, firstName: 'Kassa' });
    tg.botSends(account, CARDXABAR_BOT, 'cardxabar first');
    tg.botSends(account, HUMO_BOT, 'humo latest');
    const client = await loggedIn(tg, account);
    const dialogs = [];
    for await (const d of client.iterDialogs({})) dialogs.push(d);
    expect(dialogs.map((d) => [d.id!.toString(), d.message?.message, d.isUser])).toEqual([
      [String(HUMO_BOT), 'humo latest', true],
      [String(CARDXABAR_BOT), 'cardxabar first', true],
    ]);
    expect((dialogs[0]!.entity as Api.User).bot).toBe(true);
  });

  it('/start is stored as our message; the bot answers, pushed live and in the history', async () => {
    const tg = await server();
    const account = tg.addAccount({ phone: PHONE, firstName: 'Kassa' });
    const client = await loggedIn(tg, account);
    const live: Api.Message[] = [];
    client.addEventHandler((e: NewMessageEvent) => void live.push(e.message), new NewMessage({ chats: [String(HUMO_BOT)], incoming: true }));
    const peer = await humoChat(tg, account, client);
    const sent = await client.invoke(new Api.messages.SendMessage({ peer, message: '/start', randomId: returnBigInt(7) }));
    expect(sent).toBeInstanceOf(Api.UpdateShortSentMessage);
    await waitFor('the greeting', () => live.length === 1);
    const history = await client.getMessages(peer, { limit: 10 });
    expect([...history].map((m) => [m.id, m.out, m.message.slice(0, 6)])).toEqual([
      [2, false, live[0]!.message.slice(0, 6)],
      [1, true, '/start'],
    ]);
  });

  it('pushed updates reach GramJS\'s handlers: short and full new messages, edits, forwards, messages dated in the past', async () => {
    const tg = await server();
    const account = tg.addAccount({ phone: PHONE, firstName: 'Kassa' });
    const client = await loggedIn(tg, account);
    await client.getMe();
    const fresh: Api.Message[] = [];
    const edited: Api.Message[] = [];
    client.addEventHandler((e: NewMessageEvent) => void fresh.push(e.message), new NewMessage({}));
    client.addEventHandler((e: EditedMessageEvent) => void edited.push(e.message), new EditedMessage({}));
    // GramJS delivers updates once the session has made a request: it has (getMe).
    const pastDate = Math.floor(Date.now() / 1000) - 3600;
    const a = tg.botSends(account, HUMO_BOT, 'short one');
    const b = tg.botSends(account, HUMO_BOT, 'full one, an hour old', { shape: 'updates', date: pastDate });
    tg.edit(account, a.id, 'short one, edited');
    const stranger = tg.world.addUser({ firstName: 'Stranger' });
    tg.forward(account, stranger.id, b);
    await waitFor('three new messages and an edit', () => fresh.length === 3 && edited.length === 1);
    expect(fresh.map((m) => [m.id, m.senderId!.toString(), m.message, m.date])).toEqual([
      [a.id, String(HUMO_BOT), 'short one', a.date],
      [b.id, String(HUMO_BOT), 'full one, an hour old', pastDate],
      [b.id + 1, String(stranger.id), 'full one, an hour old', expect.any(Number)],
    ]);
    expect(fresh[2]!.fwdFrom?.fromId).toBeInstanceOf(Api.PeerUser);
    expect((fresh[2]!.fwdFrom!.fromId as Api.PeerUser).userId.toString()).toBe(String(HUMO_BOT));
    expect([edited[0]!.id, edited[0]!.message, edited[0]!.editDate]).toEqual([a.id, 'short one, edited', expect.any(Number)]);
  });

  it('a pushed update lost on the way leaves a gap in pts; getDifference has the message', async () => {
    const tg = await server();
    const account = tg.addAccount({ phone: PHONE, firstName: 'Kassa' });
    const client = await loggedIn(tg, account);
    const state = await client.invoke(new Api.updates.GetState());
    const pts: number[] = [];
    client.addEventHandler((e: NewMessageEvent) => void pts.push((e.originalUpdate as Api.UpdateShortMessage).pts), new NewMessage({}));
    tg.faults.losePushes = 1;
    const lost = tg.botSends(account, HUMO_BOT, 'lost on the way');
    tg.botSends(account, HUMO_BOT, 'arrives');
    await waitFor('the second push', () => pts.length === 1);
    expect(pts).toEqual([state.pts + 2]);
    const diff = await client.invoke(new Api.updates.GetDifference({ pts: state.pts, date: state.date, qts: 0 }));
    expect(diff).toBeInstanceOf(Api.updates.Difference);
    expect((diff as Api.updates.Difference).newMessages.map((m) => m.id)).toEqual([lost.id, lost.id + 1]);
    const empty = await client.invoke(new Api.updates.GetDifference({ pts: state.pts + 2, date: state.date, qts: 0 }));
    expect(empty).toBeInstanceOf(Api.updates.DifferenceEmpty);
  });
});
