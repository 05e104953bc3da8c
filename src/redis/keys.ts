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
    // Credit records (src/credits): one hash each, indexes by bank time (ms), and the audit trail.
    credit: (id: string) => `${t}:credit:${id}`,
    creditAttempts: (id: string) => `${t}:credit:${id}:attempts`,
    creditsAll: `${t}:credits:all`,
    creditsOpen: `${t}:credits:open`,
    creditsResolved: `${t}:credits:resolved`,
    /** Credit ids scored by when their raw text is due to be trimmed. */
    creditsText: `${t}:credits:text`,
    audit: (kind: 'tx' | 'credit', id: string) => `${t}:audit:${kind}:${id}`,
    /** Alert events written in the same script as what they report, drained by src/alerts:
     * open credits and credits settled outside Telegram, and apart (so that a merchant outage's
     * many failures cannot push open credits out of the capped stream) failed webhooks. */
    alertOutbox: `${t}:alerts:outbox`,
    alertFailures: `${t}:alerts:failures`,
    // Transactions by created_at (ms): every one, and the closed ones per state (pending ones are
    // listed from `deadlines`, which already holds them: no extra memory per pending transaction).
    txIndex: `${t}:txs`,
    txState: (state: 'confirmed' | 'cancelled') => `${t}:txs:${state}`,
    cursor: `${t}:telegram:cursor`,
    sessionLock: `${t}:telegram:lock`,
    /** Set (with a short TTL) by a daemon standing by for the session lock. */
    sessionStandby: `${t}:telegram:standby`,
    /** Written by GET /ready: a Redis that answers PING may still refuse writes (maxmemory). */
    readyProbe: `${t}:ready`,
    /** Replicas per shard ('primary' outside a Cluster) recorded when paycue first saw the
     * deployment: the default REDIS_MIN_REPLICAS, changed only by `paycue redis replicas set`. */
    replicas: `${t}:redis:replicas`,
    replicasAudit: `${t}:redis:replicas:audit`,
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
