// A failed script call is logged with the script's name, the error and what it was about (the
// transaction or credit id) — never the Lua source or the arguments (issue #13 item 6).
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

describe('script failures in the log', () => {
  it('a failing cancel names the script and the transaction', async () => {
    const lines: string[] = [];
    const log = createLogger({
      format: 'json', level: 'info',
      destination: new Writable({ write(chunk: Buffer, _e, done) { lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)); done(); } }),
    });
    const d = await startTestDaemon({}, { log });
    const tx = (await d.call('/create/transaction/', { body: { amount: 7100, metadata: { note: 'meta-in-args' } } })).body.data;
    // A wrong-typed key under the prefix makes the cancel script fail, on purpose.
    await d.ctx.redis.set(d.ctx.keys.txState('cancelled'), 'not a sorted set');
    const r = await d.call(`/transaction/${tx.transaction_id}/cancel`, { method: 'POST' });
    await d.ctx.redis.del(d.ctx.keys.txState('cancelled'));
    expect(r.status).toBe(500);
    const line = lines.map((l) => JSON.parse(l) as { msg: string; err?: Record<string, unknown> }).find((l) => l.err && /WRONGTYPE/.test(String(l.err.message)));
    expect(line?.err).toMatchObject({ script: 'cancel', transaction_id: tx.transaction_id });
    expect(lines.join('\n')).not.toContain('meta-in-args');
  });
});
