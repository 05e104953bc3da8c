// The server half of MTProto's auth-key exchange (core.telegram.org/mtproto/auth_key):
// req_pq_multi -> resPQ, req_DH_params (RSA_PAD with the test key) -> server_DH_params_ok,
// set_client_DH_params -> dh_gen_ok. Nonces, DH values and hashes are checked as Telegram
// checks them; a client that gets any of it wrong gets no key.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { Api } from 'telegram';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { IGE } from 'telegram/crypto/IGE.js';
import { generateKeyDataFromNonce, getByteArray, readBigIntFromBuffer, returnBigInt, toSignedLittleBuffer } from 'telegram/Helpers.js';
import type bigInt from 'big-integer';
import { rsaDecryptRaw, type ServerKey } from './keys.js';
import { DH_PRIME_HEX } from './srp.js';
import { readObject } from './tl.js';

export class HandshakeError extends Error {}

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();
const big = (b: bigInt.BigInteger | bigint | number) => BigInt(b.toString());

function isPrime(n: number): boolean {
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/**
 * A prime in [2^14, 2^15). Telegram's pq is a 63-bit number, a proof of work GramJS's factoriser
 * spends 150-350 ms on; nothing in the exchange depends on its size, so the tests' is under 2^30.
 * (Its top bit must stay clear: GramJS reads pq as a signed number.)
 */
function randomPrime(): number {
  for (;;) {
    const n = randomInt(2 ** 14, 2 ** 15) | 1;
    if (isPrime(n)) return n;
  }
}

const DH_PRIME = BigInt('0x' + DH_PRIME_HEX);

/** Native BigInt square-and-multiply (Node's DiffieHellman spends 400 ms checking the prime first). */
function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let r = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % mod;
    b = (b * b) % mod;
  }
  return r;
}

const toBytes256 = (n: bigint) => Buffer.from(n.toString(16).padStart(512, '0'), 'hex');

const randomInt128 = () => readBigIntFromBuffer(randomBytes(16), true, true);

/** What a finished exchange leaves behind. */
export interface NewAuthKey {
  key: Buffer;
  authKey: AuthKey;
  keyId: bigint;
  /** substr(new_nonce, 0, 8) XOR substr(server_nonce, 0, 8), the first salt. */
  salt: bigint;
}

export class Handshake {
  private nonce?: bigInt.BigInteger;
  private serverNonce?: bigInt.BigInteger;
  private newNonce?: bigInt.BigInteger;
  private p = 0;
  private q = 0;
  /** The server's DH secret a. */
  private a?: bigint;
  private tmp?: { key: Buffer; iv: Buffer };

  constructor(
    private readonly rsa: ServerKey,
    private readonly now: () => number,
  ) {}

  /** One plain request in, its answer out (and the key once the exchange is complete). */
  async handle(body: Buffer): Promise<{ answer: Buffer; key?: NewAuthKey }> {
    const req = readObject(body);
    if (req instanceof Api.ReqPqMulti || req instanceof Api.ReqPq) return { answer: this.resPQ(req.nonce) };
    if (req instanceof Api.ReqDHParams) return { answer: await this.dhParams(req) };
    if (req instanceof Api.SetClientDHParams) return this.clientDH(req);
    throw new HandshakeError(`unexpected plain message ${(req as { className?: string })?.className ?? typeof req}`);
  }

  private resPQ(nonce: bigInt.BigInteger): Buffer {
    this.nonce = nonce;
    this.serverNonce = randomInt128();
    do {
      this.p = randomPrime();
      this.q = randomPrime();
    } while (this.p === this.q);
    if (this.p > this.q) [this.p, this.q] = [this.q, this.p];
    const pq = BigInt(this.p) * BigInt(this.q);
    return new Api.ResPQ({
      nonce,
      serverNonce: this.serverNonce,
      pq: getByteArray(returnBigInt(pq)),
      serverPublicKeyFingerprints: [returnBigInt(this.rsa.fingerprint)],
    }).getBytes();
  }

  private checkNonces(m: { nonce: bigInt.BigInteger; serverNonce: bigInt.BigInteger }): void {
    if (!this.nonce || !this.serverNonce || !m.nonce.eq(this.nonce) || !m.serverNonce.eq(this.serverNonce)) {
      throw new HandshakeError('nonce mismatch');
    }
  }

  private async dhParams(req: Api.ReqDHParams): Promise<Buffer> {
    this.checkNonces(req);
    if (big(req.publicKeyFingerprint) !== this.rsa.fingerprint) throw new HandshakeError('unknown RSA fingerprint');
    if (big(readBigIntFromBuffer(req.p, false, false)) !== BigInt(this.p) || big(readBigIntFromBuffer(req.q, false, false)) !== BigInt(this.q)) {
      throw new HandshakeError('wrong factorisation of pq');
    }
    // RSA_PAD undone: key_aes_encrypted = temp_key_xor (32) + aes_encrypted (224).
    const plain = rsaDecryptRaw(this.rsa, Buffer.from(req.encryptedData));
    const tempKeyXor = plain.subarray(0, 32);
    const aesEncrypted = plain.subarray(32);
    const tempKey = Buffer.from(tempKeyXor.map((b, i) => b ^ sha256(aesEncrypted)[i]!));
    const dataWithHash = new IGE(tempKey, Buffer.alloc(32)).decryptIge(aesEncrypted);
    const dataWithPadding = Buffer.from(dataWithHash.subarray(0, 192)).reverse();
    if (!sha256(Buffer.concat([tempKey, dataWithPadding])).equals(dataWithHash.subarray(192, 224))) {
      throw new HandshakeError('RSA_PAD hash mismatch');
    }
    const inner = readObject(dataWithPadding);
    if (!(inner instanceof Api.PQInnerData || inner instanceof Api.PQInnerDataDc)) throw new HandshakeError('no p_q_inner_data');
    this.checkNonces(inner);
    if (big(readBigIntFromBuffer(inner.pq, false, false)) !== BigInt(this.p) * BigInt(this.q)) throw new HandshakeError('inner pq mismatch');
    this.newNonce = inner.newNonce;

    this.a = BigInt('0x' + randomBytes(256).toString('hex'));
    const gA = toBytes256(modPow(3n, this.a, DH_PRIME));
    const answer = new Api.ServerDHInnerData({
      nonce: this.nonce!,
      serverNonce: this.serverNonce!,
      g: 3,
      dhPrime: Buffer.from(DH_PRIME_HEX, 'hex'),
      gA,
      serverTime: Math.floor(this.now() / 1000),
    }).getBytes();
    this.tmp = await generateKeyDataFromNonce(this.serverNonce!, this.newNonce);
    const encryptedAnswer = new IGE(this.tmp.key, this.tmp.iv).encryptIge(Buffer.concat([sha1(answer), answer]));
    return new Api.ServerDHParamsOk({ nonce: this.nonce!, serverNonce: this.serverNonce!, encryptedAnswer }).getBytes();
  }

  private async clientDH(req: Api.SetClientDHParams): Promise<{ answer: Buffer; key: NewAuthKey }> {
    this.checkNonces(req);
    if (this.a === undefined || !this.tmp || !this.newNonce) throw new HandshakeError('set_client_DH_params before req_DH_params');
    const plain = new IGE(this.tmp.key, this.tmp.iv).decryptIge(Buffer.from(req.encryptedData));
    const inner = readObject(plain.subarray(20));
    if (!(inner instanceof Api.ClientDHInnerData)) throw new HandshakeError('no client_DH_inner_data');
    if (!sha1(inner.getBytes()).equals(plain.subarray(0, 20))) throw new HandshakeError('client_DH_inner_data hash mismatch');
    this.checkNonces(inner);
    const p = DH_PRIME;
    const gB = BigInt('0x' + (Buffer.from(inner.gB).toString('hex') || '0'));
    // The range checks of the security guidelines: 1 < g_b < p - 1, and not too close to either end.
    const margin = 2n ** (2048n - 64n);
    if (gB <= margin || gB >= p - margin) throw new HandshakeError('g_b out of range');
    // auth_key is g_ab as a 2048-bit number: 256 bytes, leading zeros kept.
    const key = toBytes256(modPow(gB, this.a, p));
    const authKey = new AuthKey();
    await authKey.setKey(key);
    const newNonceHash1 = await authKey.calcNewNonceHash(this.newNonce, 1);
    const nn = toSignedLittleBuffer(this.newNonce, 32);
    const sn = toSignedLittleBuffer(this.serverNonce!, 16);
    const salt = nn.readBigInt64LE(0) ^ sn.readBigInt64LE(0);
    return {
      answer: new Api.DhGenOk({ nonce: this.nonce!, serverNonce: this.serverNonce!, newNonceHash1 }).getBytes(),
      key: { key, authKey, keyId: big(authKey.keyId!), salt },
    };
  }
}
