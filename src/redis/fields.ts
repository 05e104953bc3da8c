// The fields of the hashes that both the Lua scripts and TypeScript read or write, named once.
// TypeScript reads these hashes through the types below (a misspelt field does not compile);
// test/redis/lua-contract.test.ts fails when a script uses a field of them that is not listed.

/** A transaction (`keys.tx`): written by reserve.lua, closed by the scripts that decide it. */
export const TX_HASH_FIELDS = [
  'id', 'amount', 'requested', 'card', 'metadata', 'idem', 'page', 'state', 'created_at', 'expires_at',
  // How it closed, and who or what closed it.
  'confirmed_at', 'cancelled_at', 'cancel_reason', 'resolution', 'confirmed_by', 'confirm_reason', 'credit_id', 'received',
  // A credit after the cancel; an expiry held for a person (see cancel.lua).
  'late_credit_at', 'held',
  // PAYMENT_GRACE as the transaction was created with (expiry waits at least this long).
  'grace',
  // Its webhook: state, attempts (all, and made before the latest redelivery), webhook-id, times.
  'wh_state', 'wh_attempts', 'wh_round', 'wh_id', 'wh_next_at', 'wh_delivered_at', 'wh_failed_at',
] as const;
export type TxField = (typeof TX_HASH_FIELDS)[number];
/** A transaction hash as read (HGETALL, HMGET): any field may be missing. */
export type TxHash = Partial<Record<TxField, string>>;

/** A credit record (`keys.credit`): written by credit.lua, settled by attach.lua / dismiss.lua. */
export const CREDIT_HASH_FIELDS = [
  'id', 'bot', 'message_key', 'amount', 'last4', 'received_at', 'recorded_at', 'verdict', 'tx', 'text', 'state',
  'res_kind', 'res_tx', 'res_by', 'res_at', 'res_reason',
  // The Telegram message of its alert (edited when the credit is settled elsewhere).
  'alert_message',
  // Its late_payment event, delivered like a transaction's (attempt-result.lua).
  'wh_state', 'wh_attempts', 'wh_round', 'wh_next_at', 'wh_delivered_at', 'wh_failed_at',
] as const;
export type CreditField = (typeof CREDIT_HASH_FIELDS)[number];
export type CreditHash = Partial<Record<CreditField, string>>;

type BotId = number | string;

/** The Telegram cursor hash (`keys.cursor`), one set of fields per watched bot. */
export const cursorFields = {
  /** The account the cursors belong to (message ids are numbered per account). */
  account: 'account',
  /** The watched bots, comma-separated, published by the session holder (expiry-rule.lua). */
  bots: 'bots',
  /** When a watched bot last wrote (unix ms). */
  lastMessageAt: 'last_message_at',
  /** The highest message id of the bot finished with. */
  cursor: (bot: BotId) => String(bot),
  /** Every message the bot dated before this (ms, the shared clock) has been decided. */
  seen: (bot: BotId) => `seen:${bot}`,
  /** When the bot's cursor began: older messages are never read. */
  since: (bot: BotId) => `since:${bot}`,
} as const;
