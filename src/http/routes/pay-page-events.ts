// GET /pay/:id/events: the page's live status as Server-Sent Events. The first event is the
// status now; each decision the feed reports follows; the stream ends when the transaction
// closes. Open streams are capped (503 beyond, and the page polls instead).
import type { Context } from 'hono';
import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { fail } from '../respond.js';
import { applyPublished, type LoadedStatus } from '../../pay-page/status.js';
import type { FeedUpdate, PayFeed } from '../../pay-page/feed.js';
import type { StreamRegistry } from '../../pay-page/streams.js';
import { openSse } from '../../pay-page/sse.js';

export interface StatusStreamDeps {
  feed: PayFeed;
  streams: StreamRegistry;
  heartbeatMs: number;
  read: (id: string) => Promise<LoadedStatus | null>;
  idOf: (c: Context) => string | null;
  /** Counts a stream turned away by the cap. */
  refused: () => void;
}

export function statusStream(deps: StatusStreamDeps) {
  const { read, idOf } = deps;
  return async (c: Context) => {
    const id = idOf(c);
    if (!id) return fail(c, 404, 'payment not found');
    const release = deps.streams.reserve();
    if (!release) {
      deps.refused();
      return fail(c, 503, 'too many open status streams; poll /status instead', { 'Retry-After': '5' });
    }
    // Listen before the first read, so a decision landing in between is not missed.
    let wake: (() => void) | undefined;
    let dirty = false;
    let published: FeedUpdate | null = null;
    const unlisten = deps.feed.listen(id, (update) => {
      published = update;
      dirty = true;
      wake?.();
    });
    const abandon = () => {
      unlisten();
      release();
    };
    let loaded: LoadedStatus | null;
    try {
      loaded = await read(id);
    } catch (err) {
      abandon();
      throw err;
    }
    if (!loaded) return abandon(), fail(c, 404, 'payment not found');
    const res = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (!res) return abandon(), fail(c, 501, 'status streams need the Node server');
    const stream = openSse(res);
    let closed = false;
    let status = loaded.status;
    const finish = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      untrack();
      abandon();
      stream.end();
      wake?.();
    };
    const untrack = deps.streams.track(finish);
    stream.onClose(finish);
    const heartbeat = setInterval(() => stream.comment('ping'), deps.heartbeatMs);
    stream.send('status', JSON.stringify(status), 3000);
    // A published decision is applied as is (no Redis call per waiting customer); after a
    // resync (Redis reconnected, something may be missed) the status is read again.
    void (async () => {
      while (!closed && status.state === 'pending') {
        if (!dirty) await new Promise<void>((r) => (wake = r));
        if (closed) break;
        dirty = false;
        const update = published as FeedUpdate | null;
        published = null;
        // On a Redis blip nothing is sent: the browser re-reads when it reconnects.
        const next = (update && applyPublished(status, update.event, update.at)) ?? (await read(id).catch(() => null))?.status;
        if (next && next.state !== status.state) {
          status = next;
          stream.send('status', JSON.stringify(status));
        }
      }
      finish();
    })();
    return RESPONSE_ALREADY_SENT;
  };
}
