// MTProto's service-level framing around GramJS's TL objects: what the server reads from a
// decrypted payload (containers, gzip_packed, the invoke* wrappers) and what it writes back
// (rpc_result, msg_container, gzip_packed, vectors, Bool). Every TL object itself is GramJS's:
// parsed by its BinaryReader, written by its Api classes' getBytes().
import { gzipSync, gunzipSync } from 'node:zlib';
import { Api } from 'telegram';
import { BinaryReader } from 'telegram/extensions/index.js';
import { serializeBytes } from 'telegram/tl/index.js';

export const CONTAINER_ID = 0x73f1f8dc;
export const GZIP_ID = 0x3072cfa1;
export const RPC_RESULT_ID = 0xf35c6d01;
const VECTOR_ID = 0x1cb5c415;
const BOOL_TRUE = 0x997275b5;
const BOOL_FALSE = 0xbc799737;

/** One message as the client sent it (inside a container or alone). */
export interface InboundMessage {
  msgId: bigint;
  seqNo: number;
  /** The object's bytes, gzip_packed already undone. */
  body: Buffer;
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
};
export const i64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt.asIntN(64, n));
  return b;
};

export const constructorOf = (body: Buffer): number => body.readUInt32LE(0);

/** gzip_packed undone (repeatedly: nothing forbids nesting). */
export function unpack(body: Buffer): Buffer {
  while (body.length >= 4 && constructorOf(body) === GZIP_ID) {
    const r = new BinaryReader(body);
    r.readInt(false);
    body = gunzipSync(r.tgReadBytes());
  }
  return body;
}

/** The messages in a payload: a container's items, or the one message itself. */
export function splitContainer(msg: InboundMessage): InboundMessage[] {
  const body = unpack(msg.body);
  if (constructorOf(body) !== CONTAINER_ID) return [{ ...msg, body }];
  const r = new BinaryReader(body);
  r.readInt(false);
  const count = r.readInt();
  const out: InboundMessage[] = [];
  for (let i = 0; i < count; i++) {
    const msgId = BigInt(r.readLong().toString());
    const seqNo = r.readInt();
    const len = r.readInt();
    out.push({ msgId, seqNo, body: unpack(r.read(len)) });
  }
  return out;
}

/** Parses a TL object with GramJS's reader. */
export function readObject(body: Buffer): unknown {
  return new BinaryReader(body).tgReadObject();
}

/** A result value as TL bytes: GramJS objects, vectors of them, Bool. */
export function serialize(value: unknown): Buffer {
  if (Array.isArray(value)) {
    return Buffer.concat([u32(VECTOR_ID), i32(value.length), ...value.map((v) => serialize(v))]);
  }
  if (value === true) return u32(BOOL_TRUE);
  if (value === false) return u32(BOOL_FALSE);
  if (value && typeof value === 'object' && 'getBytes' in value && typeof value.getBytes === 'function') return value.getBytes() as Buffer;
  throw new Error(`test server: cannot serialise ${String(value)}`);
}

/** Telegram gzips large answers; so does this server (GramJS must undo it). */
export function maybeGzip(body: Buffer, threshold = 512): Buffer {
  if (body.length <= threshold) return body;
  const packed = Buffer.concat([u32(GZIP_ID), serializeBytes(gzipSync(body))]);
  return packed.length < body.length ? packed : body;
}

export function rpcResult(reqMsgId: bigint, body: Buffer): Buffer {
  return Buffer.concat([u32(RPC_RESULT_ID), i64(reqMsgId), body]);
}

export function rpcError(reqMsgId: bigint, code: number, message: string): Buffer {
  return rpcResult(reqMsgId, new Api.RpcError({ errorCode: code, errorMessage: message }).getBytes());
}

/** One message in a container, or alone (the header the encrypted envelope carries). */
export interface OutboundMessage {
  msgId: bigint;
  seqNo: number;
  body: Buffer;
}

export function container(messages: OutboundMessage[]): Buffer {
  return Buffer.concat([
    u32(CONTAINER_ID),
    i32(messages.length),
    ...messages.flatMap((m) => [i64(m.msgId), i32(m.seqNo), i32(m.body.length), m.body]),
  ]);
}

/** Requests wrapped in invokeWithLayer, initConnection, invokeWithoutUpdates, invokeAfterMsg(s). */
export interface Unwrapped {
  request: Api.AnyRequest;
  layer?: number;
  init?: Api.InitConnection;
  afterMsgIds: bigint[];
  withoutUpdates: boolean;
}

export function unwrap(obj: Api.AnyRequest): Unwrapped {
  const out: Unwrapped = { request: obj, afterMsgIds: [], withoutUpdates: false };
  for (;;) {
    const r = out.request as Api.AnyRequest & { query?: Api.AnyRequest };
    if (r instanceof Api.InvokeWithLayer) out.layer = r.layer;
    else if (r instanceof Api.InitConnection) out.init = r;
    else if (r instanceof Api.InvokeWithoutUpdates) out.withoutUpdates = true;
    else if (r instanceof Api.InvokeAfterMsg) out.afterMsgIds.push(BigInt(r.msgId.toString()));
    else if (r instanceof Api.InvokeAfterMsgs) out.afterMsgIds.push(...r.msgIds.map((m) => BigInt(m.toString())));
    else return out;
    out.request = r.query as Api.AnyRequest;
  }
}
