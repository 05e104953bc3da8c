// Reads a QR code from its module matrix (ISO/IEC 18004), written for the tests from the
// standard, so that a printed code is checked by what a scanner would read, not by comparing it
// with the output of the library that drew it: format information (checked against its BCH
// code), unmasking, the zigzag read, block de-interleaving, a Reed-Solomon check of every block
// (a clean print needs no correction), then numeric, alphanumeric and byte segments.
// Versions 1-40; no ECI, no Kanji (paycue's URLs never need them).
import { createRequire } from 'node:module';

// The standard's table of error correction blocks per version and level, as the qrcode
// package ships it (data, not logic).
const require = createRequire(import.meta.url);
const ecc = require('qrcode/lib/core/error-correction-code.js') as {
  getBlocksCount(version: number, level: object): number | undefined;
  getTotalCodewordsCount(version: number, level: object): number | undefined;
};
/** The package's level objects (its table is looked up by their identity). */
const ECC_LEVELS = require('qrcode/lib/core/error-correction-level.js') as Record<Level, object>;

export type Level = 'L' | 'M' | 'Q' | 'H';
const LEVEL_BITS: Record<Level, number> = { L: 1, M: 0, Q: 3, H: 2 };

export interface Decoded {
  text: string;
  version: number;
  level: Level;
  mask: number;
}

/** The 15 format bits for a level and mask (BCH(15,5), XOR 0x5412). */
function formatBits(level: Level, mask: number): number {
  const data = (LEVEL_BITS[level] << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  return ((data << 10) | (rem & 0x3ff)) ^ 0x5412;
}

function alignmentCentres(version: number): number[] {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const step = version === 32 ? 26 : Math.ceil((version * 4 + 4) / (count * 2 - 2)) * 2;
  const out = [6];
  for (let pos = version * 4 + 17 - 7; out.length < count; pos -= step) out.splice(1, 0, pos);
  return out;
}

/** Modules that belong to finder, separator, timing, alignment, format and version patterns. */
function functionModules(version: number): boolean[][] {
  const n = version * 4 + 17;
  const f = Array.from({ length: n }, () => new Array<boolean>(n).fill(false));
  const mark = (x0: number, y0: number, w: number, h: number) => {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) if (x >= 0 && y >= 0 && x < n && y < n) f[y]![x] = true;
  };
  mark(0, 0, 9, 9); // top-left finder, separator, format
  mark(n - 8, 0, 8, 9); // top-right finder, separator, format
  mark(0, n - 8, 9, 8); // bottom-left finder, separator, format, dark module
  mark(6, 0, 1, n); // timing
  mark(0, 6, n, 1);
  const centres = alignmentCentres(version);
  for (const cy of centres) {
    for (const cx of centres) {
      const last = centres.length - 1;
      const onFinder = (cx === 6 && cy === 6) || (cx === 6 && cy === centres[last]) || (cx === centres[last] && cy === 6);
      if (!onFinder) mark(cx - 2, cy - 2, 5, 5);
    }
  }
  if (version >= 7) {
    mark(n - 11, 0, 3, 6);
    mark(0, n - 11, 6, 3);
  }
  return f;
}

const MASKS: ((x: number, y: number) => boolean)[] = [
  (x, y) => (x + y) % 2 === 0,
  (_x, y) => y % 2 === 0,
  (x) => x % 3 === 0,
  (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
  (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
  (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
];

function readFormat(m: boolean[][]): { level: Level; mask: number } {
  const n = m.length;
  const bit = (x: number, y: number) => (m[y]![x] ? 1 : 0);
  let first = 0;
  let second = 0;
  for (let i = 0; i <= 5; i++) first |= bit(8, i) << i;
  first |= bit(8, 7) << 6;
  first |= bit(8, 8) << 7;
  first |= bit(7, 8) << 8;
  for (let i = 9; i < 15; i++) first |= bit(14 - i, 8) << i;
  for (let i = 0; i < 8; i++) second |= bit(n - 1 - i, 8) << i;
  for (let i = 8; i < 15; i++) second |= bit(8, n - 15 + i) << i;
  for (const level of ['L', 'M', 'Q', 'H'] as Level[]) {
    for (let mask = 0; mask < 8; mask++) {
      const want = formatBits(level, mask);
      if (want === first && want === second) return { level, mask };
    }
  }
  throw new Error('the format information is not a valid code word (or its two copies differ)');
}

// GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
const EXP = new Array<number>(512);
const LOG = new Array<number>(256);
for (let i = 0, x = 1; i < 255; i++, x = (x << 1) ^ (x & 0x80 ? 0x11d : 0)) {
  EXP[i] = x & 0xff;
  LOG[x & 0xff] = i;
}
for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
const mul = (a: number, b: number) => (a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!);

/** True when the block (data then error correction) is a Reed-Solomon code word: every syndrome is 0. */
function blockIsValid(block: number[], ecLength: number): boolean {
  for (let i = 0; i < ecLength; i++) {
    let s = 0;
    for (const c of block) s = mul(s, EXP[i]!) ^ c;
    if (s !== 0) return false;
  }
  return true;
}

const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

export function decodeQr(m: boolean[][]): Decoded {
  const n = m.length;
  const version = (n - 17) / 4;
  if (!Number.isInteger(version) || version < 1 || version > 40 || m.some((r) => r.length !== n)) throw new Error(`a ${n}×${m[0]?.length} matrix is no QR size`);
  const { level, mask } = readFormat(m);
  const fn = functionModules(version);

  // The zigzag: column pairs from the right, up then down, skipping the vertical timing column.
  const bits: number[] = [];
  for (let right = n - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    for (let v = 0; v < n; v++) {
      for (let j = 0; j < 2; j++) {
        const x = right - j;
        const y = ((right + 1) & 2) === 0 ? n - 1 - v : v;
        if (!fn[y]![x]) bits.push((m[y]![x] ? 1 : 0) ^ (MASKS[mask]!(x, y) ? 1 : 0));
      }
    }
  }
  const codewords: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) codewords.push(bits.slice(i, i + 8).reduce((a, b) => (a << 1) | b, 0));

  // De-interleave: data codewords block by block, then error correction codewords.
  const blocks = ecc.getBlocksCount(version, ECC_LEVELS[level]) ?? 0;
  const ecPerBlock = (ecc.getTotalCodewordsCount(version, ECC_LEVELS[level]) ?? 0) / blocks;
  if (!(blocks >= 1 && Number.isInteger(ecPerBlock) && ecPerBlock >= 1)) throw new Error(`no block table for version ${version}-${level}`);
  const total = codewords.length;
  const shortBlocks = blocks - (total % blocks);
  const shortData = Math.floor(total / blocks) - ecPerBlock;
  const dataLength = (b: number) => shortData + (b < shortBlocks ? 0 : 1);
  const data: number[][] = Array.from({ length: blocks }, () => []);
  let k = 0;
  for (let i = 0; i <= shortData; i++) for (let b = 0; b < blocks; b++) if (i < dataLength(b)) data[b]!.push(codewords[k++]!);
  const ec: number[][] = Array.from({ length: blocks }, () => []);
  for (let i = 0; i < ecPerBlock; i++) for (let b = 0; b < blocks; b++) ec[b]!.push(codewords[k++]!);
  data.forEach((d, b) => {
    if (!blockIsValid([...d, ...ec[b]!], ecPerBlock)) throw new Error(`block ${b} fails its Reed-Solomon check: a scanner would have to correct it`);
  });

  // The bit stream of the data codewords.
  const stream = data.flat().flatMap((c) => Array.from({ length: 8 }, (_, i) => (c >> (7 - i)) & 1));
  let pos = 0;
  const take = (count: number) => {
    if (pos + count > stream.length) throw new Error('the data ends inside a segment');
    let v = 0;
    for (let i = 0; i < count; i++) v = (v << 1) | stream[pos++]!;
    return v;
  };
  const countBits = (small: number, medium: number, large: number) => (version <= 9 ? small : version <= 26 ? medium : large);
  const bytes: number[] = [];
  while (pos + 4 <= stream.length) {
    const mode = take(4);
    if (mode === 0) break;
    if (mode === 1) {
      let count = take(countBits(10, 12, 14));
      for (; count >= 3; count -= 3) bytes.push(...Buffer.from(String(take(10)).padStart(3, '0')));
      if (count === 2) bytes.push(...Buffer.from(String(take(7)).padStart(2, '0')));
      if (count === 1) bytes.push(...Buffer.from(String(take(4))));
    } else if (mode === 2) {
      let count = take(countBits(9, 11, 13));
      for (; count >= 2; count -= 2) {
        const v = take(11);
        bytes.push(ALPHANUMERIC.charCodeAt(Math.floor(v / 45)), ALPHANUMERIC.charCodeAt(v % 45));
      }
      if (count === 1) bytes.push(ALPHANUMERIC.charCodeAt(take(6)));
    } else if (mode === 4) {
      const count = take(countBits(8, 16, 16));
      for (let i = 0; i < count; i++) bytes.push(take(8));
    } else throw new Error(`unsupported segment mode ${mode}`);
  }
  return { text: Buffer.from(bytes).toString('utf8'), version, level, mask };
}
