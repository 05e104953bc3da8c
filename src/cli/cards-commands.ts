// `paycue cards add|list|show|disable|enable|remove`: the same registry operations as the
// /cards API. Exit 0 done, 1 refused (unknown card, duplicate, pending transactions),
// 2 invalid input.
import { whereLooked } from '../ops/redis-connection.js';
import { cliUser } from './actor.js';
import type { OperatorConfig as Config } from '../config/env.js';
import { withContext } from './admin-connection.js';
import type { CliIO } from './io.js';
import { cardPatchSchema, LAST4, newCardSchema, toPublicCard, type PublicCard } from '../cards/card.js';
import { addCard, getCard, listCards, removeCard, updateCard } from '../cards/registry.js';

export interface AddOptions {
  number: string;
  holder: string;
  label?: string;
  bot?: string;
  link?: string[];
  disabled?: boolean;
}

function line(c: PublicCard): string {
  const links = c.links.length > 0 ? `  links: ${c.links.map((l) => l.title).join(', ')}` : '';
  return `${c.last4}  ${c.number_display}  ${c.holder}${c.label ? `  [${c.label}]` : ''}  ${c.bot}  ${c.active ? 'active' : 'disabled'}${links}`;
}

function badInput(io: CliIO, issues: { path: PropertyKey[]; message: string }[]): number {
  const i = issues[0];
  io.err(`invalid card: ${i && i.path.length > 0 ? `${i.path.map(String).join('.')}: ` : ''}${i?.message ?? 'invalid'}`);
  return 2;
}

function checkLast4(io: CliIO, last4: string): boolean {
  if (LAST4.test(last4)) return true;
  io.err('a card is named by the last 4 digits of its number, e.g. 7159');
  return false;
}

/** `--link Title=URL`, split at the first `=` (URLs contain their own). */
export function parseLinks(values: string[] = []): { title: string; url: string }[] | string {
  const out: { title: string; url: string }[] = [];
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) return `--link expects Title=URL, got "${v}"`;
    out.push({ title: v.slice(0, eq), url: v.slice(eq + 1) });
  }
  return out;
}

export async function runCardsAdd(config: Config, io: CliIO, o: AddOptions): Promise<number> {
  const links = parseLinks(o.link);
  if (typeof links === 'string') return io.err(links), 2;
  const parsed = newCardSchema.safeParse({
    number: o.number,
    holder: o.holder,
    ...(o.label !== undefined ? { label: o.label } : {}),
    ...(o.bot !== undefined ? { bot: o.bot } : {}),
    links,
    active: !o.disabled,
  });
  if (!parsed.success) return badInput(io, parsed.error.issues);
  const r = await withContext(config, (ctx) => addCard(ctx, parsed.data));
  if (r.kind === 'exists') return io.err(`a card ending in ${parsed.data.number.slice(-4)} is already registered`), 1;
  io.out(`added: ${line(toPublicCard(r.card))}`);
  return 0;
}

export async function runCardsList(config: Config, io: CliIO, json: boolean): Promise<number> {
  const cards = (await withContext(config, (ctx) => listCards(ctx))).map(toPublicCard);
  if (json) cards.forEach((c) => io.out(JSON.stringify(c)));
  else if (cards.length === 0) io.out(`no registered cards${whereLooked(config)}${config.cards.length > 0 ? `; CARDS: ${config.cards.join(', ')}, known by last-4 only` : ''}`);
  else cards.forEach((c) => io.out(line(c)));
  return 0;
}

export async function runCardsShow(config: Config, io: CliIO, last4: string, json: boolean): Promise<number> {
  if (!checkLast4(io, last4)) return 2;
  const card = await withContext(config, (ctx) => getCard(ctx, last4));
  if (!card) return io.err(`no registered card ${last4}`), 1;
  const c = toPublicCard(card);
  if (json) io.out(JSON.stringify(c));
  else {
    io.out(line(c));
    c.links.forEach((l) => io.out(`  ${l.title}: ${l.url}`));
  }
  return 0;
}

export async function runCardsSetActive(config: Config, io: CliIO, last4: string, active: boolean): Promise<number> {
  if (!checkLast4(io, last4)) return 2;
  const patch = cardPatchSchema.parse({ active });
  const r = await withContext(config, (ctx) => updateCard(ctx, last4, patch));
  if (r.kind === 'unknown') return io.err(`no registered card ${last4}`), 1;
  io.out(active ? `card ${last4} enabled: it takes new transactions` : `card ${last4} disabled: no new transactions; its pending ones still match payments`);
  return 0;
}

export async function runCardsRemove(config: Config, io: CliIO, last4: string, force: boolean): Promise<number> {
  if (!checkLast4(io, last4)) return 2;
  const r = await withContext(config, (ctx) => removeCard(ctx, last4, force, config.cards.includes(last4), cliUser()));
  if (r.kind === 'unknown') return io.err(`no registered card ${last4}`), 1;
  if (r.kind === 'pending') {
    io.err(`card ${last4} has ${r.pending} pending transaction(s): wait for them, disable the card, or use --force to cancel them (each sends a cancel webhook)`);
    return 1;
  }
  io.out(`card ${last4} removed${r.cancelled.length > 0 ? `; cancelled ${r.cancelled.length} pending transaction(s): ${r.cancelled.join(', ')}` : ''}`);
  return 0;
}
