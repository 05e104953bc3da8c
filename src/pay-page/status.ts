// What the pay page shows about one transaction, read in one round trip (pay-status.lua).
// This is the whole public view: no metadata, no webhook details, no merchant data.
import type { Commands } from '../redis/commands.js';
import { fromHash, publicCard, type Transaction } from '../transactions/record.js';
import { publicAmount, type AmountStep } from '../money/amount.js';
import { groupNumber, type StoredCard } from '../cards/card.js';
import type { Lang } from './i18n/index.js';

export type PageState = 'pending' | 'paid' | 'expired' | 'cancelled' | 'late';

export interface PayStatus {
  transaction_id: string;
  state: PageState;
  amount: number;
  amount_tiyin: number;
  card: {
    last4: string | null;
    /** `9860 1000 0002 7159`, or null when the card is known by its last-4 only (CARDS). */
    number_display: string | null;
    holder: string | null;
    label: string | null;
    links: { title: string; url: string }[];
  };
  created_at: string;
  expires_at: string;
  paid_at: string | null;
  success_url: string | null;
  cancel_url: string | null;
  /** Server clock, so the countdown does not trust the phone's clock. */
  now: string;
}

export function pageState(t: Transaction): PageState {
  if (t.state === 'confirmed') return 'paid';
  if (t.state === 'pending') return 'pending';
  if (t.lateCreditAt !== undefined) return 'late';
  return t.cancelReason === 'cancelled' ? 'cancelled' : 'expired';
}

const PUBLISHED: Record<string, PageState> = { confirmed: 'paid', expired: 'expired', cancelled: 'cancelled', late: 'late' };

/**
 * The status after a published decision, without reading Redis again: everything else on the
 * page is fixed once the transaction exists. Null for an event this version does not know.
 */
export function applyPublished(st: PayStatus, event: string, at: number): PayStatus | null {
  const state = PUBLISHED[event];
  if (!state) return null;
  return { ...st, state, paid_at: state === 'paid' ? new Date(at).toISOString() : st.paid_at, now: new Date(at).toISOString() };
}

/** `{amount}` → so'm as the create response shows it, `{amount_tiyin}` → tiyin. */
export function fillLink(template: string, tiyin: number, step: AmountStep): string {
  return template.replaceAll('{amount_tiyin}', String(tiyin)).replaceAll('{amount}', String(publicAmount(tiyin, step)));
}

export function buildStatus(t: Transaction, cardJson: string, step: AmountStep, now: number): PayStatus {
  const card = cardJson ? (JSON.parse(cardJson) as StoredCard) : null;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    transaction_id: t.id,
    state: pageState(t),
    amount: publicAmount(t.amountTiyin, step),
    amount_tiyin: t.amountTiyin,
    card: {
      last4: publicCard(t.card),
      number_display: card ? groupNumber(card.number) : null,
      holder: card?.holder ?? null,
      label: card?.label ?? null,
      links: (card?.links ?? []).map((l) => ({ title: l.title, url: fillLink(l.url, t.amountTiyin, step) })),
    },
    created_at: iso(t.createdAt),
    expires_at: iso(t.expiresAt),
    paid_at: t.confirmedAt !== undefined ? iso(t.confirmedAt) : null,
    success_url: t.page?.success_url ?? null,
    cancel_url: t.page?.cancel_url ?? null,
    now: iso(now),
  };
}

export interface LoadedStatus {
  status: PayStatus;
  /** The language chosen at create, if any. */
  lang: Lang | undefined;
}

export async function readPayStatus(commands: Commands, id: string, step: AmountStep, now: number): Promise<LoadedStatus | null> {
  const r = await commands.payStatus(id);
  const t = r ? fromHash(r.tx) : null;
  if (!r || !t) return null;
  return { status: buildStatus(t, r.card, step, now), lang: t.page?.lang as Lang | undefined };
}
