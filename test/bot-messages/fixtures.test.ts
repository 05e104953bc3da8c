// Every real message in the shared fixture file must get the expected verdict,
// amount and last-4.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { botNameFor, parseBotMessage } from '../../src/bot-messages/index.js';

type Fixture = {
  id: string;
  text: string;
  sender: number;
  expect: { credit: boolean; amount_tiyin?: number; last4?: string | null };
  kind: string;
  subtype: string;
};

// The reason a bot's non-credit must carry, derived from the fixture's own kind/subtype.
function expectedReason(f: Fixture): string | undefined {
  if (botNameFor(f.sender) === null) return 'unknown_sender';
  if (f.kind === 'debit') return 'debit';
  if (f.subtype === 'reversal' || f.subtype === 'declined' || f.subtype === 'ambiguous') return f.subtype;
  if (f.subtype.startsWith('balance_')) return 'balance';
  if (f.subtype.startsWith('service_')) return 'service';
  return undefined;
}

const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/bot-messages.json', import.meta.url), 'utf8'),
) as Fixture[];

describe('bot-message fixtures', () => {
  it('the fixture file is loaded and has both verdicts', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(71);
    expect(fixtures.some((f) => f.expect.credit)).toBe(true);
    expect(fixtures.some((f) => !f.expect.credit)).toBe(true);
  });

  it.each(fixtures.map((f) => [`${f.id} ${f.subtype}`, f] as const))('%s', (_name, f) => {
    const got = parseBotMessage(f.text, f.sender);
    if (f.expect.credit) {
      expect(got).toEqual({
        credit: true,
        amount_tiyin: f.expect.amount_tiyin,
        currency: 'UZS',
        last4: f.expect.last4,
        bot: botNameFor(f.sender),
      });
    } else {
      expect(got.credit).toBe(false);
      const reason = expectedReason(f);
      if (reason !== undefined) expect(got).toEqual({ credit: false, reason });
    }
  });
});
