// One client TCP connection: the full transport, the auth-key exchange on plain messages, then
// MTProto 2.0 sessions: salts (bad_server_salt), new_session_created, msg_id checks
// (bad_msg_notification), containers and gzip_packed in, acks, pings (pong, and
// ping_delay_disconnect's timer), RPCs answered in rpc_result, and updates pushed. What goes out
// in one turn of the event loop goes in one msg_container, as Telegram batches it.
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Api } from 'telegram';
import { returnBigInt } from 'telegram/Helpers.js';
import type { AuthKeyRecord, AuthKeys } from './auth-keys.js';
import { authKeyIdOf, openClientPacket, plainPacket, readPlainPacket, sealServerPacket } from './envelope.js';
import { Handshake } from './handshake.js';
import type { ServerKey } from './keys.js';
import { constructorOf, container, maybeGzip, readObject, rpcError, rpcResult, serialize, splitContainer, unwrap, type InboundMessage, type OutboundMessage } from './tl.js';
import { FullTransport, TransportError, transportErrorPayload } from './transport.js';
import type { Faults } from './faults.js';

/** An RPC failure as Telegram reports it (rpc_error). */
export class RpcFailure extends Error {
  constructor(
    readonly code: number,
    readonly errorMessage: string,
  ) {
    super(`${code} ${errorMessage}`);
  }
}

export interface CallContext {
  key: AuthKeyRecord;
  connection: Connection;
  /** The request's place in the client's stream (for invokeAfterMsg). */
  msgId: bigint;
}

export interface ProtocolStats {
  authKeysCreated: number;
  badServerSalt: number;
  badMsgNotification: number;
  newSessions: number;
  pongs: number;
  containersIn: number;
  containersOut: number;
  gzippedOut: number;
  acksOut: number;
  unknownKey: number;
}

export const emptyStats = (): ProtocolStats => ({
  authKeysCreated: 0, badServerSalt: 0, badMsgNotification: 0, newSessions: 0, pongs: 0, containersIn: 0, containersOut: 0, gzippedOut: 0, acksOut: 0, unknownKey: 0,
});

export interface ConnectionHost {
  rsa: ServerKey;
  keys: AuthKeys;
  faults: Faults;
  /** Telegram's clock, unix ms. */
  now(): number;
  call(ctx: CallContext, request: Api.AnyRequest, wrapped: ReturnType<typeof unwrap>): Promise<unknown>;
  /** Counts of what the server did at the protocol level (tests check the paths were taken). */
  stats: ProtocolStats;
  /** Exceptions in the server's own code (answered 500 INTERNAL_SERVER_ERROR). */
  internalErrors: string[];
  onClose(conn: Connection): void;
}

const big = (n: bigint) => returnBigInt(n);

const PING = 0x7abe77ec;
const PING_DELAY_DISCONNECT = 0xf3427b8c;
const MSGS_ACK = 0x62d6b459;

/** Server msg_ids: time-based, strictly increasing, ≡ 1 (mod 4) for answers and 3 for the rest. */
export class MsgIds {
  private last = 0n;
  constructor(private readonly now: () => number) {}
  next(answer: boolean): bigint {
    const ms = BigInt(Math.floor(this.now()));
    let id = ((ms / 1000n) << 32n) | (((ms % 1000n) << 32n) / 1000n);
    id = (id & ~3n) | (answer ? 1n : 3n);
    // Never backwards, even when a test turns the server's clock back.
    if (id <= this.last) id = (this.last & ~3n) + 4n + (answer ? 1n : 3n);
    this.last = id;
    return id;
  }
}

/** The server's side of one client session (per auth key, session_id). */
interface SessionState {
  id: bigint;
  contentSent: number;
}

export class Connection {
  private readonly transport = new FullTransport();
  private handshake?: Handshake;
  private readonly msgIds: MsgIds;
  key?: AuthKeyRecord;
  private session?: SessionState;
  private readonly sessions = new Map<bigint, SessionState>();
  private outbox: { session: SessionState; body: Buffer; content: boolean; answer: boolean }[] = [];
  private pendingAcks: { session: SessionState; msgId: bigint }[] = [];
  private flushing = false;
  /** Packets are sealed and written one flush at a time, in order. */
  private writing = Promise.resolve();
  private pingTimer?: NodeJS.Timeout;
  /** Requests of this connection still being answered, by msg_id (for invokeAfterMsg). */
  private readonly running = new Map<bigint, Promise<void>>();
  closed = false;
  readonly openedAt: number;

  constructor(
    readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.msgIds = new MsgIds(() => host.now());
    this.openedAt = Date.now();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      // A stalled server reads and holds everything, answering nothing until it resumes.
      if (this.host.faults.stalled) this.held.push(chunk);
      else this.receive(chunk);
    });
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  /** Packets are handled one after the other, in order, as they arrive. */
  private chain = Promise.resolve();
  /** What arrived while the server was stalled. */
  private held: Buffer[] = [];

  private receive(chunk: Buffer): void {
    let packets: Buffer[];
    try {
      packets = this.transport.push(chunk);
    } catch (err) {
      if (err instanceof TransportError) this.close();
      return;
    }
    for (const p of packets) {
      this.chain = this.chain
        .then(() => this.packet(p))
        .catch((err: unknown) => {
          if (process.env.MTPROTO_DEBUG) console.error('test telegram: closing a connection:', err);
          this.close();
        });
    }
  }

  get heldBytes(): number {
    return this.held.reduce((n, c) => n + c.length, 0);
  }

  /** The server resumed after a stall: what it held is handled now, in order. */
  resume(): void {
    const held = this.held;
    this.held = [];
    for (const chunk of held) this.receive(chunk);
    this.scheduleFlush();
  }

  /** The client session this connection last spoke in (where pushed updates go). */
  get sessionId(): bigint | undefined {
    return this.session?.id;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.pingTimer);
    this.socket.destroy();
    this.host.onClose(this);
  }

  private write(payload: Buffer): void {
    if (!this.closed) this.socket.write(this.transport.encode(payload));
  }

  private async packet(packet: Buffer): Promise<void> {
    if (packet.length === 4) return; // a transport-level code from the client: nothing to do
    const keyId = authKeyIdOf(packet);
    if (keyId === 0n) return this.plain(packet);
    const key = this.host.keys.get(keyId);
    if (!key) {
      // Telegram's answer to an auth key it does not know.
      this.host.stats.unknownKey++;
      this.write(transportErrorPayload(404));
      return;
    }
    const env = await openClientPacket(key.key, packet);
    if (!env) {
      this.close();
      return;
    }
    this.key = key;
    const now = this.host.now();
    const sentAt = Number(env.msgId >> 32n) * 1000;
    if (env.msgId % 4n !== 0n || sentAt < now - 300_000 || sentAt > now + 30_000) {
      const code = env.msgId % 4n !== 0n ? 18 : sentAt < now - 300_000 ? 16 : 17;
      this.useSession(env.sessionId);
      this.host.stats.badMsgNotification++;
      this.queue(new Api.BadMsgNotification({ badMsgId: big(env.msgId), badMsgSeqno: env.seqNo, errorCode: code }).getBytes(), false, true);
      return;
    }
    if (!key.salts.includes(env.salt)) {
      this.useSession(env.sessionId);
      this.host.stats.badServerSalt++;
      this.queue(
        new Api.BadServerSalt({ badMsgId: big(env.msgId), badMsgSeqno: env.seqNo, errorCode: 48, newServerSalt: big(key.salt) }).getBytes(),
        false,
        true,
      );
      return;
    }
    if (!key.sessions.has(env.sessionId)) {
      key.sessions.add(env.sessionId);
      this.useSession(env.sessionId);
      this.host.stats.newSessions++;
      this.queue(
        new Api.NewSessionCreated({ firstMsgId: big(env.msgId), uniqueId: big(randomBytes(8).readBigInt64LE(0)), serverSalt: big(key.salt) }).getBytes(),
        true,
        false,
      );
    } else this.useSession(env.sessionId);
    const messages = splitContainer({ msgId: env.msgId, seqNo: env.seqNo, body: env.body });
    if (messages.length > 1 || messages[0]!.msgId !== env.msgId) this.host.stats.containersIn++;
    for (const m of messages) this.message(key, m);
  }

  private useSession(id: bigint): void {
    let s = this.sessions.get(id);
    if (!s) this.sessions.set(id, (s = { id, contentSent: 0 }));
    this.session = s;
  }

  private async plain(packet: Buffer): Promise<void> {
    const m = readPlainPacket(packet);
    if (!m) return this.close();
    this.handshake ??= new Handshake(this.host.rsa, () => this.host.now());
    const { answer, key } = await this.handshake.handle(m.body);
    if (key) {
      this.host.stats.authKeysCreated++;
      this.host.keys.add(key.keyId, key.key, key.salt);
      this.handshake = undefined;
    }
    this.write(plainPacket(this.msgIds.next(true), answer));
  }

  private message(key: AuthKeyRecord, m: InboundMessage): void {
    const id = constructorOf(m.body);
    if (id === MSGS_ACK) return;
    if (id === PING || id === PING_DELAY_DISCONNECT) {
      const ping = readObject(m.body) as Api.Ping | Api.PingDelayDisconnect;
      this.host.stats.pongs++;
      this.queue(new Api.Pong({ msgId: big(m.msgId), pingId: ping.pingId }).getBytes(), true, true);
      if (ping instanceof Api.PingDelayDisconnect) {
        // Close unless another ping comes within disconnect_delay seconds (GramJS asks for 60000).
        clearTimeout(this.pingTimer);
        this.pingTimer = setTimeout(() => this.close(), ping.disconnectDelay * 1000);
        this.pingTimer.unref();
      }
      return;
    }
    let obj: unknown;
    try {
      obj = readObject(m.body);
    } catch {
      this.ack(m.msgId);
      this.queue(rpcError(m.msgId, 400, 'INPUT_CONSTRUCTOR_INVALID'), true, true);
      return;
    }
    if (obj instanceof Api.DestroySession) {
      this.queue(new Api.DestroySessionOk({ sessionId: obj.sessionId }).getBytes(), false, true);
      return;
    }
    if (obj instanceof Api.GetFutureSalts) {
      const now = Math.floor(this.host.now() / 1000);
      const salts = [new Api.FutureSalt({ validSince: now - 60, validUntil: now + 3600, salt: big(key.salt) })];
      // future_salts is not wrapped in rpc_result (GramJS matches it by the answer's own msg_id).
      this.queue(new Api.FutureSalts({ reqMsgId: big(m.msgId), now, salts }).getBytes(), true, true);
      return;
    }
    if (!(obj && typeof obj === 'object' && (obj as { classType?: string }).classType === 'request')) return;
    this.ack(m.msgId);
    const wrapped = unwrap(obj as Api.AnyRequest);
    const after = wrapped.afterMsgIds.map((id) => this.running.get(id)).filter((p): p is Promise<void> => !!p);
    const run = Promise.all(after)
      .then(() => this.answer(key, m.msgId, wrapped))
      .finally(() => this.running.delete(m.msgId));
    this.running.set(m.msgId, run);
  }

  private async answer(key: AuthKeyRecord, msgId: bigint, wrapped: ReturnType<typeof unwrap>): Promise<void> {
    let body: Buffer;
    try {
      const result = await this.host.call({ key, connection: this, msgId }, wrapped.request, wrapped);
      const plain = serialize(result);
      const packed = maybeGzip(plain);
      if (packed !== plain) this.host.stats.gzippedOut++;
      body = rpcResult(msgId, packed);
    } catch (err) {
      if (err instanceof RpcFailure) body = rpcError(msgId, err.code, err.errorMessage);
      else {
        // A bug in the test server, not a Telegram answer: the tests fail on it (see internalErrors).
        this.host.internalErrors.push(`${wrapped.request.className}: ${(err as Error)?.stack ?? String(err)}`);
        body = rpcError(msgId, 500, 'INTERNAL_SERVER_ERROR');
      }
    }
    if (!this.closed) this.queue(body, true, true);
  }

  private ack(msgId: bigint): void {
    if (!this.session) return;
    this.pendingAcks.push({ session: this.session, msgId });
    this.scheduleFlush();
  }

  /** Pushes an update (Updates) to this connection's session. */
  push(update: Api.TypeUpdates): void {
    if (!this.session || this.closed) return;
    const plain = update.getBytes();
    const packed = maybeGzip(plain);
    if (packed !== plain) this.host.stats.gzippedOut++;
    this.queue(packed, true, false);
  }

  private queue(body: Buffer, content: boolean, answer: boolean): void {
    if (!this.session) return;
    this.outbox.push({ session: this.session, body, content, answer });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => void this.flush());
  }

  private flush(): void {
    this.flushing = false;
    const key = this.key;
    // A stalled server sends nothing, not even answers it had worked out before the stall.
    if (this.closed || !key || this.host.faults.stalled) return;
    const acks = this.pendingAcks;
    const items = this.outbox;
    this.pendingAcks = [];
    this.outbox = [];
    // One packet per session (almost always one), acks first, then the rest in order.
    const sessions = [...new Set([...acks.map((a) => a.session), ...items.map((i) => i.session)])];
    for (const session of sessions) {
      const ackIds = acks.filter((a) => a.session === session).map((a) => big(a.msgId));
      if (ackIds.length) this.host.stats.acksOut++;
      const mine = [
        ...(ackIds.length ? [{ body: new Api.MsgsAck({ msgIds: ackIds }).getBytes(), content: false, answer: false }] : []),
        ...items.filter((i) => i.session === session),
      ];
      const messages: OutboundMessage[] = mine.map((it) => ({
        msgId: this.msgIds.next(it.answer),
        seqNo: it.content ? session.contentSent++ * 2 + 1 : session.contentSent * 2,
        body: it.body,
      }));
      if (messages.length > 1) this.host.stats.containersOut++;
      const one =
        messages.length === 1
          ? messages[0]!
          : { msgId: this.msgIds.next(mine.some((i) => i.answer)), seqNo: session.contentSent * 2, body: container(messages) };
      this.writing = this.writing
        .then(async () => this.write(await sealServerPacket(key.key, key.keyId, { salt: key.salt, sessionId: session.id, ...one })))
        .catch(() => this.close());
    }
  }
}
