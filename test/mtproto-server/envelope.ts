// MTProto 2.0 encryption, the server's side of it (core.telegram.org/mtproto/description):
// msg_key = middle 128 bits of SHA256(substr(auth_key, 88 + x, 32) + plaintext + padding), with
// x = 0 from the client and 8 from the server; AES-256-IGE key and iv from GramJS's own KDF
// (MTProtoState._calcKey) and cipher (crypto/IGE).
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { IGE } from 'telegram/crypto/IGE.js';
import { MTProtoState } from 'telegram/network/MTProtoState.js';
import { i64 } from './tl.js';

const kdf = new MTProtoState(undefined, undefined);
const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

export interface ClientEnvelope {
  salt: bigint;
  sessionId: bigint;
  msgId: bigint;
  seqNo: number;
  body: Buffer;
}

/** The auth_key_id a packet names (0 for a plain, unencrypted message). */
export const authKeyIdOf = (packet: Buffer): bigint => packet.readBigUInt64LE(0);

/** Decrypts a client packet; null when it is not what that key produced (tampered, wrong key). */
export async function openClientPacket(key: Buffer, packet: Buffer): Promise<ClientEnvelope | null> {
  if (packet.length < 24 + 32 || (packet.length - 24) % 16 !== 0) return null;
  const msgKey = packet.subarray(8, 24);
  const { key: aesKey, iv } = await kdf._calcKey(key, msgKey, true);
  const plain = new IGE(aesKey, iv).decryptIge(packet.subarray(24));
  if (!sha256(key.subarray(88, 120), plain).subarray(8, 24).equals(msgKey)) return null;
  const len = plain.readInt32LE(28);
  // The security guidelines: the length must fit, with 12..1024 bytes of padding.
  const padding = plain.length - 32 - len;
  if (len < 0 || len % 4 !== 0 || padding < 12 || padding > 1024) return null;
  return {
    salt: plain.readBigInt64LE(0),
    sessionId: plain.readBigInt64LE(8),
    msgId: plain.readBigInt64LE(16),
    seqNo: plain.readInt32LE(24),
    body: Buffer.from(plain.subarray(32, 32 + len)),
  };
}

/** Encrypts one server message (or container) for the client's session. */
export async function sealServerPacket(
  key: Buffer,
  keyId: bigint,
  m: { salt: bigint; sessionId: bigint; msgId: bigint; seqNo: number; body: Buffer },
): Promise<Buffer> {
  const head = Buffer.alloc(32);
  head.writeBigInt64LE(BigInt.asIntN(64, m.salt), 0);
  head.writeBigInt64LE(BigInt.asIntN(64, m.sessionId), 8);
  head.writeBigInt64LE(BigInt.asIntN(64, m.msgId), 16);
  head.writeInt32LE(m.seqNo, 24);
  head.writeInt32LE(m.body.length, 28);
  const unpadded = 32 + m.body.length;
  // 12..1024 bytes of random padding, total a multiple of 16 (varied, as the guidelines allow).
  const padLen = 12 + ((16 - ((unpadded + 12) % 16)) % 16) + 16 * randomInt(0, 4);
  const plain = Buffer.concat([head, m.body, randomBytes(padLen)]);
  const msgKey = sha256(key.subarray(96, 128), plain).subarray(8, 24);
  const { key: aesKey, iv } = await kdf._calcKey(key, msgKey, false);
  const keyIdBytes = Buffer.alloc(8);
  keyIdBytes.writeBigUInt64LE(keyId);
  return Buffer.concat([keyIdBytes, msgKey, new IGE(aesKey, iv).encryptIge(plain)]);
}

/** A plain (unencrypted) message, as the auth-key exchange uses them. */
export function plainPacket(msgId: bigint, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32LE(body.length);
  return Buffer.concat([Buffer.alloc(8), i64(msgId), len, body]);
}

export function readPlainPacket(packet: Buffer): { msgId: bigint; body: Buffer } | null {
  if (packet.length < 20) return null;
  const len = packet.readInt32LE(16);
  if (len < 0 || 20 + len > packet.length) return null;
  return { msgId: packet.readBigInt64LE(8), body: packet.subarray(20, 20 + len) };
}
