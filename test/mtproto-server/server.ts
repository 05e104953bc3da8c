// A Telegram server for tests, good enough for GramJS 2.26: real sockets on port 80 of a
// loopback address of its own (GramJS dials port 80 whatever the session says), the auth-key
// exchange with a test RSA key, MTProto 2.0, and the API paycue uses, with Telegram's semantics.
// Tests script it (a bot writes, edits, forwards; a session is revoked) and inject faults.
import { createServer, type Server, type Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { Api } from 'telegram';
import { returnBigInt } from 'telegram/Helpers.js';
import { StringSession } from 'telegram/sessions/index.js';
import { AuthKeys, type AuthKeyRecord } from './auth-keys.js';
import { Connection, emptyStats, RpcFailure, type CallContext, type ConnectionHost, type ProtocolStats } from './connection.js';
import { Faults } from './faults.js';
import { testServerKey, trustServerKey, type ServerKey } from './keys.js';
import { Methods, type LoginTokenRecord, type MethodHost, type SentLoginCode } from './methods.js';
import type { SrpServer } from './srp.js';
import type { unwrap } from './tl.js';
import { CARDXABAR_BOT, HUMO_BOT, World, type Account, type StoredMessage } from './world.js';

export const TEST_APP_ID = 12345;
export const TEST_APP_HASH = '0123456789abcdef0123456789abcdef';
export const TELEGRAM_PORT = 80;

export interface TestServerOptions {
  /** The loopback address to listen on (default: a random 127.x.y.z). */
  ip?: string;
  /** Telegram's clock minus this machine's (ms). */
  clockSkewMs?: number;
  /** Requests on one auth key from two open connections this close together make Telegram
   * revoke the key (AUTH_KEY_DUPLICATED); 0 turns the check off. Default 3000 ms. */
  duplicateWindowMs?: number;
}

/** One request as the server saw it. */
export interface LoggedRequest {
  method: string;
  account?: number;
  keyId: bigint;
  at: number;
  /** The request itself (GramJS object). */
  request: Api.AnyRequest;
}

export type PushShape = 'short' | 'updates';

export class TelegramTestServer implements ConnectionHost, MethodHost {
  readonly port = TELEGRAM_PORT;
  readonly rsa: ServerKey = testServerKey();
  readonly keys = new AuthKeys();
  readonly faults = new Faults();
  readonly world: World;
  readonly apps = new Map<number, string>([[TEST_APP_ID, TEST_APP_HASH]]);
  readonly codes: SentLoginCode[] = [];
  readonly loginTokens: LoginTokenRecord[] = [];
  readonly requests: LoggedRequest[] = [];
  /** Requests the server has no method for (a test can assert it stays empty). */
  readonly unsupported: string[] = [];
  readonly internalErrors: string[] = [];
  /** Every AUTH_KEY_DUPLICATED the server raised. */
  readonly duplicates: { keyId: bigint; at: number }[] = [];
  readonly stats: ProtocolStats = emptyStats();
  clockSkewMs: number;
  duplicateWindowMs: number;
  /** What a bot answers to /start (default: a greeting; '' for silence). */
  readonly greetings = new Map<number, string>();
  private readonly connections = new Set<Connection>();
  private readonly methods: Methods;
  private readonly lastRequestOf = new Map<bigint, { conn: Connection; at: number }>();
  private heldPushes: { account: Account; updates: Api.TypeUpdates }[] = [];

  private constructor(
    private readonly server: Server,
    readonly dcIp: string,
    opts: TestServerOptions,
  ) {
    this.clockSkewMs = opts.clockSkewMs ?? 0;
    this.duplicateWindowMs = opts.duplicateWindowMs ?? 3000;
    this.world = new World(() => this.now());
    this.methods = new Methods(this);
    server.on('connection', (socket: Socket) => this.connections.add(new Connection(socket, this)));
  }

  static async start(opts: TestServerOptions = {}): Promise<TelegramTestServer> {
    for (let attempt = 0; ; attempt++) {
      const ip = opts.ip ?? `127.${randomInt(16, 250)}.${randomInt(1, 255)}.${randomInt(1, 255)}`;
      const server = createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: ip, port: TELEGRAM_PORT }, () => resolve());
        });
        return new TelegramTestServer(server, ip, opts);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || opts.ip || attempt > 20) throw err;
      }
    }
  }

  /** Telegram's clock, unix ms. */
  now(): number {
    return Date.now() + this.clockSkewMs;
  }

  /** Makes GramJS in this process accept the server's RSA key. */
  trustKey(): void {
    trustServerKey(this.rsa);
  }

  // ------------------------------------------------------------------ the connection host

  async call(ctx: CallContext, request: Api.AnyRequest, wrapped: ReturnType<typeof unwrap>): Promise<unknown> {
    const { key } = ctx;
    if (wrapped.layer !== undefined) key.layer = wrapped.layer;
    if (wrapped.init) key.client = { apiId: wrapped.init.apiId, deviceModel: wrapped.init.deviceModel, appVersion: wrapped.init.appVersion };
    this.requests.push({ method: request.className, account: key.account, keyId: key.keyId, at: Date.now(), request });
    this.checkDuplicate(ctx);
    if (key.dead) throw new RpcFailure(key.dead.code, key.dead.message);
    // A delayed method is answered from the state when it arrived, late (a slow network or DC).
    const delay = this.faults.delayFor(request.className);
    const answer = this.answer(key, request);
    answer.catch(() => undefined);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    return answer;
  }

  private async answer(key: AuthKeyRecord, request: Api.AnyRequest): Promise<unknown> {
    const scripted = this.faults.takeError(request.className);
    if (scripted) throw new RpcFailure(scripted.code, scripted.message);
    try {
      return await this.methods.call(key, request);
    } catch (err) {
      if (err instanceof RpcFailure && err.errorMessage.startsWith('INPUT_METHOD_INVALID')) this.unsupported.push(request.className);
      throw err;
    }
  }

  /** Telegram revokes a key used from two places at once (two processes on one session). */
  private checkDuplicate({ key, connection }: CallContext): void {
    const last = this.lastRequestOf.get(key.keyId);
    const now = Date.now();
    this.lastRequestOf.set(key.keyId, { conn: connection, at: now });
    if (key.dead || !this.duplicateWindowMs || !last || last.conn === connection || last.conn.closed) return;
    if (now - last.at > this.duplicateWindowMs) return;
    key.dead = { code: 406, message: 'AUTH_KEY_DUPLICATED' };
    this.duplicates.push({ keyId: key.keyId, at: now });
  }

  onClose(conn: Connection): void {
    this.connections.delete(conn);
  }

  deliver(account: Account, updates: Api.TypeUpdates): void {
    if (this.faults.stalled) {
      // A stalled Telegram delivers late, not never.
      this.heldPushes.push({ account, updates });
      return;
    }
    if (this.faults.losePushes > 0) {
      this.faults.losePushes--;
      return;
    }
    // One push per logged-in key, on the connection it spoke on last.
    const latest = new Map<AuthKeyRecord, Connection>();
    for (const c of this.connections) {
      if (c.closed || !c.key || c.key.account !== account.id || c.key.dead || c.sessionId === undefined) continue;
      const prev = latest.get(c.key);
      if (!prev || c.openedAt >= prev.openedAt) latest.set(c.key, c);
    }
    for (const c of latest.values()) c.push(updates);
  }

  pushToKey(keyId: bigint, updates: Api.TypeUpdates): void {
    const open = [...this.connections].filter((c) => !c.closed && c.key?.keyId === keyId && c.sessionId !== undefined);
    open.sort((a, b) => b.openedAt - a.openedAt)[0]?.push(updates);
  }

  greeting(bot: number): string {
    return this.greetings.get(bot) ?? (bot === HUMO_BOT || bot === CARDXABAR_BOT ? 'Assalomu alaykum! Bu yerda kartangiz bo‘yicha xabarlar keladi.' : '');
  }

  botSays(account: Account, bot: number, text: string): void {
    this.botSends(account, bot, text);
  }

  // ------------------------------------------------------------------ the test's API

  addAccount(opts: { phone: string; firstName: string; lastName?: string; username?: string; id?: number; password?: SrpServer }): Account {
    return this.world.addAccount(opts);
  }

  account(id: number): Account {
    const a = this.world.accounts.get(id);
    if (!a) throw new Error(`test server: no account ${id}`);
    return a;
  }

  /**
   * A bot writes to an account: stored under the account's next message id, pushed to its
   * sessions as updateShortMessage (or an `updates` with updateNewMessage). `date` (unix
   * seconds) dates it in the past; by default it is now.
   */
  botSends(account: Account, bot: number, text: string, opts: { date?: number; shape?: PushShape; fwdFrom?: StoredMessage['fwdFrom'] } = {}): StoredMessage {
    return this.newMessage(account, bot, false, text, opts);
  }

  /** The account itself writes in a chat from another device (its phone): an outgoing message,
   * pushed to its sessions here too. */
  ownMessage(account: Account, peer: number, text: string, opts: { shape?: PushShape } = {}): StoredMessage {
    return this.newMessage(account, peer, true, text, opts);
  }

  private newMessage(account: Account, peer: number, out: boolean, text: string, opts: { date?: number; shape?: PushShape; fwdFrom?: StoredMessage['fwdFrom'] }): StoredMessage {
    const date = opts.date ?? Math.floor(this.now() / 1000);
    const { message, update } = account.store({ peer, out, date, text, ...(opts.fwdFrom ? { fwdFrom: opts.fwdFrom } : {}) });
    this.pushNew(account, message, update.pts, opts.shape ?? 'short');
    return message;
  }

  /** Another user (not a bot) writes to the account. */
  userSends(account: Account, from: number, text: string, opts: { shape?: PushShape; fwdFrom?: StoredMessage['fwdFrom'] } = {}): StoredMessage {
    return this.botSends(account, from, text, opts);
  }

  /** `from` forwards `original` (a message of some chat) into its chat with the account. */
  forward(account: Account, from: number, original: StoredMessage, opts: { shape?: PushShape } = {}): StoredMessage {
    const fwdFrom = { fromId: original.out ? account.id : original.peer, date: original.date };
    return this.botSends(account, from, original.text, { ...opts, fwdFrom });
  }

  /** The sender edits a message; the account's sessions get updateEditMessage. */
  edit(account: Account, messageId: number, text: string): StoredMessage {
    const m = account.message(messageId);
    if (!m) throw new Error(`test server: account ${account.id} has no message ${messageId}`);
    m.text = text;
    m.editDate = Math.floor(this.now() / 1000);
    const u = account.sequence('edit', m.id, m.editDate);
    this.deliver(
      account,
      new Api.Updates({
        updates: [new Api.UpdateEditMessage({ message: this.world.apiMessage(account, m), pts: u.pts, ptsCount: 1 })],
        users: this.world.usersFor(account.id, [m]),
        chats: [],
        date: m.editDate,
        seq: 0,
      }),
    );
    return m;
  }

  private pushNew(account: Account, m: StoredMessage, pts: number, shape: PushShape): void {
    if (shape === 'short') {
      this.deliver(
        account,
        new Api.UpdateShortMessage({
          out: m.out,
          id: m.id,
          userId: returnBigInt(m.peer),
          message: m.text,
          pts,
          ptsCount: 1,
          date: m.date,
          fwdFrom: m.fwdFrom ? new Api.MessageFwdHeader({ fromId: new Api.PeerUser({ userId: returnBigInt(m.fwdFrom.fromId) }), date: m.fwdFrom.date }) : undefined,
        }),
      );
      return;
    }
    this.deliver(
      account,
      new Api.Updates({
        updates: [new Api.UpdateNewMessage({ message: this.world.apiMessage(account, m), pts, ptsCount: 1 })],
        users: this.world.usersFor(account.id, [m]),
        chats: [],
        date: m.date,
        seq: 0,
      }),
    );
  }

  /** Telegram tells the account's sessions there were too many updates to send (they must
   * fetch the difference themselves). */
  updatesTooLong(account: Account): void {
    this.deliver(account, new Api.UpdatesTooLong());
  }

  /** The last login code sent for a phone number (what the user reads in the Telegram app). */
  lastCode(phone: string): string {
    const digits = phone.replace(/\D/g, '');
    const c = [...this.codes].reverse().find((x) => x.phone === digits);
    if (!c) throw new Error(`test server: no code was sent to ${phone}`);
    return c.code;
  }

  /** Every QR login token shown so far expires (a scan now answers AUTH_TOKEN_EXPIRED). */
  expireLoginTokens(): void {
    for (const t of this.loginTokens) t.expires = Math.min(t.expires, Math.floor(this.now() / 1000) - 1);
  }

  /** Every code sent so far expires (signIn answers PHONE_CODE_EXPIRED). */
  expireCodes(): void {
    for (const c of this.codes) c.expired = true;
  }

  /** Terminates every session of the account (another device's "terminate all sessions"):
   * their keys stay, but every call that needs a login gets 401 `message`. */
  revoke(account: Account, message: 'AUTH_KEY_UNREGISTERED' | 'SESSION_REVOKED' = 'AUTH_KEY_UNREGISTERED'): void {
    for (const k of this.keys.forAccount(account.id)) {
      k.account = undefined;
      k.loggedOutWith = message;
    }
  }

  /** Auth keys a client has actually used (sent an encrypted message with). GramJS turns g_ab
   * into a 255-byte key when its first byte is 0 (1 exchange in 256), fails Telegram's check of
   * the new nonce hash and runs the exchange again: count keys in use, not exchanges. */
  get keysInUse(): number {
    return this.keys.all().filter((k) => k.sessions.size > 0).length;
  }

  /** Keys logged in as the account now. */
  sessionsOf(account: Account): AuthKeyRecord[] {
    return this.keys.forAccount(account.id);
  }

  /** The server stops answering: connections are accepted and read, nothing is answered or
   * pushed until resume() (then the held pushes go out, to the connections open by then). */
  stall(): void {
    this.faults.stalled = true;
  }

  /** Bytes read and held while stalled. */
  get heldBytes(): number {
    return [...this.connections].reduce((n, c) => n + c.heldBytes, 0);
  }

  /** The server answers again, starting with what it read while stalled. */
  resume(): void {
    this.faults.stalled = false;
    for (const c of this.connections) c.resume();
    const pushes = this.heldPushes;
    this.heldPushes = [];
    for (const p of pushes) this.deliver(p.account, p.updates);
  }

  /** Telegram forgets the account's auth keys: every packet on them gets the -404 transport error. */
  forgetKeys(account: Account): void {
    for (const k of this.keys.forAccount(account.id)) this.keys.forget(k.keyId);
  }

  /** Closes every open client connection (GramJS reconnects by itself). */
  dropConnections(): void {
    for (const c of [...this.connections]) c.close();
  }

  get openConnections(): number {
    return [...this.connections].filter((c) => !c.closed).length;
  }

  /** A saved session for the account, as `paycue --telegram` would have written it: a key the
   * server made, logged in as the account, for this server's address. */
  async sessionFor(account: Account): Promise<string> {
    const { rec, authKey } = await this.keys.mint();
    rec.account = account.id;
    const session = new StringSession('');
    session.setDC(2, this.dcIp, TELEGRAM_PORT);
    session.setAuthKey(authKey);
    return session.save();
  }

  /** How many times a method was called (GramJS className, e.g. 'messages.GetHistory'). */
  count(method: string, account?: Account): number {
    return this.requests.filter((r) => r.method === method && (!account || r.account === account.id)).length;
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
