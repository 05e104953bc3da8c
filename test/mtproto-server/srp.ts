// The server half of Telegram's SRP 2FA check (core.telegram.org/api/srp), so the client half
// (GramJS's computeCheck in telegram/Password.js) is exercised for real.
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { Api } from 'telegram';
import { returnBigInt } from 'telegram/Helpers.js';

/** Telegram's 2048-bit safe prime (g = 3): the DH prime of the auth-key exchange and of SRP. */
export const DH_PRIME_HEX =
  'c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530f4dbfa336f6e0ac925139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f642477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b';

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const toBig = (b: Buffer) => BigInt('0x' + (b.toString('hex') || '0'));
const toBuf = (n: bigint) => Buffer.from(n.toString(16).padStart(512, '0'), 'hex');
function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let r = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return r;
}

/**
 * The server half of Telegram's SRP 2FA check, so the client half (GramJS's computeCheck, as
 * used by the login) is exercised for real: only the right password produces an accepted M1.
 */
export class SrpServer {
  private readonly p = BigInt('0x' + DH_PRIME_HEX);
  private readonly g = 3n;
  private readonly salt1 = randomBytes(40);
  private readonly salt2 = randomBytes(16);
  private readonly v: bigint;
  private current: { b: bigint; B: Buffer; srpId: string } | null = null;

  constructor(
    password: string,
    readonly hint = 'the usual one',
  ) {
    const h1 = sha256(this.salt1, Buffer.from(password, 'utf8'), this.salt1);
    const h2 = sha256(this.salt2, h1, this.salt2);
    const h3 = pbkdf2Sync(h2, this.salt1, 100000, 64, 'sha512');
    const x = toBig(sha256(this.salt2, h3, this.salt2));
    this.v = modPow(this.g, x, this.p);
  }

  /** account.GetPassword: fresh SRP parameters. */
  passwordParams(): Api.account.Password {
    const b = toBig(randomBytes(256)) % this.p;
    const k = toBig(sha256(toBuf(this.p), toBuf(this.g)));
    const B = toBuf((k * this.v + modPow(this.g, b, this.p)) % this.p);
    const srpId = toBig(randomBytes(7)).toString();
    this.current = { b, B, srpId };
    return new Api.account.Password({
      hasPassword: true,
      currentAlgo: new Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow({
        salt1: this.salt1,
        salt2: this.salt2,
        g: 3,
        p: Buffer.from(DH_PRIME_HEX, 'hex'),
      }),
      srp_B: B,
      srpId: returnBigInt(srpId),
      hint: this.hint,
      newAlgo: new Api.PasswordKdfAlgoUnknown(),
      newSecureAlgo: new Api.SecurePasswordKdfAlgoUnknown(),
      secureRandom: randomBytes(32),
    });
  }

  /** auth.CheckPassword: true only if the client proved knowledge of the password. */
  verify(check: Api.TypeInputCheckPasswordSRP): boolean {
    const cur = this.current;
    this.current = null; // one use per srp_id
    if (!cur || !(check instanceof Api.InputCheckPasswordSRP) || check.srpId.toString() !== cur.srpId) return false;
    const A = toBig(check.A);
    const u = toBig(sha256(toBuf(A), cur.B));
    const S = modPow((A * modPow(this.v, u, this.p)) % this.p, cur.b, this.p);
    const K = sha256(toBuf(S));
    const pg = Buffer.from(sha256(toBuf(this.p)).map((byte, i) => byte ^ sha256(toBuf(this.g))[i]!));
    const M1 = sha256(pg, sha256(this.salt1), sha256(this.salt2), toBuf(A), cur.B, K);
    return M1.equals(Buffer.from(check.M1));
  }
}
