// Realistic HUMOcardbot texts for the sandbox, the demo and property tests, in the
// exact shape of real notifications (see test/fixtures/bot-messages.json, m000/m073/m007).
import { formatHumo } from './amount.js';

export type ComposeOptions = {
  /** Shown as the 🕓 time (Tashkent, UTC+5). Default: now. */
  at?: Date;
  /** The 💰 balance line. Default: amount plus a fixed sum, so it never equals the amount. */
  balanceTiyin?: number;
  merchant?: string;
};

const TASHKENT_OFFSET_MS = 5 * 60 * 60 * 1000;

function checkArgs(tiyin: number, last4: string): void {
  if (!Number.isSafeInteger(tiyin) || tiyin < 1) throw new RangeError(`tiyin must be a positive integer, got ${String(tiyin)}`);
  if (!/^[0-9]{4}$/.test(last4)) throw new RangeError(`last4 must be four digits, got ${JSON.stringify(last4)}`);
}

/** "05:36 16.06.2026" in Tashkent time, as the bot prints it. */
function humoTime(at: Date): string {
  const t = new Date(at.getTime() + TASHKENT_OFFSET_MS);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(t.getUTCHours())}:${p(t.getUTCMinutes())} ${p(t.getUTCDate())}.${p(t.getUTCMonth() + 1)}.${t.getUTCFullYear()}`;
}

function humoMessage(header: string, sign: string, tiyin: number, last4: string, merchant: string, opts: ComposeOptions): string {
  checkArgs(tiyin, last4);
  const balance = opts.balanceTiyin ?? tiyin + 1_234_567;
  return [
    header,
    `${sign} ${formatHumo(tiyin)} UZS`,
    `📍 ${opts.merchant ?? merchant}`,
    `💳 HUMOCARD *${last4}`,
    `🕓 ${humoTime(opts.at ?? new Date())}`,
    `💰 ${formatHumo(balance)} UZS`,
  ].join('\n');
}

/** An incoming transfer: `🎉 To'ldirish` / `➕ 1.010,00 UZS`. */
export function humoCreditMessage(tiyin: number, last4: string, opts: ComposeOptions = {}): string {
  return humoMessage("🎉 To'ldirish", '➕', tiyin, last4, 'CLICK P2P WALLET 2', opts);
}

/** A cancelled operation: arrives with ➕ but must never confirm a payment. */
export function humoReversalMessage(tiyin: number, last4: string, opts: ComposeOptions = {}): string {
  return humoMessage('❌ Отмена операций карты', '➕', tiyin, last4, 'oplata', opts);
}

/** A card payment: `💸 Оплата` / `➖ …`. */
export function humoDebitMessage(tiyin: number, last4: string, opts: ComposeOptions = {}): string {
  return humoMessage('💸 Оплата', '➖', tiyin, last4, 'OAJ OZBEKTELEKOM AK', opts);
}
