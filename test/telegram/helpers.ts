// Test doubles for Telegram, built from real GramJS types. The network is replaced by recorded
// Api.Message lists behind the few client calls paycue uses; nothing here opens a socket.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api, TelegramClient } from 'telegram';
import { StringSession } from 'telegram/sessions/index.js';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { RPCError } from 'telegram/errors/index.js';
import { TotalList, returnBigInt } from 'telegram/Helpers.js';
import type { EntityLike } from 'telegram/define.js';
import type { IterMessagesParams } from 'telegram/client/messages.js';
import { parseConfig, type Config } from '../../src/config/env.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { PinoGramLogger } from '../../src/telegram/gramjs-logger.js';
import type { LoginClient } from '../../src/telegram/login.js';
import type { QrLoginClient } from '../../src/telegram/qr-login.js';
import { PromptClosedError, type PromptIO } from '../../src/telegram/prompt.js';

export const HUMO = 856254490;
export const CARDXABAR = 915326936;
export const ME = 5000001;
export const APP_HASH = '0123456789abcdef0123456789abcdef';

interface Fixture {
  id: string;
  text: string;
  sender: number;
  expect: { credit: boolean };
}
const fixtures: Fixture[] = JSON.parse(readFileSync(new URL('../fixtures/bot-messages.json', import.meta.url), 'utf8'));

export function fixtureText(id: string): string {
  const f = fixtures.find((x) => x.id === id);
  if (!f) throw new Error(`no fixture ${id}`);
  return f.text;
}

/** Real HUMO credit: "🎉 To'ldirish ➕ 1.010,00 UZS ... HUMOCARD *7159". */
export const HUMO_CREDIT = fixtureText('m000');
export const CARDXABAR_CREDIT = fixtureText('m019');

// ---------------------------------------------------------------- config, logs, temp dirs

const tmpDirs: string[] = [];
export async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'paycue-tg-'));
  tmpDirs.push(d);
  return d;
}
export async function removeTempDirs(): Promise<void> {
  await Promise.all(tmpDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export function testConfig(over: Record<string, string | undefined> = {}): Config {
  return parseConfig({
    APP_ID: '12345',
    APP_HASH,
    WEBHOOK_URL: 'http://127.0.0.1:9/hook',
    API_USERNAME: 'merchant',
    API_PASSWORD: 'secret',
    SESSION_DIR: '/nonexistent/paycue-test',
    ...over,
  });
}

/** A pino logger whose JSON lines are kept in `lines`. */
export function captureLog(): { log: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const log = createLogger({ debug: false, level: 'trace', destination: { write: (s: string) => void lines.push(s) } });
  return { log, lines, text: () => lines.join('') };
}

// ---------------------------------------------------------------- GramJS objects

/** A string session as GramJS itself writes it (a random auth key: Telegram would refuse it). */
export async function gramStringSession(dc = 2, address = '149.154.167.50', port = 443): Promise<string> {
  const session = new StringSession('');
  session.setDC(dc, address, port);
  const key = new AuthKey();
  await key.setKey(randomBytes(256));
  session.setAuthKey(key);
  return session.save();
}

export function botUser(id: number, opts: { bot?: boolean; username?: string } = {}): Api.User {
  return new Api.User({
    id: returnBigInt(id),
    accessHash: returnBigInt(7_000_000 + (id % 1000)),
    bot: opts.bot ?? true,
    firstName: 'Bank bot',
    username: opts.username,
  });
}

export function meUser(): Api.User {
  return new Api.User({ id: returnBigInt(ME), accessHash: returnBigInt(1), self: true, firstName: 'Kassa', username: 'kassa_uz' });
}

/** A message in the private chat with `chatUser`: from the bot (incoming) or from us (out). */
export function privateMessage(chatUser: number, id: number, text: string, opts: { out?: boolean; date?: number } = {}): Api.Message {
  return new Api.Message({
    id,
    peerId: new Api.PeerUser({ userId: returnBigInt(chatUser) }),
    fromId: opts.out ? new Api.PeerUser({ userId: returnBigInt(ME) }) : undefined,
    out: opts.out ?? false,
    date: opts.date ?? 1_781_000_000 + id,
    message: text,
  });
}

/** help.getConfig's answer, `date` being Telegram's clock (unix seconds); the rest is filler. */
export function telegramConfig(date: number): Api.Config {
  return new Api.Config({
    date, expires: date + 3600, testMode: false, thisDc: 2, dcOptions: [], dcTxtDomainName: '', chatSizeMax: 200, megagroupSizeMax: 200_000,
    forwardedCountMax: 100, onlineUpdatePeriodMs: 0, offlineBlurTimeoutMs: 0, offlineIdleTimeoutMs: 0, onlineCloudTimeoutMs: 0, notifyCloudDelayMs: 0,
    notifyDefaultDelayMs: 0, pushChatPeriodMs: 0, pushChatLimit: 0, editTimeLimit: 0, revokeTimeLimit: 0, revokePmTimeLimit: 0, ratingEDecay: 0,
    stickersRecentLimit: 0, channelsReadMediaPeriod: 0, callReceiveTimeoutMs: 0, callRingTimeoutMs: 0, callConnectTimeoutMs: 0, callPacketTimeoutMs: 0,
    meUrlPrefix: 'https://t.me/', captionLengthMax: 1024, messageLengthMax: 4096, webfileDcId: 4,
  } as ConstructorParameters<typeof Api.Config>[0]);
}

// ---------------------------------------------------------------- a TelegramClient without network

type InvokeHandler = (req: Api.AnyRequest) => Promise<unknown> | unknown;

/**
 * A real TelegramClient (empty StringSession, never connected) whose network-facing calls
 * answer from recorded data. Event handlers, the update dispatcher, message objects and
 * errors are GramJS's own.
 */
export class RecordedTelegram extends TelegramClient {
  /** Chat history per peer user id, any order. */
  readonly history = new Map<string, Api.Message[]>();
  readonly getMessagesCalls: { peer: string; params: Partial<IterMessagesParams> }[] = [];
  readonly invoked: Api.AnyRequest[] = [];
  connectCalls = 0;
  destroyed = false;
  connectImpl: () => Promise<boolean> = async () => true;
  getMeImpl: () => Promise<Api.User> = async () => meUser();
  /** Extra invoke behaviour; return undefined to fall through to the defaults. */
  invokeImpl?: InvokeHandler;
  getMessagesImpl?: (peer: string, params: Partial<IterMessagesParams>, entity: Api.InputPeerUser) => Promise<Api.Message[] | undefined> | undefined;
  /** Telegram's clock minus this machine's (ms): message dates and help.getConfig follow it. */
  clockSkewMs = 0;
  /** The account's update sequence, as GetState reports it. */
  pts = 1;
  bots = new Map<string, Api.User>([
    ['HUMOcardbot', botUser(HUMO, { username: 'HUMOcardbot' })],
    ['CardXabarBot', botUser(CARDXABAR, { username: 'CardXabarBot' })],
  ]);

  constructor(log: Logger) {
    super(new StringSession(''), 12345, APP_HASH, { baseLogger: new PinoGramLogger(log), connectionRetries: 1 });
    this._selfInputPeer = new Api.InputPeerUser({ userId: returnBigInt(ME), accessHash: returnBigInt(1) });
  }

  /** Telegram's clock now, unix seconds. */
  telegramNow(): number {
    return Math.floor((Date.now() + this.clockSkewMs) / 1000);
  }

  add(chatUser: number, ...messages: Api.Message[]): void {
    const list = this.history.get(String(chatUser)) ?? [];
    list.push(...messages);
    this.history.set(String(chatUser), list);
  }

  override async connect(): Promise<boolean> {
    this.connectCalls++;
    return this.connectImpl();
  }

  override getMe(inputPeer: true): Promise<Api.InputPeerUser>;
  override getMe(inputPeer?: false): Promise<Api.User>;
  override async getMe(inputPeer?: boolean): Promise<Api.User | Api.InputPeerUser> {
    if (inputPeer) return this._selfInputPeer!;
    return this.getMeImpl();
  }

  override async getMessages(entity: EntityLike | undefined, params?: Partial<IterMessagesParams>): Promise<TotalList<Api.Message>> {
    if (!(entity instanceof Api.InputPeerUser)) throw new Error('test: getMessages expects the cached InputPeerUser');
    if (!params || params.limit === undefined) throw new Error('test: getMessages called without limit');
    if (params.limit > 100) throw new Error('test: getMessages limit above 100');
    const peer = entity.userId.toString();
    this.getMessagesCalls.push({ peer, params: { ...params } });
    const custom = await this.getMessagesImpl?.(peer, params, entity);
    const out = new TotalList<Api.Message>();
    if (custom) {
      out.push(...custom);
      return out;
    }
    // Telegram semantics: newest first, minId < id < maxId, at most `limit`.
    const list = (this.history.get(peer) ?? [])
      .filter((m) => m.id > (params.minId ?? 0) && (!params.maxId || m.id < params.maxId))
      .sort((a, b) => b.id - a.id)
      .slice(0, params.limit);
    out.push(...list);
    return out;
  }

  override async invoke<R extends Api.AnyRequest>(request: R): Promise<R['__response']> {
    this.invoked.push(request);
    const custom = await this.invokeImpl?.(request);
    if (custom !== undefined) return custom as R['__response'];
    if (request instanceof Api.contacts.ResolveUsername) {
      const user = this.bots.get(request.username);
      if (!user) throw new RPCError('USERNAME_NOT_OCCUPIED', request, 400);
      return new Api.contacts.ResolvedPeer({ peer: new Api.PeerUser({ userId: user.id }), users: [user], chats: [] }) as R['__response'];
    }
    if (request instanceof Api.help.GetConfig) return telegramConfig(this.telegramNow()) as R['__response'];
    if (request instanceof Api.updates.GetState) {
      // `date` is the date of the account's last update: on a quiet account, long ago.
      return new Api.updates.State({ pts: this.pts, qts: 0, date: this.telegramNow() - 3600, seq: 0, unreadCount: 0 }) as R['__response'];
    }
    if (request instanceof Api.messages.SendMessage) {
      const peer = request.peer as Api.InputPeerUser;
      // Message ids in private chats are one sequence per account.
      const id = Math.max(0, ...[...this.history.values()].flat().map((m) => m.id)) + 1;
      this.add(Number(peer.userId.toString()), privateMessage(Number(peer.userId.toString()), id, request.message, { out: true }));
      return new Api.UpdateShortSentMessage({ id, pts: 1, ptsCount: 1, date: 0, out: true }) as R['__response'];
    }
    throw new Error(`test: unexpected request ${request.className}`);
  }

  override async destroy(): Promise<void> {
    this.destroyed = true;
    await super.destroy();
  }

  /** Requests of one kind that were sent. */
  sent<T extends Api.AnyRequest>(cls: new (...args: never[]) => T): T[] {
    return this.invoked.filter((r): r is T => r instanceof cls);
  }
}

// ---------------------------------------------------------------- scripted prompts

export interface ScriptedIO extends PromptIO {
  questions: { text: string; hidden: boolean }[];
  printed: string[];
  errors: string[];
  /** Everything shown to the user. */
  all(): string;
  /** The user presses Ctrl+C. */
  interrupt(): void;
}

/** Answers questions from a list, in order; an exhausted list behaves like a closed stdin. */
export function scriptedIO(answers: string[]): ScriptedIO {
  const queue = [...answers];
  const interrupted: (() => void)[] = [];
  const io: ScriptedIO = {
    questions: [],
    printed: [],
    errors: [],
    async ask(text) {
      io.questions.push({ text, hidden: false });
      const a = queue.shift();
      if (a === undefined) throw new PromptClosedError();
      return a;
    },
    async askHidden(text) {
      io.questions.push({ text, hidden: true });
      const a = queue.shift();
      if (a === undefined) throw new PromptClosedError();
      return a;
    },
    print(line) {
      io.printed.push(line);
    },
    error(line) {
      io.errors.push(line);
    },
    all() {
      return [...io.questions.map((q) => q.text), ...io.printed, ...io.errors].join('\n');
    },
    onInterrupt(listener) {
      interrupted.push(listener);
    },
    interrupt() {
      for (const l of interrupted.splice(0)) l();
    },
  };
  return io;
}

// ---------------------------------------------------------------- a scripted login client

export class FakeLoginClient implements LoginClient {
  readonly requests: Api.AnyRequest[] = [];
  connected = false;
  destroyed = false;
  sessionValue: string;
  connectImpl: () => Promise<boolean> = async () => true;

  constructor(
    private readonly answer: (req: Api.AnyRequest, client: FakeLoginClient) => unknown | Promise<unknown>,
    session = '1fake-session-string',
  ) {
    this.sessionValue = session;
  }

  session = { save: () => this.sessionValue };

  async connect(): Promise<boolean> {
    const ok = await this.connectImpl();
    this.connected = ok;
    return ok;
  }

  async invoke<R extends Api.AnyRequest>(request: R): Promise<R['__response']> {
    this.requests.push(request);
    return (await this.answer(request, this)) as R['__response'];
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
  }

  count(cls: abstract new (...args: never[]) => unknown): number {
    return this.requests.filter((r) => r instanceof cls).length;
  }
}

/** A FakeLoginClient for the QR login: Telegram's updateLoginToken is pushed by the test, and
 * the data centre it is connected to is recorded. */
export class FakeQrClient extends FakeLoginClient implements QrLoginClient {
  private readonly listeners = new Set<() => void>();
  dc = 2;
  readonly dcSwitches: number[] = [];

  onLoginToken(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Telegram tells the client its code was accepted. */
  pushLoginToken(): void {
    for (const l of [...this.listeners]) l();
  }

  listening(): number {
    return this.listeners.size;
  }

  async switchDc(dcId: number): Promise<void> {
    this.dcSwitches.push(dcId);
    this.dc = dcId;
  }
}

export function sentCode(hash: string, type: Api.auth.TypeSentCodeType = new Api.auth.SentCodeTypeApp({ length: 5 })): Api.auth.SentCode {
  return new Api.auth.SentCode({ type, phoneCodeHash: hash });
}

export function authorization(user: Api.User): Api.auth.Authorization {
  return new Api.auth.Authorization({ user });
}

// The server half of the 2FA check lives with the test server; the unit tests use it too.
export { SrpServer } from '../mtproto-server/srp.js';
