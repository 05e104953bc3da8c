// The API methods the test Telegram answers, with Telegram's semantics and errors: login
// (auth.sendCode, auth.signIn, 2FA by SRP, auth.logOut), who is who (users.getUsers,
// users.getFullUser, contacts.resolveUsername), chats (messages.getHistory, messages.getDialogs,
// messages.sendMessage) and the update state (updates.getState, updates.getDifference).
import { randomBytes, randomInt } from 'node:crypto';
import { Api } from 'telegram';
import { returnBigInt } from 'telegram/Helpers.js';
import type { AuthKeyRecord } from './auth-keys.js';
import { RpcFailure } from './connection.js';
import type { Account, StoredMessage, World } from './world.js';
import { SERVICE_USER } from './world.js';

/** A login code Telegram sent, tied to the auth key that asked for it. */
export interface SentLoginCode {
  phone: string;
  code: string;
  hash: string;
  keyId: bigint;
  sentAt: number;
  expired: boolean;
}

/** A QR login token (auth.exportLoginToken), shown as tg://login?token=… until a logged-in
 * session of some account accepts it (the scan). */
export interface LoginTokenRecord {
  token: Buffer;
  keyId: bigint;
  /** Unix seconds. */
  expires: number;
  acceptedBy?: number;
}

export interface MethodHost {
  world: World;
  /** Telegram's clock, unix ms. */
  now(): number;
  apps: Map<number, string>;
  codes: SentLoginCode[];
  loginTokens: LoginTokenRecord[];
  /** The auth key a token was made for (to push updateLoginToken to it). */
  pushToKey(keyId: bigint, updates: Api.TypeUpdates): void;
  /** Hands an account's new update to its logged-in sessions. */
  deliver(account: Account, updates: Api.TypeUpdates): void;
  /** The /start greeting a bot answers with ('' for none). */
  greeting(bot: number): string;
  /** Called when a bot answers: it stores and pushes like any bot message. */
  botSays(account: Account, bot: number, text: string): void;
  dcIp: string;
}

const fail = (code: number, message: string): never => {
  throw new RpcFailure(code, message);
};

/** Methods a key may call before it is logged in. */
const WITHOUT_LOGIN = new Set([
  'help.GetConfig', 'help.GetNearestDc', 'auth.SendCode', 'auth.SignIn', 'auth.CheckPassword', 'account.GetPassword', 'auth.ResendCode', 'auth.CancelCode',
  'auth.ExportLoginToken', 'auth.ImportLoginToken',
]);

export function requiresLogin(method: string): boolean {
  return !WITHOUT_LOGIN.has(method);
}

export function config(now: number, ip: string): Api.Config {
  const date = Math.floor(now / 1000);
  return new Api.Config({
    date, expires: date + 3600, testMode: false, thisDc: 2,
    dcOptions: [new Api.DcOption({ id: 2, ipAddress: ip, port: 443 })],
    dcTxtDomainName: '', chatSizeMax: 200, megagroupSizeMax: 200_000,
    forwardedCountMax: 100, onlineUpdatePeriodMs: 210_000, offlineBlurTimeoutMs: 5_000, offlineIdleTimeoutMs: 30_000, onlineCloudTimeoutMs: 300_000,
    notifyCloudDelayMs: 30_000, notifyDefaultDelayMs: 1_500, pushChatPeriodMs: 60_000, pushChatLimit: 2, editTimeLimit: 172_800, revokeTimeLimit: 2_147_483_647,
    revokePmTimeLimit: 2_147_483_647, ratingEDecay: 2_419_200, stickersRecentLimit: 200, channelsReadMediaPeriod: 604_800, callReceiveTimeoutMs: 20_000,
    callRingTimeoutMs: 90_000, callConnectTimeoutMs: 30_000, callPacketTimeoutMs: 10_000, meUrlPrefix: 'https://t.me/', captionLengthMax: 1024,
    messageLengthMax: 4096, webfileDcId: 4,
  } as ConstructorParameters<typeof Api.Config>[0]);
}

export class Methods {
  constructor(private readonly host: MethodHost) {}

  private get world(): World {
    return this.host.world;
  }

  private seconds(): number {
    return Math.floor(this.host.now() / 1000);
  }

  async call(key: AuthKeyRecord, req: Api.AnyRequest): Promise<unknown> {
    const account = key.account !== undefined ? this.world.accounts.get(key.account) : undefined;
    if (requiresLogin(req.className) && !account) fail(401, key.loggedOutWith ?? 'AUTH_KEY_UNREGISTERED');
    const r = req as never;
    switch (req.className) {
      case 'help.GetConfig': return config(this.host.now(), this.host.dcIp);
      case 'help.GetNearestDc': return new Api.NearestDc({ country: 'UZ', thisDc: 2, nearestDc: 2 });
      case 'auth.SendCode': return this.sendCode(key, r);
      case 'auth.SignIn': return this.signIn(key, r);
      case 'account.GetPassword': return this.getPassword(key);
      case 'auth.CheckPassword': return this.checkPassword(key, r);
      case 'auth.LogOut': return this.logOut(key);
      case 'auth.ExportLoginToken': return this.exportLoginToken(key, r);
      case 'auth.ImportLoginToken': return this.importLoginToken(key, r);
      case 'auth.AcceptLoginToken': return this.acceptLoginToken(key, account!, r);
      case 'users.GetUsers': return this.getUsers(account!, r);
      case 'users.GetFullUser': return this.getFullUser(account!, r);
      case 'contacts.ResolveUsername': return this.resolveUsername(account!, r);
      case 'messages.GetHistory': return this.getHistory(account!, r);
      case 'messages.GetDialogs': return this.getDialogs(account!, r);
      case 'messages.SendMessage': return this.sendMessage(account!, r);
      case 'updates.GetState': return this.state(account!);
      case 'updates.GetDifference': return this.difference(account!, r);
      default:
        return fail(400, `INPUT_METHOD_INVALID_${req.CONSTRUCTOR_ID}`);
    }
  }

  // ------------------------------------------------------------------ login

  private sendCode(key: AuthKeyRecord, req: Api.auth.SendCode): Api.auth.SentCode {
    if (this.host.apps.get(req.apiId) !== req.apiHash) fail(400, 'API_ID_INVALID');
    const phone = req.phoneNumber.replace(/[\s\-()+]/g, '');
    if (!/^\d{7,15}$/.test(phone)) fail(400, 'PHONE_NUMBER_INVALID');
    const account = this.world.accountByPhone(phone);
    const code = String(randomInt(10_000, 100_000));
    const hash = randomBytes(9).toString('hex');
    this.host.codes.push({ phone, code, hash, keyId: key.keyId, sentAt: this.host.now(), expired: false });
    if (account) {
      // The code arrives in the "Telegram" service chat of the account's other sessions.
      const { message, update } = account.store({ peer: SERVICE_USER, out: false, date: this.seconds(), text: `Login code: ${code}. Do not give this code to anyone.` });
      this.host.deliver(
        account,
        new Api.UpdateShortMessage({ id: message.id, userId: returnBigInt(SERVICE_USER), message: message.text, pts: update.pts, ptsCount: 1, date: message.date }),
      );
      return new Api.auth.SentCode({ type: new Api.auth.SentCodeTypeApp({ length: 5 }), phoneCodeHash: hash, nextType: new Api.auth.CodeTypeSms(), timeout: 60 });
    }
    return new Api.auth.SentCode({ type: new Api.auth.SentCodeTypeSms({ length: 5 }), phoneCodeHash: hash, timeout: 60 });
  }

  private signIn(key: AuthKeyRecord, req: Api.auth.SignIn): Api.auth.Authorization | Api.auth.AuthorizationSignUpRequired {
    if (!req.phoneCodeHash) fail(400, 'PHONE_CODE_HASH_EMPTY');
    if (!req.phoneCode) fail(400, 'PHONE_CODE_EMPTY');
    const phone = req.phoneNumber.replace(/[\s\-()+]/g, '');
    const sent = this.host.codes.find((c) => c.hash === req.phoneCodeHash);
    // A code belongs to the session that asked for it: from any other it is simply expired.
    if (!sent || sent.phone !== phone || sent.keyId !== key.keyId || sent.expired) fail(400, 'PHONE_CODE_EXPIRED');
    if (sent!.code !== req.phoneCode) fail(400, 'PHONE_CODE_INVALID');
    sent!.expired = true;
    const account = this.world.accountByPhone(phone);
    if (!account) return new Api.auth.AuthorizationSignUpRequired({});
    if (account.password) {
      key.passwordPendingFor = account.id;
      fail(401, 'SESSION_PASSWORD_NEEDED');
    }
    return this.authorize(key, account);
  }

  private getPassword(key: AuthKeyRecord): Api.account.Password {
    const id = key.passwordPendingFor ?? key.account;
    const account = id !== undefined ? this.world.accounts.get(id) : undefined;
    if (!account) return fail(401, 'AUTH_KEY_UNREGISTERED');
    if (!account.password) {
      return new Api.account.Password({ hasPassword: false, newAlgo: new Api.PasswordKdfAlgoUnknown(), newSecureAlgo: new Api.SecurePasswordKdfAlgoUnknown(), secureRandom: randomBytes(32) });
    }
    return account.password.passwordParams();
  }

  private checkPassword(key: AuthKeyRecord, req: Api.auth.CheckPassword): Api.auth.Authorization {
    const account = key.passwordPendingFor !== undefined ? this.world.accounts.get(key.passwordPendingFor) : undefined;
    if (!account?.password) return fail(400, 'PASSWORD_HASH_INVALID');
    if (!account.password.verify(req.password)) fail(400, 'PASSWORD_HASH_INVALID');
    return this.authorize(key, account);
  }

  private authorize(key: AuthKeyRecord, account: Account): Api.auth.Authorization {
    key.passwordPendingFor = undefined;
    key.account = account.id;
    key.loggedOutWith = undefined;
    return new Api.auth.Authorization({ user: this.world.apiUser(account.id, account.user) });
  }

  private logOut(key: AuthKeyRecord): Api.auth.LoggedOut {
    key.account = undefined;
    key.passwordPendingFor = undefined;
    return new Api.auth.LoggedOut({});
  }

  // ------------------------------------------------------------------ QR login

  /** A new token (valid 30 s) or, once one of this key's tokens was accepted, the login itself. */
  private exportLoginToken(key: AuthKeyRecord, req: Api.auth.ExportLoginToken): Api.auth.TypeLoginToken {
    if (this.host.apps.get(req.apiId) !== req.apiHash) fail(400, 'API_ID_INVALID');
    const accepted = this.host.loginTokens.find((t) => t.keyId === key.keyId && t.acceptedBy !== undefined);
    if (accepted) return this.tokenLogin(key, accepted);
    const token = { token: randomBytes(32), keyId: key.keyId, expires: this.seconds() + 30 };
    this.host.loginTokens.push(token);
    return new Api.auth.LoginToken({ expires: token.expires, token: token.token });
  }

  /** The token's login on the DC the account lives in (here: the same one). */
  private importLoginToken(key: AuthKeyRecord, req: Api.auth.ImportLoginToken): Api.auth.TypeLoginToken {
    const t = this.host.loginTokens.find((x) => x.token.equals(Buffer.from(req.token)));
    if (!t || t.keyId !== key.keyId) return fail(400, 'AUTH_TOKEN_INVALID');
    if (t.acceptedBy === undefined) return fail(400, t.expires < this.seconds() ? 'AUTH_TOKEN_EXPIRED' : 'AUTH_TOKEN_INVALID');
    return this.tokenLogin(key, t);
  }

  private tokenLogin(key: AuthKeyRecord, t: LoginTokenRecord): Api.auth.LoginTokenSuccess {
    const account = this.world.accounts.get(t.acceptedBy!)!;
    this.host.loginTokens.splice(this.host.loginTokens.indexOf(t), 1);
    if (account.password) {
      key.passwordPendingFor = account.id;
      fail(401, 'SESSION_PASSWORD_NEEDED');
    }
    return new Api.auth.LoginTokenSuccess({ authorization: this.authorize(key, account) });
  }

  /** The scan: a logged-in session of the account accepts the token shown on the new device. */
  private acceptLoginToken(key: AuthKeyRecord, account: Account, req: Api.auth.AcceptLoginToken): Api.Authorization {
    const t = this.host.loginTokens.find((x) => x.token.equals(Buffer.from(req.token)));
    if (!t || t.acceptedBy !== undefined) return fail(400, 'AUTH_TOKEN_INVALID');
    if (t.expires < this.seconds()) return fail(400, 'AUTH_TOKEN_EXPIRED');
    t.acceptedBy = account.id;
    this.host.pushToKey(t.keyId, new Api.UpdateShort({ update: new Api.UpdateLoginToken(), date: this.seconds() }));
    const now = this.seconds();
    return new Api.Authorization({
      hash: returnBigInt(randomBytes(8).readBigInt64LE(0)),
      deviceModel: 'paycue', platform: 'Node.js', systemVersion: 'Linux', apiId: this.host.apps.keys().next().value ?? 0,
      appName: 'paycue', appVersion: '1', dateCreated: now, dateActive: now, ip: '127.0.0.1', country: 'Uzbekistan', region: 'Tashkent',
    });
  }

  // ------------------------------------------------------------------ users

  /** The user an InputUser / InputPeer names, if its access hash is this account's. */
  private userFor(account: Account, input: unknown): ReturnType<World['users']['get']> {
    if (input instanceof Api.InputUserSelf || input instanceof Api.InputPeerSelf) return account.user;
    if (input instanceof Api.InputUser || input instanceof Api.InputPeerUser) {
      const id = Number(input.userId.toString());
      const u = this.world.users.get(id);
      if (u && BigInt(input.accessHash.toString()) === this.world.accessHash(account.id, id)) return u;
      return undefined;
    }
    return undefined;
  }

  private getUsers(account: Account, req: Api.users.GetUsers): Api.User[] {
    return req.id.flatMap((input) => {
      const u = this.userFor(account, input);
      return u ? [this.world.apiUser(account.id, u)] : [];
    });
  }

  private getFullUser(account: Account, req: Api.users.GetFullUser): Api.users.UserFull {
    const u = this.userFor(account, req.id);
    if (!u) return fail(400, 'USER_ID_INVALID');
    return new Api.users.UserFull({
      fullUser: new Api.UserFull({
        id: returnBigInt(u.id),
        settings: new Api.PeerSettings({}),
        notifySettings: new Api.PeerNotifySettings({}),
        commonChatsCount: 0,
        ...(u.bot ? { botInfo: new Api.BotInfo({ userId: returnBigInt(u.id), description: `${u.firstName}` }) } : {}),
      }),
      chats: [],
      users: [this.world.apiUser(account.id, u)],
    });
  }

  private resolveUsername(account: Account, req: Api.contacts.ResolveUsername): Api.contacts.ResolvedPeer {
    if (!/^[a-zA-Z][a-zA-Z0-9_]{3,31}$/.test(req.username)) fail(400, 'USERNAME_INVALID');
    const u = this.world.byUsername(req.username);
    if (!u) return fail(400, 'USERNAME_NOT_OCCUPIED');
    return new Api.contacts.ResolvedPeer({ peer: new Api.PeerUser({ userId: returnBigInt(u.id) }), chats: [], users: [this.world.apiUser(account.id, u)] });
  }

  // ------------------------------------------------------------------ chats

  /** The private chat a peer names, or PEER_ID_INVALID (unknown user, or a hash not this account's). */
  private chatPeer(account: Account, peer: unknown): number {
    const u = this.userFor(account, peer);
    if (!u) return fail(400, 'PEER_ID_INVALID');
    return u.id;
  }

  /**
   * messages.getHistory: newest first; offset_id (or offset_date) picks where the page starts
   * (messages older than it), add_offset shifts it, then limit (at most 100); max_id and min_id
   * bound the ids (exclusive). A slice says how many the chat holds.
   */
  private getHistory(account: Account, req: Api.messages.GetHistory): Api.messages.Messages | Api.messages.MessagesSlice {
    const peer = this.chatPeer(account, req.peer);
    const all = account.chat(peer).sort((a, b) => b.id - a.id);
    let start = 0;
    if (req.offsetId) start = all.findIndex((m) => m.id < req.offsetId);
    else if (req.offsetDate) start = all.findIndex((m) => m.date < req.offsetDate);
    if (start < 0) start = all.length;
    start = Math.max(0, start + (req.addOffset ?? 0));
    const limit = Math.max(0, Math.min(req.limit ?? 0, 100)) || 100;
    const page = all
      .slice(start, start + limit)
      .filter((m) => (!req.maxId || m.id < req.maxId) && (!req.minId || m.id > req.minId));
    const messages = page.map((m) => this.world.apiMessage(account, m));
    const users = this.world.usersFor(account.id, page, [peer]);
    if (page.length === all.length) return new Api.messages.Messages({ messages, chats: [], users });
    return new Api.messages.MessagesSlice({ count: all.length, messages, chats: [], users });
  }

  private getDialogs(account: Account, req: Api.messages.GetDialogs): Api.messages.Dialogs | Api.messages.DialogsSlice {
    const tops = new Map<number, StoredMessage>();
    for (const m of account.messages) {
      const t = tops.get(m.peer);
      if (!t || m.id > t.id) tops.set(m.peer, m);
    }
    let list = [...tops.values()].sort((a, b) => b.date - a.date || b.id - a.id);
    const total = list.length;
    if (req.offsetDate || req.offsetId) list = list.filter((m) => (req.offsetDate ? m.date < req.offsetDate || (m.date === req.offsetDate && m.id < req.offsetId) : m.id < req.offsetId));
    list = list.slice(0, Math.min(req.limit || 100, 100));
    const dialogs = list.map((m) => {
      const unread = account.chat(m.peer).filter((x) => !x.out).length;
      return new Api.Dialog({
        peer: new Api.PeerUser({ userId: returnBigInt(m.peer) }),
        topMessage: m.id,
        readInboxMaxId: 0,
        readOutboxMaxId: m.id,
        unreadCount: unread,
        unreadMentionsCount: 0,
        unreadReactionsCount: 0,
        notifySettings: new Api.PeerNotifySettings({}),
      });
    });
    const messages = list.map((m) => this.world.apiMessage(account, m));
    const users = this.world.usersFor(account.id, list);
    if (list.length === total) return new Api.messages.Dialogs({ dialogs, messages, chats: [], users });
    return new Api.messages.DialogsSlice({ count: total, dialogs, messages, chats: [], users });
  }

  private sendMessage(account: Account, req: Api.messages.SendMessage): Api.UpdateShortSentMessage {
    const peer = this.chatPeer(account, req.peer);
    if (!req.message) fail(400, 'MESSAGE_EMPTY');
    const { message, update } = account.store({ peer, out: true, date: this.seconds(), text: req.message });
    const target = this.world.users.get(peer);
    if (target?.bot && req.message.startsWith('/start')) {
      const greeting = this.host.greeting(peer);
      if (greeting) setImmediate(() => this.host.botSays(account, peer, greeting));
    }
    return new Api.UpdateShortSentMessage({ out: true, id: message.id, pts: update.pts, ptsCount: 1, date: message.date });
  }

  // ------------------------------------------------------------------ updates

  private state(account: Account): Api.updates.State {
    // `date` is the date of the last update (it stands still on a quiet account).
    return new Api.updates.State({ pts: account.pts, qts: 0, date: account.lastUpdateDate, seq: 0, unreadCount: 0 });
  }

  private difference(account: Account, req: Api.updates.GetDifference): Api.updates.TypeDifference {
    if (req.pts > account.pts) fail(400, 'PERSISTENT_TIMESTAMP_INVALID');
    const missed = account.updates.filter((u) => u.pts > req.pts);
    if (!missed.length) return new Api.updates.DifferenceEmpty({ date: this.seconds(), seq: 0 });
    const newIds = new Set(missed.filter((u) => u.kind === 'new').map((u) => u.messageId));
    const newMessages = account.messages.filter((m) => newIds.has(m.id));
    const edits = missed
      .filter((u) => u.kind === 'edit')
      .flatMap((u) => {
        const m = account.message(u.messageId);
        return m ? [new Api.UpdateEditMessage({ message: this.world.apiMessage(account, m), pts: u.pts, ptsCount: u.ptsCount })] : [];
      });
    return new Api.updates.Difference({
      newMessages: newMessages.map((m) => this.world.apiMessage(account, m)),
      newEncryptedMessages: [],
      otherUpdates: edits,
      chats: [],
      users: this.world.usersFor(account.id, newMessages),
      state: this.state(account),
    });
  }
}
