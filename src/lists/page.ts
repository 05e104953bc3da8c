// Cursor pagination over a sorted set scored by time (ms), newest first. A page costs one
// ZRANGE … BYSCORE REV LIMIT however deep it is: the opaque cursor holds the score to resume
// at and how many members of that score were already returned, never an offset from the top.
import type { RedisConnection } from '../redis/client.js';

/** Every list endpoint answers at most this many items a page. */
export const MAX_PAGE = 200;

export interface PageQuery {
  /** Inclusive bounds on the score (ms). */
  from?: number;
  to?: number;
  limit: number;
  cursor?: string;
}

interface Position {
  score: number;
  skip: number;
}

export interface Scored {
  id: string;
  score: number;
}

export class BadCursor extends Error {}

export function encodeCursor(p: Position): string {
  return Buffer.from(`${p.score}:${p.skip}`).toString('base64url');
}

export function decodeCursor(raw: string): Position {
  const m = /^(\d{1,16}):(\d{1,9})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (!m) throw new BadCursor('cursor: not one this server gave out');
  return { score: Number(m[1]), skip: Number(m[2]) };
}

/** Where the next page starts once `items[0..i]` were consumed, starting from `from`. */
export function positionAfter(items: Scored[], i: number, from: Position | null): Position {
  const score = (items[i] as Scored).score;
  let same = 0;
  for (let j = 0; j <= i; j++) if ((items[j] as Scored).score === score) same++;
  return { score, skip: from && from.score === score ? from.skip + same : same };
}

/** Up to `count` members from `at` (or from the top of the range), newest first. */
export async function readChunk(redis: RedisConnection, key: string, q: PageQuery, at: Position | null, count: number): Promise<Scored[]> {
  const max = at ? String(at.score) : q.to !== undefined ? String(q.to) : '+inf';
  const min = q.from !== undefined ? String(q.from) : '-inf';
  const flat = await redis.zrange(key, max, min, 'BYSCORE', 'REV', 'LIMIT', at?.skip ?? 0, count, 'WITHSCORES');
  const out: Scored[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i] as string, score: Number(flat[i + 1]) });
  return out;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/**
 * One page of `key`: members are read in chunks, turned into items by `load` (one call per
 * chunk; null drops a member, e.g. a record that expired or does not pass a filter). Filtered
 * lists stop after `maxChunks` chunks and hand back a cursor where they stopped, so a page never
 * costs more than 2 × maxChunks Redis calls (a page may then hold fewer than `limit` items).
 */
export async function readPage<T>(
  redis: RedisConnection,
  key: string,
  q: PageQuery,
  load: (ids: string[]) => Promise<(T | null)[]>,
  opts: { filtered: boolean; maxChunks?: number } = { filtered: false },
): Promise<Page<T>> {
  let at = q.cursor ? decodeCursor(q.cursor) : null;
  const items: T[] = [];
  const chunkSize = opts.filtered ? MAX_PAGE : q.limit + 1;
  const maxChunks = opts.filtered ? (opts.maxChunks ?? 5) : 1;
  for (let chunk = 0; chunk < maxChunks; chunk++) {
    const members = await readChunk(redis, key, q, at, chunkSize);
    if (members.length === 0) return { items, next_cursor: null };
    const loaded = await load(members.map((m) => m.id));
    for (let i = 0; i < members.length; i++) {
      const item = loaded[i];
      if (item === null || item === undefined) continue;
      items.push(item);
      if (items.length === q.limit) {
        const more = i + 1 < members.length || members.length === chunkSize;
        return { items, next_cursor: more ? encodeCursor(positionAfter(members, i, at)) : null };
      }
    }
    if (members.length < chunkSize) return { items, next_cursor: null };
    at = positionAfter(members, members.length - 1, at);
  }
  return { items, next_cursor: encodeCursor(at as Position) };
}
