// What the test Telegram knows: users and bots with their real ids, accounts that log in, and
// each account's message box. Private-chat message ids and the update sequence (pts) are
// numbered per account, as on Telegram; access hashes are derived per (viewer, user), so a
// re-login keeps them valid and another account's hash is refused.
import { createHmac, randomBytes } from 'node:crypto';
import { Api } from 'telegram';
import { returnBigInt } from 'telegram/Helpers.js';
import type { SrpServer } from './srp.js';

export const HUMO_BOT = 856254490;
export const CARDXABAR_BOT = 915326936;
/** Telegram's service account: login codes arrive from it. */
export const SERVICE_USER = 777000;

export interface UserRecord {
  id: number;
  firstName: string;
  lastName?: string;
  username?: string;
  phone?: string;
  bot: boolean;
}

export interface StoredMessage {
  id: number;
  /** The other party of the private chat. */
  peer: number;
  out: boolean;
  date: number;
  text: string;
  editDate?: number;
  fwdFrom?: { fromId: number; date: number };
}

/** One entry of an account's update sequence. */
export interface SequencedUpdate {
  pts: number;
  ptsCount: number;
  kind: 'new' | 'edit';
  messageId: number;
}

export class Account {
  messages: StoredMessage[] = [];
  lastMessageId = 0;
  pts = 0;
  readonly updates: SequencedUpdate[] = [];
  /** The date of the account's last update (what updates.getState reports). */
  lastUpdateDate: number;

  constructor(
    readonly user: UserRecord,
    readonly phone: string,
    public password: SrpServer | undefined,
    created: number,
  ) {
    this.lastUpdateDate = created;
  }

  get id(): number {
    return this.user.id;
  }

  chat(peer: number): StoredMessage[] {
    return this.messages.filter((m) => m.peer === peer);
  }

  message(id: number): StoredMessage | undefined {
    return this.messages.find((m) => m.id === id);
  }

  /** Stores a message under the account's next id and sequences it. */
  store(m: Omit<StoredMessage, 'id'>): { message: StoredMessage; update: SequencedUpdate } {
    const message = { ...m, id: ++this.lastMessageId };
    this.messages.push(message);
    return { message, update: this.sequence('new', message.id, m.date) };
  }

  sequence(kind: SequencedUpdate['kind'], messageId: number, date: number): SequencedUpdate {
    this.pts += 1;
    const u = { pts: this.pts, ptsCount: 1, kind, messageId };
    this.updates.push(u);
    this.lastUpdateDate = Math.max(this.lastUpdateDate, date);
    return u;
  }
}

export class World {
  readonly users = new Map<number, UserRecord>();
  readonly accounts = new Map<number, Account>();
  private readonly secret = randomBytes(32);
  /** Bumped by a test to make every access hash a viewer holds for a user stale. */
  private readonly hashEpochs = new Map<string, number>();
  private nextUserId = 7_100_000_000;

  constructor(private readonly now: () => number) {
    this.addUser({ id: HUMO_BOT, firstName: 'HUMO Card', username: 'HUMOcardbot', bot: true });
    this.addUser({ id: CARDXABAR_BOT, firstName: 'CardXabar', username: 'CardXabarBot', bot: true });
    this.addUser({ id: SERVICE_USER, firstName: 'Telegram', bot: false });
  }

  addUser(u: Partial<UserRecord> & { firstName: string }): UserRecord {
    const user: UserRecord = { bot: false, ...u, id: u.id ?? this.nextUserId++ };
    this.users.set(user.id, user);
    return user;
  }

  addAccount(opts: { phone: string; firstName: string; lastName?: string; username?: string; id?: number; password?: SrpServer }): Account {
    const user = this.addUser({ ...opts, bot: false });
    const account = new Account(user, opts.phone, opts.password, Math.floor(this.now() / 1000) - 86_400);
    this.accounts.set(user.id, account);
    return account;
  }

  accountByPhone(phone: string): Account | undefined {
    const digits = phone.replace(/\D/g, '');
    return [...this.accounts.values()].find((a) => a.phone.replace(/\D/g, '') === digits);
  }

  byUsername(username: string): UserRecord | undefined {
    const wanted = username.toLowerCase();
    return [...this.users.values()].find((u) => u.username?.toLowerCase() === wanted);
  }

  accessHash(viewer: number, user: number): bigint {
    const epoch = this.hashEpochs.get(`${viewer}/${user}`) ?? 0;
    return createHmac('sha256', this.secret).update(`${viewer}/${user}/${epoch}`).digest().readBigInt64LE(0);
  }

  /** Every hash `viewer` holds for `user` stops working (Telegram answers PEER_ID_INVALID). */
  rotateAccessHash(viewer: number, user: number): void {
    const k = `${viewer}/${user}`;
    this.hashEpochs.set(k, (this.hashEpochs.get(k) ?? 0) + 1);
  }

  apiUser(viewer: number, u: UserRecord): Api.User {
    const self = viewer === u.id;
    return new Api.User({
      id: returnBigInt(u.id),
      accessHash: returnBigInt(this.accessHash(viewer, u.id)),
      self,
      bot: u.bot,
      firstName: u.firstName,
      lastName: u.lastName,
      username: u.username,
      phone: self ? u.phone : undefined,
      ...(u.bot ? { botInfoVersion: 1 } : {}),
    });
  }

  apiMessage(account: Account, m: StoredMessage): Api.Message {
    return new Api.Message({
      id: m.id,
      out: m.out,
      peerId: new Api.PeerUser({ userId: returnBigInt(m.peer) }),
      // In private chats Telegram names the sender of outgoing messages only.
      fromId: m.out ? new Api.PeerUser({ userId: returnBigInt(account.id) }) : undefined,
      date: m.date,
      message: m.text,
      editDate: m.editDate,
      fwdFrom: m.fwdFrom ? new Api.MessageFwdHeader({ fromId: new Api.PeerUser({ userId: returnBigInt(m.fwdFrom.fromId) }), date: m.fwdFrom.date }) : undefined,
    });
  }

  /** The users a list of messages mentions, as `viewer` sees them. */
  usersFor(viewer: number, messages: StoredMessage[], extra: number[] = []): Api.User[] {
    const ids = new Set<number>([viewer, ...extra]);
    for (const m of messages) {
      ids.add(m.peer);
      if (m.fwdFrom) ids.add(m.fwdFrom.fromId);
    }
    return [...ids].flatMap((id) => {
      const u = this.users.get(id);
      return u ? [this.apiUser(viewer, u)] : [];
    });
  }
}
