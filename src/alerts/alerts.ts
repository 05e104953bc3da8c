// Alerts in the merchant's Telegram through their own bot (grammY, long polling), started and
// stopped with the daemon. What must never be missed comes from a durable outbox in Redis,
// written in the same script as what it reports: an open credit (credit.lua), a webhook that
// failed its last retry on any daemon (attempt-result.lua), a credit settled through the API or
// the CLI whose alert must say so (attach/dismiss.lua). A crash between recording and alerting
// loses nothing. Conditions (Telegram or Redis down for a while, a dead session) are noticed
// here. Sending runs on its own loop: a slow or dead Bot API never delays matching.
// Buttons act through the same operations as the API and the CLI, only for ALERT_ADMINS.
// A credit's alert is edited once settled, and again when the attached transaction's webhook is
// delivered or failed (attempt-result.lua writes that to the outbox): "queued" until then.
import { Bot, GrammyError, type Context } from 'grammy';
import type { InlineKeyboardButton } from 'grammy/types';
import type { Events } from '../events.js';
import type { Logger } from '../log/logger.js';
import { telegramActor } from '../credits/audit.js';
import { CREDIT_FIELDS, creditFromHash, type CreditRecord } from '../credits/record.js';
import { attachCredit, dismissCredit } from '../credits/settle.js';
import { getCredit, parseCreditId } from '../credits/get.js';
import type { CreditField, TxField } from '../redis/fields.js';
import type { TxContext } from '../transactions/context.js';
import { getTransaction } from '../transactions/get.js';
import { parseTransactionId } from '../transactions/id.js';
import { redeliver } from '../webhooks/admin.js';
import { closestPending } from './candidates.js';
import {
  DISMISS_REASONS, attachQuestion, confirmAttachAlert, creditAlert, creditSummary, heldTransactionAlert, settledCreditText, settledText, webhookFailedAlert,
  webhookFailedSummary,
} from './format.js';
import { DEFAULT_ALERT_TIMINGS, type AlertSettings, type AlertTimings } from './settings.js';

export interface AlertDeps {
  ctx: TxContext;
  settings: AlertSettings;
  log: Logger;
  events: Events;
  /** Each component's health now; absent ones are not watched (Telegram in sandbox). */
  health: {
    telegram?: () => boolean;
    redis: () => boolean;
    /** Why writes are refused now (too few Redis replicas), or null while they are accepted. */
    writes?: () => string | null;
  };
}

interface Notice {
  key: string;
  text: string;
  buttons?: InlineKeyboardButton[][];
}

interface Condition {
  since: number | null;
  alerted: boolean;
}

/** More than either outbox's cap (MAXLEN ~ 10000): a summary covers the whole backlog at once. */
const OUTBOX_READ_MAX = 20_000;

/** One alert outbox entry: `kind` credit | webhook_failed | settled, about `id`. */
interface OutboxEntry {
  entry: string;
  kind: string;
  id: string;
  action: string;
}

const field = (fields: string[], name: string): string | undefined => {
  const i = fields.indexOf(name);
  return i >= 0 && i % 2 === 0 ? fields[i + 1] : undefined;
};

export class AlertService {
  private readonly bot: Bot;
  private readonly t: AlertTimings;
  private readonly queue: Notice[] = [];
  private readonly conditions = new Map<string, Condition>();
  private tokens: number;
  private refilledAt = Date.now();
  private stopped = false;
  private loops: Promise<void>[] = [];
  private wakeSleep: (() => void) | null = null;
  private readonly sleepers = new Set<() => void>();
  private failing = false;
  /** Cuts short grammY's own retries of getMe when stopping. */
  private readonly abort = new AbortController();
  /** Edits of credit alerts, one at a time, each reading the records inside its turn: the edit
   * made last shows the newest state (a press and the outbox loop could otherwise cross). */
  private edits: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: AlertDeps) {
    this.t = { ...DEFAULT_ALERT_TIMINGS, ...deps.settings.timings };
    this.tokens = this.t.perMinute;
    this.bot = new Bot(deps.settings.token, {
      client: { ...(deps.settings.apiRoot ? { apiRoot: deps.settings.apiRoot } : {}), timeoutSeconds: this.t.pollSeconds + 10 },
    });
    this.bot.on('callback_query:data', (c) => this.press(c));
    this.bot.catch((err) => this.deps.log.warn({ error: this.clean(err.error) }, 'alert button handling failed'));
  }

  start(): void {
    this.loops = [this.pollLoop(), this.tickLoop()];
  }

  /** Queue a message (deduplicated by key while it waits). Never throws, never blocks. */
  notice(key: string, text: string, buttons?: InlineKeyboardButton[][]): void {
    if (this.queue.some((n) => n.key === key)) return;
    this.queue.push({ key, text, ...(buttons ? { buttons } : {}) });
    this.wakeSleep?.();
  }

  /** Sends what is queued (for up to ~2 s), then stops polling. */
  async stop(): Promise<void> {
    if (this.queue.length > 0) await Promise.race([this.sendNotices(), sleepMs(1500)]).catch(() => undefined);
    this.stopped = true;
    this.abort.abort();
    for (const wake of [...this.sleepers]) wake();
    await Promise.race([this.bot.stop().catch(() => undefined), sleepMs(1500)]);
    await Promise.race([Promise.allSettled(this.loops), sleepMs(1000)]);
  }

  /** Error text without the bot token (fetch errors name the URL, which holds it). */
  private clean(err: unknown): string {
    return String((err as Error)?.message ?? err).replaceAll(this.deps.settings.token, '<ALERT_BOT_TOKEN>');
  }

  /** A wait that stop() cuts short; `tick` waits are also cut short by a new notice. */
  private sleep(ms: number, tick = false): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        if (this.wakeSleep === done) this.wakeSleep = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
      if (tick) this.wakeSleep = done;
    });
  }

  private async pollLoop(): Promise<void> {
    let delay = 1000;
    while (!this.stopped) {
      try {
        await this.bot.init(this.abort.signal as Parameters<Bot["init"]>[0]);
        await this.bot.start({ allowed_updates: ['callback_query'], timeout: this.t.pollSeconds });
        delay = 1000;
      } catch (err) {
        if (this.stopped) return;
        const code = (err as { error_code?: number }).error_code;
        this.deps.log.warn({ error: this.clean(err) }, code === 401 ? 'ALERT_BOT_TOKEN was refused by the Bot API; alert buttons do not work' : 'alert bot cannot reach the Bot API; retrying');
      }
      if (this.stopped) return;
      await this.sleep(delay);
      delay = Math.min(delay * 2, 60_000);
    }
  }

  private async tickLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        this.watchHealth();
        await this.sendNotices();
        await this.drainOutbox();
        if (this.failing) this.deps.log.info('alerts are being sent again');
        this.failing = false;
      } catch (err) {
        if (!this.failing) this.deps.log.warn({ error: this.clean(err) }, 'alert could not be sent; it stays queued and is retried');
        this.failing = true;
      }
      if (!this.stopped) await this.sleep(this.t.tickMs, true);
    }
  }

  /** Tokens refilled continuously, `perMinute` a minute; true when one is there. */
  private hasToken(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.t.perMinute, this.tokens + ((now - this.refilledAt) * this.t.perMinute) / 60_000);
    this.refilledAt = now;
    return this.tokens >= 1;
  }

  /** A token per message. */
  private take(): boolean {
    if (!this.hasToken()) return false;
    this.tokens -= 1;
    return true;
  }

  private async send(text: string, buttons?: InlineKeyboardButton[][]): Promise<number> {
    const m = await this.bot.api.sendMessage(this.deps.settings.chatId, text, {
      ...(buttons && buttons.length > 0 ? { reply_markup: { inline_keyboard: buttons } } : {}),
      link_preview_options: { is_disabled: true },
    });
    return m.message_id;
  }

  private async sendNotices(): Promise<void> {
    while (this.queue.length > 0) {
      const n = this.queue[0] as Notice;
      if (!this.take()) return;
      await this.send(n.text, n.buttons);
      this.queue.shift();
    }
  }

  /** What the outboxes hold, each entry written in the same script as what it reports. What
   * must not be missed goes first (open credits, failed webhooks), then the edits of alerts whose
   * credits were settled elsewhere. An entry goes once handled; one that is no longer true (a
   * credit settled, a webhook redelivered before anyone was told) goes without a message. */
  private async drainOutbox(): Promise<void> {
    // Nothing could be sent now (rate limit, or a Bot API that keeps failing used the tokens up):
    // do not re-read a backlog of thousands every tick.
    if (!this.hasToken()) return;
    const { ctx } = this.deps;
    const k = ctx.keys;
    const [outbox, failures] = await Promise.all([this.read(k.alertOutbox), this.read(k.alertFailures)]);
    if (outbox.length === 0 && failures.length === 0) return;
    const unknown = outbox.filter((e) => e.kind !== 'credit' && e.kind !== 'settled' && e.kind !== 'held');
    if (unknown.length > 0) {
      // Written by a newer version (a rollback): nothing here knows what to say about them.
      this.deps.log.warn({ entries: unknown.length, kinds: [...new Set(unknown.map((e) => e.kind))] }, 'alert outbox entries of an unknown kind dropped');
      await ctx.redis.xdel(k.alertOutbox, ...unknown.map((e) => e.entry));
    }
    await this.openCredits(outbox.filter((e) => e.kind === 'credit'));
    await this.failedWebhooks(failures);
    await this.heldTransactions(outbox.filter((e) => e.kind === 'held'));
    await this.settledElsewhere(outbox.filter((e) => e.kind === 'settled'));
  }

  /** Transactions past their deadline that expiry holds for a person: created before a bot's
   * cursor began, so a payment may sit in the chat where paycue never read (README "Expiry"). */
  private async heldTransactions(entries: OutboxEntry[]): Promise<void> {
    const { ctx } = this.deps;
    const rows = await this.rows(entries.map((e) => ctx.keys.tx(e.id)), ['state', 'amount', 'card', 'expires_at'] satisfies TxField[]);
    for (const [i, e] of entries.entries()) {
      const r = rows[i];
      if (r?.state === 'pending') {
        if (!this.take()) return;
        await this.send(heldTransactionAlert(e.id, Number(r.amount), r.card ?? null, Number(r.expires_at)));
      }
      await ctx.redis.xdel(ctx.keys.alertOutbox, e.entry);
    }
  }

  /** Every entry of an outbox (each is capped near 10,000 entries). */
  private async read(key: string): Promise<OutboxEntry[]> {
    const raw = await this.deps.ctx.redis.xrange(key, '-', '+', 'COUNT', OUTBOX_READ_MAX);
    return raw.map(([entry, f]) => ({ entry, kind: field(f, 'kind') ?? 'credit', id: field(f, 'id') ?? '', action: field(f, 'action') ?? '' }));
  }

  /** Open credits recorded since the last alert: one message each, or one summary for a burst. */
  private async openCredits(entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const { ctx } = this.deps;
    const k = ctx.keys;
    const rows = await this.rows(entries.map((e) => k.credit(e.id)), [...CREDIT_FIELDS]);
    const open: { entry: string; credit: CreditRecord }[] = [];
    const done: string[] = [];
    entries.forEach(({ entry }, i) => {
      const c = creditFromHash(rows[i] ?? null);
      if (c && c.state === 'open') open.push({ entry, credit: c });
      else done.push(entry); // settled before anyone was told: nothing to say
    });
    if (done.length > 0) await ctx.redis.xdel(k.alertOutbox, ...done);
    if (open.length === 0) return;
    if (open.length > this.t.burst) {
      if (!this.take()) return;
      await this.send(creditSummary(open.map((o) => o.credit)));
      await ctx.redis.xdel(k.alertOutbox, ...open.map((o) => o.entry));
      return;
    }
    for (const o of open) {
      if (!this.take()) return;
      const { text, buttons } = creditAlert(o.credit, await this.candidates(o.credit));
      // A crash between these two steps sends this alert again after the restart (never none).
      const messageId = await this.send(text, buttons);
      await ctx.commands.alertSent(o.entry, o.credit.id, messageId);
    }
  }

  /** Webhooks that failed their last retry: one alert each with a Redeliver button, or one summary. */
  private async failedWebhooks(entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const { ctx } = this.deps;
    const k = ctx.keys;
    const states = await this.rows(entries.map((e) => (parseCreditId(e.id) ? k.credit(e.id) : k.tx(e.id))), ['wh_state'] satisfies (TxField & CreditField)[]);
    // Once per event: a redelivery that failed again before the bot ran left a second entry.
    const first = new Set<string>();
    const failed = entries.filter((e, i) => states[i]?.wh_state === 'failed' && !first.has(`${e.id}|${e.action}`) && first.add(`${e.id}|${e.action}`));
    const done = entries.filter((e) => !failed.includes(e)).map((e) => e.entry);
    if (done.length > 0) await ctx.redis.xdel(k.alertFailures, ...done);
    if (failed.length === 0) return;
    if (failed.length > this.t.burst) {
      if (!this.take()) return;
      await this.send(webhookFailedSummary(failed));
      await ctx.redis.xdel(k.alertFailures, ...failed.map((e) => e.entry));
      return;
    }
    for (const e of failed) {
      if (!this.take()) return;
      const { text, buttons } = webhookFailedAlert(e.id, e.action);
      await this.send(text, buttons);
      await ctx.redis.xdel(k.alertFailures, e.entry);
    }
  }

  /** The pending orders an alert offers for `c`: same card, amount within ATTACH_TOLERANCE. */
  private candidates(c: CreditRecord) {
    return closestPending(this.deps.ctx, c.amountTiyin, c.last4, this.deps.settings.attachTolerance);
  }

  /** Runs `fn` after every edit queued before it (see `edits`). */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const turn = this.edits.then(fn);
    this.edits = turn.catch(() => undefined);
    return turn;
  }

  /** Credits settled after their alert went out (through the API, the CLI or a button), and
   * attached ones whose confirm webhook was since delivered or failed: the alert says so. */
  private async settledElsewhere(entries: OutboxEntry[]): Promise<void> {
    const { ctx } = this.deps;
    // Each edit shows the records as they are now: one per credit covers its earlier entries
    // (settled and delivered before the bot got to either).
    const latest = new Map(entries.map((e) => [e.id, e]));
    const covered = entries.filter((e) => latest.get(e.id) !== e).map((e) => e.entry);
    if (covered.length > 0) await ctx.redis.xdel(ctx.keys.alertOutbox, ...covered);
    for (const e of latest.values()) {
      const sent = await this.serially(async () => {
        const [messageId] = await ctx.redis.hmget(ctx.keys.credit(e.id), 'alert_message' satisfies CreditField);
        const credit = messageId ? await getCredit(ctx, e.id) : null;
        if (!messageId || !credit || credit.state !== 'resolved') return true;
        if (!this.take()) return false;
        const txId = credit.resolution?.transactionId;
        await this.edit(Number(messageId), settledCreditText(credit, txId ? await getTransaction(ctx, txId) : null));
        return true;
      });
      if (!sent) return;
      await ctx.redis.xdel(ctx.keys.alertOutbox, e.entry);
    }
  }

  /** The same fields of many hashes, a thousand keys a call. */
  private async rows(keys: string[], fields: string[]): Promise<(Record<string, string> | null)[]> {
    const out: (Record<string, string> | null)[] = [];
    for (let i = 0; i < keys.length; i += 1000) out.push(...(await this.deps.ctx.commands.rows(keys.slice(i, i + 1000), fields)));
    return out;
  }

  /** Edits an alert. Telegram refusing it (deleted, too old, unchanged) is final, not retried. */
  private async edit(messageId: number, text: string): Promise<void> {
    try {
      await this.bot.api.editMessageText(this.deps.settings.chatId, messageId, text);
    } catch (err) {
      if (!(err instanceof GrammyError) || err.error_code !== 400) throw err;
      if (!/not modified/.test(err.description)) this.deps.log.warn({ error: this.clean(err) }, 'Telegram refused to edit an alert; left as it was');
    }
  }

  private watchHealth(): void {
    const { health } = this.deps;
    if (health.telegram) {
      this.condition('telegram', !health.telegram(), this.t.telegramDownMs, '📵 paycue has been disconnected from Telegram for more than 2 minutes: bank messages are not being read (they are fetched once it reconnects).', '✅ paycue is connected to Telegram again.');
    }
    this.condition('redis', !health.redis(), this.t.redisDownMs, '🛑 Redis has been unreachable for more than 30 seconds: paycue cannot create or confirm transactions.', '✅ Redis is reachable again.');
    const refused = health.writes?.() ?? null;
    if (health.writes) {
      this.condition('replicas', refused !== null, this.t.replicasShortMs, `🛑 Redis writes refused: ${refused ?? ''}`, '✅ Enough Redis replicas are connected again: paycue accepts creates and credits.');
    }
  }

  private condition(name: string, bad: boolean, afterMs: number, downText: string, upText: string): void {
    const c = this.conditions.get(name) ?? { since: null, alerted: false };
    const now = Date.now();
    if (bad) {
      c.since ??= now;
      if (!c.alerted && now - c.since >= afterMs) {
        c.alerted = true;
        this.notice(`${name}:down`, downText);
      }
    } else {
      if (c.alerted) this.notice(`${name}:up`, upText);
      c.since = null;
      c.alerted = false;
    }
    this.conditions.set(name, c);
  }

  private allowed(userId: number, chatId: number | undefined): boolean {
    const { admins, chatId: home } = this.deps.settings;
    if (admins.length > 0) return admins.includes(userId);
    return userId === home || (home < 0 && chatId === home);
  }

  private async press(c: Context): Promise<void> {
    const q = c.callbackQuery;
    const from = c.from;
    if (!q?.data || !from) return;
    const message = q.message;
    if (!this.allowed(from.id, message?.chat.id)) {
      this.deps.log.warn({ telegram_user: from.id }, 'alert button pressed by a user not in ALERT_ADMINS; ignored');
      await c.answerCallbackQuery({ text: 'You are not allowed to settle payments here.', show_alert: true });
      return;
    }
    const { ctx, events } = this.deps;
    const actor = telegramActor(from.id, from.username);
    const [op, a = '', b = ''] = q.data.split('|');
    let what: string | null = null;
    let refusal: string | null = null;
    if (op === 'at' || op === 'ax') {
      const creditId = parseCreditId(a);
      const txId = parseTransactionId(b);
      // A different amount is attached only on a second tap, on the button that states the difference.
      if (op === 'at' && creditId && txId && (await this.askAgain(c, creditId, txId))) return;
      const r = creditId && txId ? await attachCredit(ctx, creditId, txId, actor, 'attached from the Telegram alert') : null;
      if (r?.ok && creditId && txId) {
        events.creditSettled({ creditId, how: 'attached', transactionId: txId, by: actor.by });
        // The outbox loop edits the alert (attach asked it to): queued, then delivered or failed.
        this.wakeSleep?.();
        await c.answerCallbackQuery({ text: 'Attached: confirmed, confirm webhook queued' }).catch(() => undefined);
        return;
      }
      refusal = r && !r.ok ? r.detail : 'unknown button';
    } else if (op === 'dm') {
      const creditId = parseCreditId(a);
      const reason = DISMISS_REASONS[b];
      const r = creditId && reason ? await dismissCredit(ctx, creditId, actor, reason) : null;
      if (r?.ok && creditId) {
        events.creditSettled({ creditId, how: 'dismissed', by: actor.by });
        what = `Dismissed: ${reason}`;
      } else refusal = r && !r.ok ? r.detail : 'unknown button';
    } else if (op === 'rd') {
      const id = parseCreditId(a) ?? parseTransactionId(a);
      const r = id ? await redeliver(ctx, id, actor) : 'unknown';
      if (r === 'queued') what = 'Webhook queued for redelivery';
      else refusal = r === 'in_progress' ? 'a delivery is already under way' : `cannot redeliver (${r})`;
    } else refusal = 'unknown button';

    if (what === null) {
      await c.answerCallbackQuery({ text: refusal ?? 'nothing done', show_alert: true });
      return;
    }
    await c.answerCallbackQuery({ text: 'Done' }).catch(() => undefined);
    const original = message && 'text' in message && typeof message.text === 'string' ? message.text : '';
    const done = what;
    await this.serially(() => c.editMessageText(settledText(original, done, actor.by, Date.now()))).catch((err: unknown) =>
      this.deps.log.warn({ error: this.clean(err) }, 'could not edit the alert after it was settled'),
    );
  }

  /** The first tap of an Attach button whose order's amount differs from the credit's: the alert
   * states the difference and offers "Yes, attach" (`ax|…`); nothing is attached. False when the
   * amounts are equal, or either record is gone or settled (attach then acts, or says why not). */
  private async askAgain(c: Context, creditId: string, txId: string): Promise<boolean> {
    const { ctx } = this.deps;
    return this.serially(async () => {
      const [credit, tx] = await Promise.all([getCredit(ctx, creditId), getTransaction(ctx, txId)]);
      if (!credit || !tx || credit.state !== 'open' || tx.state !== 'pending' || credit.amountTiyin === tx.amountTiyin) return false;
      const { text, buttons } = confirmAttachAlert(credit, await this.candidates(credit), tx);
      await c.answerCallbackQuery({ text: attachQuestion(credit, tx), show_alert: true }).catch(() => undefined);
      await c.editMessageText(text, { reply_markup: { inline_keyboard: buttons }, link_preview_options: { is_disabled: true } }).catch((err: unknown) =>
        this.deps.log.warn({ error: this.clean(err) }, 'could not edit the alert to ask for a second tap'),
      );
      return true;
    });
  }
}

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export function startAlerts(deps: AlertDeps): AlertService {
  const s = new AlertService(deps);
  s.start();
  return s;
}
