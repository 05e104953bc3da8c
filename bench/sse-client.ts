// A minimal Server-Sent Events client on node:http, one socket per stream, for the fan-out
// test and benchmark (many streams at once, each event parsed and kept).
import { get, type IncomingMessage } from 'node:http';

export interface SseEvent {
  event: string;
  data: string;
  at: number;
}

export interface SseClient {
  /** Resolves with the HTTP status once headers arrive. */
  status: Promise<number>;
  events: SseEvent[];
  /** Resolves when the server ends the stream (or it fails). */
  ended: Promise<void>;
  waitForEvents(n: number, timeoutMs: number): Promise<SseEvent[]>;
  close(): void;
}

export function openSse(url: string): SseClient {
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let endedResolve!: () => void;
  const ended = new Promise<void>((r) => (endedResolve = r));
  let res: IncomingMessage | undefined;
  const status = new Promise<number>((resolve, reject) => {
    const req = get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (r) => {
      res = r;
      resolve(r.statusCode ?? 0);
      r.setEncoding('utf8');
      let buf = '';
      r.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) !== -1) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          if (data.length > 0) events.push({ event, data: data.join('\n'), at: Date.now() });
        }
        waiters.forEach((w) => w());
      });
      r.on('end', endedResolve);
      r.on('close', endedResolve);
      r.on('error', endedResolve);
    });
    req.on('error', (err) => {
      reject(err);
      endedResolve();
    });
  });
  return {
    status,
    events,
    ended,
    waitForEvents(n, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (events.length >= n) {
            waiters.delete(check);
            clearTimeout(t);
            resolve(events);
          }
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`got ${events.length} of ${n} events in ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      res?.destroy();
    },
  };
}
