// Child side of (f): holds N pay-page streams open in its own process, so the daemon's memory
// and event loop are measured alone, and reports when each stream saw its update.
import { serveRpc } from './ipc.js';
import { openSse, type SseClient } from './sse-client.js';

let streams: { id: string; client: SseClient }[] = [];

serveRpc({
  async open(arg: { baseUrl: string; ids: string[]; timeoutMs: number }) {
    streams = arg.ids.map((id) => ({ id, client: openSse(`${arg.baseUrl}/pay/${id}/events`) }));
    const statuses = await Promise.all(streams.map((s) => s.client.status));
    const refused = statuses.filter((s) => s !== 200).length;
    await Promise.all(streams.map((s) => s.client.waitForEvents(1, arg.timeoutMs)));
    return { opened: streams.length - refused, refused };
  },
  async updates(arg: { timeoutMs: number }) {
    await Promise.all(streams.map((s) => s.client.waitForEvents(2, arg.timeoutMs)));
    const wrong = streams.filter((s) => s.client.events.some((e) => !e.data.includes(s.id))).length;
    return { receivedAt: streams.map((s) => (s.client.events[1] as { at: number }).at), wrong };
  },
  async close() {
    streams.forEach((s) => s.client.close());
    streams = [];
    return null;
  },
});
