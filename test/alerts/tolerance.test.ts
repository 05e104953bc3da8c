// ATTACH_TOLERANCE: parsed into integers (hundredths of a percent, or tiyin), and the window it
// gives around a credit's amount, exact to the tiyin at any size.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, parseConfig } from '../../src/config/env.js';
import { toleranceTiyin } from '../../src/alerts/candidates.js';

const base = { API_USERNAME: 'shop', API_PASSWORD: 'pw', SANDBOX: 'true' };

function problem(value: string): string | undefined {
  try {
    parseConfig({ ...base, ATTACH_TOLERANCE: value });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.find((p) => p.variable === 'ATTACH_TOLERANCE')?.message;
    throw e;
  }
  return undefined;
}

describe('ATTACH_TOLERANCE', () => {
  it('defaults to 5% of the credit', () => {
    expect(parseConfig(base).attachTolerance).toEqual({ percentHundredths: 500 });
  });

  it.each([
    ['5%', { percentHundredths: 500 }], ['0.5%', { percentHundredths: 50 }], ['12.25%', { percentHundredths: 1225 }], ['100%', { percentHundredths: 10_000 }],
    ['500', { tiyin: 50_000 }], ['0.50', { tiyin: 50 }], ['0', { tiyin: 0 }], [' 7% ', { percentHundredths: 700 }],
  ])('%j → %j', (raw, parsed) => expect(parseConfig({ ...base, ATTACH_TOLERANCE: raw }).attachTolerance).toEqual(parsed));

  it.each(['101%', '-5%', '5 %', '1.234', 'five', '5%%', '1e3'])('refuses %j, naming the variable', (raw) => {
    expect(problem(raw)).toMatch(/expected a percentage of the credit like 5% or an amount in so'm like 500/);
  });

  it('a share is rounded down to the tiyin, exactly, up to the largest amounts', () => {
    expect(toleranceTiyin(1_005_000, { percentHundredths: 500 })).toBe(50_250);
    expect(toleranceTiyin(199, { percentHundredths: 50 })).toBe(0); // 0.995 tiyin
    expect(toleranceTiyin(123, { tiyin: 50 })).toBe(50);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000_000_000_000 }), fc.integer({ min: 0, max: 10_000 }), (amount, share) => {
        // The largest whole tiyin not above amount × share: t ≤ amount·share/10⁴ < t + 1.
        const t = toleranceTiyin(amount, { percentHundredths: share });
        const scaled = BigInt(amount) * BigInt(share);
        return Number.isSafeInteger(t) && BigInt(t) * 10_000n <= scaled && scaled < (BigInt(t) + 1n) * 10_000n;
      }),
    );
  });
});
