// FOR PAYCUE'S OWN TESTS ONLY: points GramJS at the test Telegram server (test/mtproto-server)
// instead of Telegram. PAYCUE_TEST_TELEGRAM_DC is the server's loopback address (GramJS always
// dials port 80 there) and PAYCUE_TEST_TELEGRAM_RSA_KEY a PEM file with its public RSA key,
// which GramJS must trust to make a new auth key (a fresh login). Both are honoured only with
// NODE_ENV=test; anywhere else the configuration is refused (src/config/env.ts), so a stray
// variable can never send a merchant's login to another server.
import { readFileSync } from 'node:fs';
import { createHash, createPublicKey } from 'node:crypto';
import { _serverKeys } from 'telegram/crypto/RSA.js';
import { returnBigInt } from 'telegram/Helpers.js';
import type { StringSession } from 'telegram/sessions/index.js';

export const TEST_DC_VARIABLE = 'PAYCUE_TEST_TELEGRAM_DC';
export const TEST_KEY_VARIABLE = 'PAYCUE_TEST_TELEGRAM_RSA_KEY';

/** Telegram's bytes serialisation (length, data, zero padding to 4). */
function tlBytes(b: Buffer): Buffer {
  const head = b.length < 254 ? Buffer.from([b.length]) : Buffer.from([254, b.length & 255, (b.length >> 8) & 255, (b.length >> 16) & 255]);
  const len = head.length + b.length;
  return Buffer.concat([head, b, Buffer.alloc((4 - (len % 4)) % 4)]);
}

const bigEndian = (n: bigint): Buffer => {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex');
};

/** An RSA key's fingerprint as Telegram defines it: the low 64 bits of
 * SHA1(rsa_public_key n:bytes e:bytes), as a signed number (GramJS's `_serverKeys` key). */
export function rsaFingerprint(n: bigint, e: number): bigint {
  const digest = createHash('sha1').update(Buffer.concat([tlBytes(bigEndian(n)), tlBytes(bigEndian(BigInt(e)))])).digest();
  return digest.subarray(12, 20).readBigInt64LE(0);
}

/** n and e of a PEM public key. */
export function rsaPublicNumbers(pem: string): { n: bigint; e: number } {
  const jwk = createPublicKey(pem).export({ format: 'jwk' });
  const num = (b64: string | undefined) => BigInt('0x' + Buffer.from(b64 ?? '', 'base64url').toString('hex'));
  return { n: num(jwk.n), e: Number(num(jwk.e)) };
}

/** Makes GramJS in this process accept a server key as it accepts Telegram's own. */
export function trustTelegramKey(pem: string): void {
  const { n, e } = rsaPublicNumbers(pem);
  _serverKeys.set(rsaFingerprint(n, e).toString(), { n: returnBigInt(n), e });
}

/** With NODE_ENV=test and PAYCUE_TEST_TELEGRAM_DC set, the session dials the test server. */
export function pointAtTestTelegram(session: StringSession, env: NodeJS.ProcessEnv = process.env): void {
  const ip = env[TEST_DC_VARIABLE]?.trim();
  if (!ip || env.NODE_ENV !== 'test') return;
  const keyFile = env[TEST_KEY_VARIABLE]?.trim();
  if (keyFile) trustTelegramKey(readFileSync(keyFile, 'utf8'));
  session.setDC(session.dcId || 2, ip, 80);
}
