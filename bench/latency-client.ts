// Child process for (c): a merchant's webhook receiver plus the "bank" that posts sandbox
// credits. Both sides' timestamps come from this one process's clock, and none of this
// work runs on the daemon's event loop. Started by latency.ts; never run directly.
import { Agent, createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { humoCreditMessage } from '../src/bot-messages/compose.js';
import { serveRpc } from './ipc.js';
import { Samples, summarize, type LatencySummary } from './stats.js';

export interface LatencySpec {
  baseUrl: string;
  authorization: string;
  last4: string;
  /** First so'm amount; every sample uses a new one so no quarantine or offset interferes. */
  startAmount: number;
  sampleTimeoutMs: number;
}

export interface LatencyPhase {
  /** POST /sandbox/credit sent → confirm webhook fully received by the merchant. */
  webhookMs: LatencySummary;
  /** POST /sandbox/credit sent → its HTTP response received (the credit is applied by then). */
  creditResponseMs: LatencySummary;
  wallSec: number;
  failures: number;
  firstFailure?: string;
}

export interface LatencyCounters {
  webhooksReceived: number;
  unexpectedWebhooks: number;
}


const waiters = new Map<string, (at: number) => void>();
let webhooksReceived = 0;
let unexpected = 0;

const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = performance.now();
    webhooksReceived++;
    let id = '';
    try {
      const payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { action?: string; transaction_id?: string };
      if (payload.action === 'confirm' && typeof payload.transaction_id === 'string') id = payload.transaction_id;
    } catch {
      /* not JSON: counted as unexpected below */
    }
    const waiter = waiters.get(id);
    if (waiter) {
      waiters.delete(id);
      waiter(at);
    } else {
      unexpected++;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok": true}');
  });
});

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function post(base: string, path: string, authorization: string, body: unknown): Promise<{ status: number; json: any }> {
  const payload = Buffer.from(JSON.stringify(body));
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json', 'content-length': payload.length },
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = null;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function sample(spec: LatencySpec, amount: number): Promise<{ webhookMs: number; creditResponseMs: number }> {
  const created = await post(spec.baseUrl, '/create/transaction/', spec.authorization, { amount, card: spec.last4 });
  if (created.status !== 200) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.json)}`);
  const { transaction_id: id, amount_tiyin: tiyin } = created.json.data as { transaction_id: string; amount_tiyin: number };

  let timer: NodeJS.Timeout | undefined;
  const arrived = new Promise<number>((resolve, reject) => {
    waiters.set(id, resolve);
    timer = setTimeout(() => {
      waiters.delete(id);
      reject(new Error(`no confirm webhook for ${id} within ${spec.sampleTimeoutMs} ms`));
    }, spec.sampleTimeoutMs);
  });
  arrived.catch(() => undefined); // observed below; avoid an unhandled rejection if the credit fails first
  try {
    const t0 = performance.now();
    const credit = await post(spec.baseUrl, '/sandbox/credit', spec.authorization, { text: humoCreditMessage(tiyin, spec.last4) });
    const t1 = performance.now();
    if (credit.status !== 200 || credit.json?.data?.matched !== true) {
      waiters.delete(id);
      throw new Error(`credit answered ${credit.status}: ${JSON.stringify(credit.json)}`);
    }
    const at = await arrived;
    return { webhookMs: at - t0, creditResponseMs: t1 - t0 };
  } finally {
    clearTimeout(timer);
  }
}

async function phase(spec: LatencySpec, next: () => number, total: number, concurrency: number): Promise<LatencyPhase> {
  const webhook = new Samples();
  const response = new Samples();
  let failures = 0;
  let firstFailure: string | undefined;
  let started = 0;
  const t0 = performance.now();
  const loop = async () => {
    while (started < total) {
      started++;
      try {
        const s = await sample(spec, next());
        webhook.push(s.webhookMs);
        response.push(s.creditResponseMs);
      } catch (err) {
        failures++;
        firstFailure ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return {
    webhookMs: summarize(webhook.values()),
    creditResponseMs: summarize(response.values()),
    wallSec: (performance.now() - t0) / 1000,
    failures,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

let nextAmount = 0;

/** One phase: `total` samples, `concurrency` of them in flight at a time. */
async function runPhase(arg: { spec: LatencySpec; total: number; concurrency: number }): Promise<LatencyPhase> {
  if (nextAmount === 0) nextAmount = arg.spec.startAmount;
  return phase(arg.spec, () => nextAmount++, arg.total, arg.concurrency);
}

async function counters(): Promise<LatencyCounters> {
  return { webhooksReceived, unexpectedWebhooks: unexpected };
}

receiver.listen(0, '127.0.0.1', () => {
  const port = (receiver.address() as AddressInfo).port;
  serveRpc({ runPhase, counters }, { url: `http://127.0.0.1:${port}/webhook` });
});
