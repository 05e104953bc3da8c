// (f) The pay page: render time and size, and SSE fan-out: N customers waiting on N
// transactions, all confirmed at once; how long until every stream has its update, and the
// daemon's memory per open stream. Streams are held by a child process.
import v8 from 'node:v8';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import { parseConfig } from '../src/config/env.js';
import { startDaemon } from '../src/daemon/daemon.js';
import { createLogger } from '../src/log/logger.js';
import { startLocalRedis } from '../src/dev/local-redis.js';
import { createTransaction } from '../src/transactions/create.js';
import { addCard } from '../src/cards/registry.js';
import { newCardSchema } from '../src/cards/card.js';
import { readPayStatus } from '../src/pay-page/status.js';
import { renderPayPage } from '../src/pay-page/render.js';
import { qrSvg } from '../src/pay-page/qr.js';
import { forkRpc } from './ipc.js';
import { summarize } from './stats.js';

export interface PayPageResult {
  render: { inProcessUs: number; httpP50Ms: number; httpP99Ms: number; bytes: number; gzipBytes: number; samples: number };
  fanout: {
    streams: number;
    confirmSpanMs: number;
    allUpdatedMs: number;
    perClientMs: { p50: number; p99: number };
    wrongUpdates: number;
    heapBytesPerStream: number;
    rssBytesPerStream: number;
    redisConnections: number;
  };
}

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
};

export async function benchPayPage(say: (l: string) => void, cleanup: (stop: () => Promise<void>) => void, n = 1000): Promise<PayPageResult> {
  const redis = await startLocalRedis({ say });
  cleanup(() => redis.stop());
  const config = parseConfig({
    API_USERNAME: 'bench', API_PASSWORD: 'bench', SANDBOX: 'true', REDIS_URL: redis.url, REDIS_PREFIX: 'paycue-bench-page',
    HOST: '127.0.0.1', PORT: '0', LIMIT: String(n + 100), TRANSACTION_TTL: '1h', PAY_STREAMS_MAX: String(n * 2), PAY_RATE_LIMIT: '0',
  });
  const daemon = await startDaemon(config, createLogger({ debug: false, level: 'silent' }));
  cleanup(() => daemon.stop(3000));
  const base = `http://127.0.0.1:${daemon.port}`;
  const ctx = daemon.ctx;
  await addCard(ctx, newCardSchema.parse({ number: '9860100000027159', holder: 'ALISHER KARIMOV', label: 'main', links: [{ title: 'Click', url: 'https://my.click.uz/services/pay?service_id=1&amount={amount}' }] }));
  await daemon.cards.refresh(); // as the registry's pub/sub ping would

  // Render: in process (status → HTML), then over HTTP (Redis read + render + send).
  const one = await createTransaction(ctx, { amountSom: 20_000 });
  if (one.kind !== 'created') throw new Error(`create returned ${one.kind}`);
  const loaded = await readPayStatus(ctx.commands, one.tx.id, ctx.rules.step, Date.now());
  if (!loaded) throw new Error('created transaction not readable');
  const svg = await qrSvg(loaded.status.card.links[0]?.url ?? '');
  const opts = { lang: 'uz' as const, sandbox: false, path: `/pay/${one.tx.id}`, qrSvg: svg };
  for (let i = 0; i < 200; i++) renderPayPage(loaded.status, opts);
  const R = 2000;
  const t0 = performance.now();
  for (let i = 0; i < R; i++) renderPayPage(loaded.status, opts);
  const inProcessUs = ((performance.now() - t0) * 1000) / R;
  const times: number[] = [];
  let html = '';
  for (let i = 0; i < 600; i++) {
    const s = performance.now();
    html = await (await fetch(`${base}/pay/${one.tx.id}`)).text();
    if (i >= 100) times.push(performance.now() - s);
  }
  const http = summarize(times);
  const render = {
    inProcessUs,
    httpP50Ms: http.p50,
    httpP99Ms: http.p99,
    bytes: Buffer.byteLength(html),
    gzipBytes: gzipSync(html).length,
    samples: times.length,
  };
  say(`    page: ${render.inProcessUs.toFixed(0)} µs to render, HTTP p50 ${render.httpP50Ms.toFixed(2)} ms, ${render.bytes} B (${render.gzipBytes} B gzipped)`);

  // Fan-out.
  const txs: { id: string; tiyin: number }[] = [];
  for (let i = 0; i < n; i++) {
    const r = await createTransaction(ctx, { amountSom: 50_000 + (i % 10) * 1000 });
    if (r.kind !== 'created') throw new Error(`create returned ${r.kind}`);
    txs.push({ id: r.tx.id, tiyin: r.tx.amountTiyin });
  }
  const child = await forkRpc('./sse-fanout-client.js');
  cleanup(() => child.close());
  await settle();
  const before = process.memoryUsage();
  const opened = await child.call<{ opened: number; refused: number }>('open', { baseUrl: base, ids: txs.map((t) => t.id), timeoutMs: 60_000 }, 90_000);
  if (opened.refused > 0) throw new Error(`${opened.refused} streams refused`);
  await settle();
  const after = process.memoryUsage();
  const clients = String(await ctx.redis.client('LIST')).trim().split('\n').length;

  const start = Date.now();
  const confirmedAt: number[] = [];
  await Promise.all(
    txs.map(async (t, i) => {
      const out = await daemon.processor.processCredit({ amountTiyin: t.tiyin, last4: '7159', bot: 'sandbox' }, `bench:${t.id}`);
      if (!out.matched) throw new Error(`credit for ${t.id} did not match: ${JSON.stringify(out)}`);
      confirmedAt[i] = Date.now();
    }),
  );
  const confirmSpanMs = Date.now() - start;
  const got = await child.call<{ receivedAt: number[]; wrong: number }>('updates', { timeoutMs: 60_000 }, 90_000);
  await child.call('close', null, 10_000);
  const lags = summarize(got.receivedAt.map((at, i) => at - (confirmedAt[i] as number)));
  const fanout = {
    streams: opened.opened,
    confirmSpanMs,
    allUpdatedMs: Math.max(...got.receivedAt) - start,
    perClientMs: { p50: lags.p50, p99: lags.p99 },
    wrongUpdates: got.wrong,
    heapBytesPerStream: Math.round((after.heapUsed + after.external - before.heapUsed - before.external) / n),
    rssBytesPerStream: Math.round((after.rss - before.rss) / n),
    redisConnections: clients,
  };
  say(
    `    fan-out: ${n} streams all updated ${fanout.allUpdatedMs} ms after the confirms began (confirming took ${confirmSpanMs} ms); ` +
      `per client p50 ${fanout.perClientMs.p50} ms, p99 ${fanout.perClientMs.p99} ms; ${fanout.heapBytesPerStream} B heap, ${fanout.rssBytesPerStream} B RSS per stream; ${clients} Redis connections in all`,
  );
  return { render, fanout };
}
