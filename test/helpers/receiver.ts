// A real merchant webhook receiver on 127.0.0.1 that records every request.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  json: any;
  at: number;
}

/** `until`: answer only once it settles (a test holds an attempt open until it saw something). */
export type Responder = (req: Received, n: number) => { status: number; body?: string; headers?: Record<string, string>; delayMs?: number; until?: Promise<unknown> };

export const OK: Responder = () => ({ status: 200, body: '{"ok": true}' });

export interface Receiver {
  url: string;
  received: Received[];
  respond: Responder;
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(respond: Responder = OK): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  const r: Receiver = {
    url: '',
    received,
    respond,
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`receiver got ${received.length} of ${count} webhooks in ${timeoutMs} ms`);
        await new Promise<void>((res) => {
          waiters.push(res);
          setTimeout(res, 100);
        });
      }
      return received;
    },
    close: () => new Promise((res) => {
      server.closeAllConnections();
      server.close(() => res());
    }),
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        /* keep null */
      }
      const rec: Received = { headers: req.headers, body, json, at: Date.now() };
      received.push(rec);
      const out = r.respond(rec, received.length);
      const send = () => {
        res.writeHead(out.status, { 'content-type': 'application/json', ...(out.headers ?? {}) });
        res.end(out.body ?? '');
        waiters.splice(0).forEach((w) => w());
      };
      if (out.until) void out.until.then(send, send);
      else if (out.delayMs) setTimeout(send, out.delayMs);
      else send();
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return r;
}
