// Auth keys the server made (or a test made for a saved session), and what each is allowed:
// which account it is logged in as, a 2FA check half done, the layer and initConnection the
// client announced, and whether Telegram has revoked it.
import { randomBytes } from 'node:crypto';
import { AuthKey } from 'telegram/crypto/AuthKey.js';

export class AuthKeyRecord {
  /** The account this key is logged in as. */
  account?: number;
  /** Signed in with the right code, waiting for the 2FA password of this account. */
  passwordPendingFor?: number;
  layer?: number;
  /** initConnection's client description (device, app version...). */
  client?: { apiId: number; deviceModel: string; appVersion: string };
  /** Why the key is no longer logged in, when Telegram ended it (AUTH_KEY_UNREGISTERED, SESSION_REVOKED). */
  loggedOutWith?: string;
  /** Set when Telegram refuses the key for everything (AUTH_KEY_DUPLICATED). */
  dead?: { code: number; message: string };
  /** Sessions (client session ids) this key has used. */
  readonly sessions = new Set<bigint>();
  /** The salts this key may use (Telegram keeps a few valid at once). */
  salts: bigint[];

  constructor(
    readonly keyId: bigint,
    readonly key: Buffer,
    salt: bigint,
  ) {
    this.salts = [salt];
  }

  get salt(): bigint {
    return this.salts[this.salts.length - 1]!;
  }

  /** A new salt becomes the current one; older ones stop being accepted. */
  rotateSalt(): bigint {
    const s = randomBytes(8).readBigInt64LE(0);
    this.salts = [s];
    return s;
  }
}

export class AuthKeys {
  private readonly byId = new Map<bigint, AuthKeyRecord>();

  add(keyId: bigint, key: Buffer, salt: bigint): AuthKeyRecord {
    const rec = new AuthKeyRecord(keyId, key, salt);
    this.byId.set(keyId, rec);
    return rec;
  }

  /** A key made by the server itself, as a saved session would hold it. */
  async mint(): Promise<{ rec: AuthKeyRecord; authKey: AuthKey }> {
    const key = randomBytes(256);
    const authKey = new AuthKey();
    await authKey.setKey(key);
    const rec = this.add(BigInt(authKey.keyId!.toString()), key, randomBytes(8).readBigInt64LE(0));
    return { rec, authKey };
  }

  get(keyId: bigint): AuthKeyRecord | undefined {
    return this.byId.get(keyId);
  }

  /** Telegram forgets the key entirely (the client then hears -404 for it). */
  forget(keyId: bigint): void {
    this.byId.delete(keyId);
  }

  forAccount(account: number): AuthKeyRecord[] {
    return [...this.byId.values()].filter((k) => k.account === account);
  }

  all(): AuthKeyRecord[] {
    return [...this.byId.values()];
  }
}
