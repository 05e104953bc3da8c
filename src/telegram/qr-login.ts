// Logging in by QR code (auth.exportLoginToken): the phone that is already logged in scans a
// tg://login?token=… code (Telegram → Settings → Devices → Link Desktop Device) and no phone
// number or code is typed here. GramJS's signInUserWithQrCode is not used: it refreshes on a
// fixed 30 s instead of the token's expiry, throws when the first answer is already a success,
// never removes its update handler, keeps its refresh loop running after the scan, and hands
// 2FA to its own retry loop. Here every exportLoginToken answer decides the next step:
//   auth.loginToken           -> show the code; wait for updateLoginToken or the expiry; ask again
//   auth.loginTokenSuccess    -> logged in
//   auth.loginTokenMigrateTo  -> the account lives on another DC: move there, importLoginToken
//   SESSION_PASSWORD_NEEDED   -> the same hidden 2FA prompt as the code login (SRP)
// Asking again after the expiry also catches a scan whose update was lost on the way.
import { Api } from 'telegram';
import { PromptClosedError } from './prompt.js';
import { call, passwordConversation, type LoginClient, type LoginContext } from './login.js';
import { rpcErrorCode } from './errors.js';

/** What the QR login needs beyond the code login (the real client is adapted in client-factory). */
export interface QrLoginClient extends LoginClient {
  /** Calls `listener` on every updateLoginToken Telegram pushes (the code was scanned and accepted); returns the unsubscribe. */
  onLoginToken(listener: () => void): () => void;
  /** Moves the connection to data centre `dcId` (a new auth key there), for auth.loginTokenMigrateTo. */
  switchDc(dcId: number): Promise<void>;
}

/** Shows a code to scan; `refresh` is true when it replaces one shown before. */
export type QrDisplay = (url: string, refresh: boolean) => Promise<void> | void;

export interface QrLoginContext extends LoginContext {
  client: QrLoginClient;
  show: QrDisplay;
  /** Give up when nobody scanned within this long (default 5 min). */
  timeoutMs?: number;
}

export const DEFAULT_QR_TIMEOUT_MS = 5 * 60_000;
/** Bounds on the wait for a token's expiry: never a busy loop, never a long-dead code on screen. */
const MIN_WAIT_MS = 1_000;
const MAX_WAIT_MS = 60_000;

/** The deep link a Telegram app opens from the scanned code. */
export function loginUrl(token: Buffer): string {
  return `tg://login?token=${Buffer.from(token).toString('base64url')}`;
}

/** Telegram's clock minus this machine's (ms): a token's `expires` is on Telegram's clock. */
async function clockOffsetMs(ctx: LoginContext): Promise<number> {
  try {
    const config = await call(ctx, new Api.help.GetConfig());
    return config.date * 1000 - Date.now();
  } catch {
    return 0; // then this machine's clock has to do; the wait bounds keep it sane
  }
}

function userOf(res: Api.auth.LoginTokenSuccess): Api.User {
  const auth = res.authorization;
  if (auth instanceof Api.auth.Authorization && auth.user instanceof Api.User) return auth.user;
  throw new Error('Telegram accepted the QR login without returning the account');
}

/** A wake-up for "the code was scanned" that is not lost when it comes before the wait. */
class ScanSignal {
  private pending = false;
  private wake: (() => void) | null = null;

  fire = (): void => {
    this.pending = true;
    this.wake?.();
  };

  /** Resolves when scanned (true) or after `ms` (false); rejects when `cancelled` does. */
  wait(ms: number, cancelled: Promise<never>): Promise<boolean> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve(true);
    }
    let timer: NodeJS.Timeout | undefined;
    const scanned = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
      this.wake = () => resolve(true);
    });
    return Promise.race([scanned, cancelled]).finally(() => {
      clearTimeout(timer);
      this.wake = null;
      this.pending = false;
    });
  }
}

/**
 * The QR conversation. Resolves with the logged-in user, or with an exit code after having
 * printed why it stopped (like interactiveLogin). Throws what reportLoginError explains.
 */
export async function qrLogin(ctx: QrLoginContext): Promise<Api.User | number> {
  const { io, client } = ctx;
  const signal = new ScanSignal();
  const unsubscribe = client.onLoginToken(signal.fire);
  // Ctrl+C at the terminal ends the wait (the prompt is not asking anything meanwhile).
  const cancelled = new Promise<never>((_, reject) => io.onInterrupt?.(() => reject(new PromptClosedError())));
  cancelled.catch(() => undefined);
  try {
    const offset = await clockOffsetMs(ctx);
    const deadline = Date.now() + (ctx.timeoutMs ?? DEFAULT_QR_TIMEOUT_MS);
    let shown = 0;
    for (;;) {
      let res: Api.auth.TypeLoginToken;
      try {
        res = await call(ctx, new Api.auth.ExportLoginToken({ apiId: ctx.apiId, apiHash: ctx.apiHash, exceptIds: [] }));
        if (res instanceof Api.auth.LoginTokenMigrateTo) {
          io.print(`Scanned. This account lives in Telegram's data centre ${res.dcId}: moving there to finish.`);
          await client.switchDc(res.dcId);
          res = await call(ctx, new Api.auth.ImportLoginToken({ token: res.token }));
        }
      } catch (err) {
        if (rpcErrorCode(err) !== 'SESSION_PASSWORD_NEEDED') throw err;
        io.print('Scanned. This account has two-step verification.');
        return await passwordConversation(ctx);
      }
      if (res instanceof Api.auth.LoginTokenSuccess) return userOf(res);
      if (!(res instanceof Api.auth.LoginToken)) throw new Error(`Telegram answered the QR login with ${res.className}`);
      const now = Date.now();
      if (now >= deadline) {
        io.error(`Nobody scanned the QR code within ${Math.round((ctx.timeoutMs ?? DEFAULT_QR_TIMEOUT_MS) / 60_000)} min; giving up. Run the command again when the phone is at hand.`);
        return 1;
      }
      await ctx.show(loginUrl(res.token), shown++ > 0);
      const untilExpiry = res.expires * 1000 - (now + offset);
      await signal.wait(Math.min(Math.max(untilExpiry, MIN_WAIT_MS), MAX_WAIT_MS, Math.max(deadline - now, MIN_WAIT_MS)), cancelled);
    }
  } finally {
    unsubscribe();
  }
}
