// The demo's stand-in for a merchant backend: receives webhooks on 127.0.0.1 and verifies
// their signatures with the standardwebhooks package, exactly as a merchant would. Its URL also
// carries a password and a token, as many merchants' do: paycue sends the password as Basic
// auth and never shows either (the demo's log is checked for that).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  id: string;
  payload: Record<string, unknown>;
}

export interface DemoReceiver {
  /** With its secrets: what WEBHOOK_URL is set to. */
  url: string;
  /** Without them: what the demo prints. */
  shown: string;
  next(timeoutMs: number): Promise<ReceivedWebhook>;
  close(): Promise<void>;
}

export async function startDemoReceiver(secret: string): Promise<DemoReceiver> {
  const verifier = new Webhook(secret);
  const queue: ReceivedWebhook[] = [];
  const waiting: ((w: ReceivedWebhook) => void)[] = [];
  const seen = new Set<string>();
  const password = randomBytes(9).toString('hex');
  const token = randomBytes(9).toString('hex');
  const auth = `Basic ${Buffer.from(`paycue:${password}`).toString('base64')}`;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.headers.authorization !== auth || !req.url?.endsWith(`?token=${token}`)) {
        res.writeHead(403).end('{"ok": false}');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      };
      let payload: Record<string, unknown>;
      try {
        payload = verifier.verify(body, headers) as Record<string, unknown>;
      } catch {
        res.writeHead(401).end('{"ok": false}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok": true}');
      if (seen.has(headers['webhook-id'])) return; // a redelivery: already handled
      seen.add(headers['webhook-id']);
      const w = { id: headers['webhook-id'], payload };
      const waiter = waiting.shift();
      if (waiter) waiter(w);
      else queue.push(w);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://paycue:${password}@127.0.0.1:${port}/paycue-webhook?token=${token}`,
    shown: `http://127.0.0.1:${port}/paycue-webhook (its WEBHOOK_URL also holds a password and a token, which paycue never shows)`,
    next(timeoutMs) {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no webhook within ${timeoutMs / 1000} s`)), timeoutMs);
        waiting.push((w) => {
          clearTimeout(t);
          resolve(w);
        });
      });
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
