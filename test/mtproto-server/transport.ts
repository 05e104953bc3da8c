// MTProto's "full" TCP transport, which GramJS's Node client uses by default
// (ConnectionTCPFull): every packet is length (4, LE, the whole packet), sequence number (4,
// per direction, from 0), payload, CRC32 of everything before it. No opening tag.
import { crc32 } from 'telegram/Helpers.js';

export class TransportError extends Error {}

export class FullTransport {
  private pending: Buffer = Buffer.alloc(0);
  private recvSeq = 0;
  private sendSeq = 0;

  /** Bytes from the socket in, whole payloads out. Throws TransportError on a broken stream. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.pending.length >= 4) {
      const len = this.pending.readInt32LE(0);
      // Anything else (abridged 0xef, intermediate 0xeeeeeeee, obfuscated) is not what GramJS's
      // Node client speaks: refuse it rather than guess.
      if (len < 12 || len % 4 !== 0 || len > 16 * 1024 * 1024) throw new TransportError(`not the full TCP transport (length ${len})`);
      if (this.pending.length < len) break;
      const packet = this.pending.subarray(0, len);
      this.pending = this.pending.subarray(len);
      const seq = packet.readInt32LE(4);
      if (seq !== this.recvSeq) throw new TransportError(`packet sequence ${seq}, expected ${this.recvSeq}`);
      this.recvSeq++;
      const crc = packet.readUInt32LE(len - 4);
      if (crc32(packet.subarray(0, len - 4)) !== crc) throw new TransportError('packet checksum mismatch');
      out.push(Buffer.from(packet.subarray(8, len - 4)));
    }
    return out;
  }

  encode(payload: Buffer): Buffer {
    const head = Buffer.alloc(8);
    head.writeInt32LE(payload.length + 12, 0);
    head.writeInt32LE(this.sendSeq++, 4);
    const body = Buffer.concat([head, payload]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE(crc32(body));
    return Buffer.concat([body, crc]);
  }
}

/** A transport error code (-404: auth key unknown, -429: too many connections...), as Telegram
 * sends it: a 4-byte payload holding the negative code. */
export function transportErrorPayload(code: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(-Math.abs(code));
  return b;
}
