// Pipelined bytes after a request that asked for `Connection: close` (issue #15 item 7): the
// client must get the answer to the request that ran, never a lone 400 for what followed it.
import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { AUTH, startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis } from '../helpers/redis.js';

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

/** Sends raw bytes and collects everything until the server closes the connection. */
function raw(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    sock.write(data);
  });
}

function createRequest(body: string, extra = ''): string {
  return (
    'POST /create/transaction/ HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
    `Authorization: ${AUTH}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`
  );
}

describe('pipelined data after Connection: close', () => {
  it('answers the request it executed and ignores what follows (garbage or a second request)', async () => {
    const d = await startTestDaemon();
    for (const tail of ['GARBAGE \x00\x01 not http\r\n\r\n', createRequest('{"amount": 9000}')]) {
      const reply = await raw(d.port, createRequest('{"amount": 7000}', 'Connection: close\r\n') + tail);
      const statuses = [...reply.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
      expect(statuses).toEqual([200]);
      expect(reply).toMatch(/"status":true,"data":\{"amount":700[01]/);
    }
    // Nothing after a Connection: close request ran: no 9000 so'm transaction exists.
    const taken = await d.ctx.redis.zrange(d.ctx.keys.amounts('_'), 0, -1);
    expect(taken.sort()).toEqual(['700000', '700100']);
  });
});
