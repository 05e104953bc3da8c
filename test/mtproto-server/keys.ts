// The test server's RSA key. Telegram's clients carry Telegram's public keys built in; GramJS
// keeps them in the `_serverKeys` map of telegram/crypto/RSA.js, so a test gives the client its
// own key's public half there (trustServerKey) and keeps the private half for req_DH_params.
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, privateDecrypt, type KeyObject } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _serverKeys } from 'telegram/crypto/RSA.js';
import { returnBigInt } from 'telegram/Helpers.js';
import { rsaFingerprint, rsaPublicNumbers } from '../../src/telegram/test-telegram.js';

export interface ServerKey {
  privateKey: KeyObject;
  /** The public half, PEM (SPKI), for a process that must trust it. */
  publicPem: string;
  n: bigint;
  e: number;
  /** Telegram's fingerprint of the key (src/telegram/test-telegram.ts computes it, for paycue too). */
  fingerprint: bigint;
}

let shared: ServerKey | undefined;

/** One 2048-bit key per test run (generating one takes a moment): kept in the run's temporary
 * directory, so every test file's server uses the same. */
export function testServerKey(): ServerKey {
  if (shared) return shared;
  const file = join(tmpdir(), 'mtproto-test-server-rsa.pem');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  } catch {
    privateKey = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 }).privateKey;
    const temp = `${file}.${process.pid}`;
    writeFileSync(temp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    renameSync(temp, file);
  }
  const publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  const { n, e } = rsaPublicNumbers(publicPem);
  shared = { privateKey, publicPem, n, e, fingerprint: rsaFingerprint(n, e) };
  return shared;
}

/** Makes GramJS in this process accept the key (as it accepts Telegram's own). */
export function trustServerKey(key: ServerKey): void {
  _serverKeys.set(key.fingerprint.toString(), { n: returnBigInt(key.n), e: key.e });
}

/** Raw RSA (no padding), as req_DH_params uses it: 256 bytes in, 256 bytes out. */
export function rsaDecryptRaw(key: ServerKey, data: Buffer): Buffer {
  return privateDecrypt({ key: key.privateKey, padding: constants.RSA_NO_PADDING }, data);
}
