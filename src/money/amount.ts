// Money is integer tiyin everywhere (1 so'm = 100 tiyin). These helpers convert at the edges.
export const TIYIN_PER_SOM = 100;
/** Largest amount a merchant may request: 10^12 so'm (still far below 2^53 tiyin). */
export const MAX_SOM = 1_000_000_000_000;

export type AmountStep = 'som' | 'tiyin';
export type AmountDirection = 'up' | 'down';

export function somToTiyin(som: number): number {
  if (!Number.isSafeInteger(som)) throw new RangeError('so\'m amount must be a safe integer');
  return som * TIYIN_PER_SOM;
}

export function stepTiyin(step: AmountStep): number {
  return step === 'som' ? TIYIN_PER_SOM : 1;
}

/**
 * The public `amount` field: an integer in `som` mode, a number with at most two decimals in
 * `tiyin` mode. Built from the integer parts so no float arithmetic touches the value
 * (the final Number() only reads a decimal literal, which is how JSON will print it).
 */
export function publicAmount(tiyin: number, step: AmountStep): number {
  if (step === 'som' && tiyin % TIYIN_PER_SOM === 0) return tiyin / TIYIN_PER_SOM;
  const som = Math.trunc(tiyin / TIYIN_PER_SOM);
  const rest = tiyin % TIYIN_PER_SOM;
  return Number(`${som}.${String(rest).padStart(2, '0')}`);
}

/** "20 001,00" style for humans (logs, demo). */
export function formatSom(tiyin: number): string {
  const som = Math.trunc(tiyin / TIYIN_PER_SOM).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${som}.${String(tiyin % TIYIN_PER_SOM).padStart(2, '0')} UZS`;
}

/** "1.00 UZS less" / "1.00 UZS more": what arrived against what was asked; null when equal. */
export function formatDifference(receivedTiyin: number, askedTiyin: number): string | null {
  const d = receivedTiyin - askedTiyin;
  return d === 0 ? null : `${formatSom(Math.abs(d))} ${d < 0 ? 'less' : 'more'}`;
}
