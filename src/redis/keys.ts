// Every key shares one hash tag, `{prefix}`, so all of a daemon's keys live in one Redis
// Cluster slot and each Lua script may touch any of them (all passed in KEYS, never built in Lua).
export const IMPLICIT_CARD = '_';

export function redisKeys(prefix: string) {
  const t = `{${prefix}}`;
  return {
    /** Every key of this prefix (SCAN MATCH pattern), for removing a throw-away prefix. */
    everything: `${t}:*`,
    tx: (id: string) => `${t}:tx:${id}`,
    attempts: (id: string) => `${t}:tx:${id}:attempts`,
    amounts: (card: string) => `${t}:card:${card}:amounts`,
    owners: (card: string) => `${t}:card:${card}:owners`,
    cardLoad: `${t}:cardload`,
    deadlines: `${t}:deadlines`,
    quarantine: `${t}:quarantine`,
    idempotency: (key: string) => `${t}:idem:${key}`,
    message: (key: string) => `${t}:msg:${key}`,
    // Decided webhook events. Never trimmed by length (that could drop undelivered events):
    // each entry is deleted once its delivery is recorded, so it holds only the backlog.
    events: `${t}:events`,
    retries: `${t}:retries`,
    failed: `${t}:webhooks:failed`,
    unmatched: `${t}:credits:unmatched`,
    cursor: `${t}:telegram:cursor`,
    sessionLock: `${t}:telegram:lock`,
    /** Written by GET /ready: a Redis that answers PING may still refuse writes (maxmemory). */
    readyProbe: `${t}:ready`,
    // Card registry: last-4 → card JSON; last-4s that take no new reservations (disabled or removed).
    cards: `${t}:cards`,
    cardsInactive: `${t}:cards:inactive`,
    // Pub/sub channels (not keys): `txid|state` when a transaction closes or a late credit
    // arrives (published by the deciding scripts), and a ping when the card registry changes.
    payChannel: `${t}:pay:updates`,
    cardsChannel: `${t}:cards:changed`,
    /** What the running daemon last published about itself, read by `paycue status`. */
    daemonStatus: `${t}:daemon:status`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/** Consumer group of the webhook workers on the events stream. */
export const WEBHOOK_GROUP = 'webhooks';
