// Classifying GramJS errors and bounding every network call in time. GramJS requests can
// wait forever (a request queued while the connection is down is only sent after a
// reconnect that may never come), so everything paycue asks Telegram goes through withTimeout.
import { RPCError, FloodWaitError, FloodTestPhoneWaitError } from 'telegram/errors/index.js';

/** Telegram's error code string, e.g. `PHONE_CODE_INVALID`, or undefined for non-RPC errors. */
export function rpcErrorCode(err: unknown): string | undefined {
  if (err instanceof RPCError) return err.errorMessage;
  if (err && typeof err === 'object' && typeof (err as { errorMessage?: unknown }).errorMessage === 'string') {
    return (err as { errorMessage: string }).errorMessage;
  }
  return undefined;
}

/** Seconds Telegram asks us to wait, or null when the error is not a flood wait. */
export function floodWaitSeconds(err: unknown): number | null {
  if (err instanceof FloodWaitError || err instanceof FloodTestPhoneWaitError) return err.seconds;
  const code = rpcErrorCode(err);
  const m = code?.match(/^FLOOD(?:_TEST_PHONE|_PREMIUM)?_WAIT_(\d+)$/);
  return m ? Number(m[1]) : null;
}

/** "45 s", "12 min 5 s", "3 h 20 min". */
export function formatWait(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const min = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return min > 0 ? `${h} h ${min} min` : `${h} h`;
  return sec > 0 ? `${min} min ${sec} s` : `${min} min`;
}

/** The message printed (CLI) or logged (daemon) for a flood wait. */
export function floodWaitMessage(seconds: number): string {
  const until = new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `Telegram asks to wait ${seconds} seconds (${formatWait(seconds)}, until ${until}) before trying again (FLOOD_WAIT). Repeating the request earlier makes the wait longer.`;
}

const REVOKED = new Set([
  'AUTH_KEY_UNREGISTERED',
  'AUTH_KEY_INVALID',
  'AUTH_KEY_PERM_EMPTY',
  'SESSION_REVOKED',
  'SESSION_EXPIRED',
  'USER_DEACTIVATED',
  'USER_DEACTIVATED_BAN',
]);

/** The saved session no longer authorises anything (logged out elsewhere, terminated, banned). */
export function isSessionRevoked(err: unknown): boolean {
  const code = rpcErrorCode(err);
  return code !== undefined && REVOKED.has(code);
}

/** The cached access hash (or peer) of a bot no longer works: it must be resolved again. */
const STALE_PEER = new Set(['PEER_ID_INVALID', 'USER_ID_INVALID', 'CHANNEL_INVALID', 'CHAT_ID_INVALID', 'PEER_ID_NOT_SUPPORTED', 'INPUT_USER_DEACTIVATED']);

export function isStalePeer(err: unknown): boolean {
  const code = rpcErrorCode(err);
  return code !== undefined && STALE_PEER.has(code);
}

/** Rejects with an AbortError as soon as `signal` is aborted (the request itself is abandoned:
 * GramJS cannot cancel it, and a destroyed client never answers it). */
export function unlessAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  p.catch(() => undefined);
  if (signal.aborted) return Promise.reject(new AbortedError());
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(new AbortedError());
    signal.addEventListener('abort', stop, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}

export class AbortedError extends Error {
  constructor() {
    super('abandoned: the watcher is stopping');
    this.name = 'AbortedError';
  }
}

/** Two processes used one session at once; Telegram has invalidated it. */
export function isAuthKeyDuplicated(err: unknown): boolean {
  return rpcErrorCode(err) === 'AUTH_KEY_DUPLICATED';
}

export const RELOGIN_HINT = 'run `paycue --telegram` to log in again (where TELEGRAM_SESSION is used: then set it to what `paycue telegram export-session` prints)';

/** A short, secret-free description of an error for logs and messages. */
export function describeError(err: unknown): string {
  const code = rpcErrorCode(err);
  if (code) return code;
  if (err instanceof Error) return err.message;
  return String(err);
}

export class TimeoutError extends Error {
  constructor(readonly what: string, readonly ms: number) {
    super(`${what} did not finish within ${Math.round(ms / 100) / 10} s`);
    this.name = 'TimeoutError';
  }
}

/** Rejects with TimeoutError when `p` has not settled after `ms`. The timer never keeps Node alive. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    timer.unref?.();
  });
  // A late rejection of `p` after the timeout must not become an unhandled rejection.
  p.catch(() => undefined);
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Why the watcher could not start; `message` is meant for the operator as is. */
export class TelegramStartError extends Error {
  constructor(
    message: string,
    readonly reason: 'config' | 'no-session' | 'session-revoked' | 'locked' | 'connect' | 'bot' | 'stopped',
  ) {
    super(message);
    this.name = 'TelegramStartError';
  }

  /** Only the operator can fix these (log in again, fix APP_ID or WATCH_ID): restarting cannot. */
  get permanent(): boolean {
    return this.reason === 'config' || this.reason === 'no-session' || this.reason === 'session-revoked' || this.reason === 'bot';
  }
}
