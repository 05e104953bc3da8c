// A real GramJS client against local servers that never behave like Telegram: connect() must be
// bounded, and once paycue gives up, GramJS must stop dialling and hold no socket open (else
// the process would not exit, or would keep connecting after "could not start").
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { PromisedNetSockets } from 'telegram/extensions/index.js';
import { StringSession } from 'telegram/sessions/index.js';
import { connectWithTimeout, createTelegramClient } from '../../src/telegram/client-factory.js';
import { TimeoutError } from '../../src/telegram/errors.js';
import { sleep } from '../helpers/wait.js';
import { captureLog } from './helpers.js';

const servers: Server[] = [];
const accepted: Socket[] = [];
afterEach(async () => {
  for (const s of accepted.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** GramJS always dials port 80 of the session's DC; this socket class sends it to `port` on loopback instead. */
function redirectTo(port: number, counter: { attempts: number }) {
  return class extends PromisedNetSockets {
    override connect(_port: number, _ip: string) {
      counter.attempts++;
      return super.connect(port, '127.0.0.1');
    }
  };
}

async function listen(onSocket: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    accepted.push(s);
    s.resume(); // read what GramJS sends (and see its FIN), answer nothing
    onSocket(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

function daemonClient(port: number, counter: { attempts: number }) {
  const session = new StringSession('');
  session.setDC(2, '127.0.0.1', 80);
  const client = createTelegramClient({ appId: 1, appHash: 'f'.repeat(32), session, log: captureLog().log, purpose: 'daemon' });
  client.networkSocket = redirectTo(port, counter) as unknown as typeof client.networkSocket;
  return client;
}

describe('connect() with no usable Telegram', () => {
  it('a server that accepts but never answers: timeout, then the socket is closed and no redial happens', async () => {
    const open = new Set<Socket>();
    const { port } = await listen((s) => {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    });
    const counter = { attempts: 0 };
    const client = daemonClient(port, counter);
    const t0 = Date.now();
    await expect(connectWithTimeout(client, 400)).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(counter.attempts).toBe(1);
    await client.destroy();
    // Only a wait can show that no retry comes: GramJS would retry after 1 s (connectionRetries is
    // Infinity in the daemon); 2.5 s leaves room for two.
    await sleep(2500);
    expect(open.size).toBe(0);
    expect(counter.attempts).toBe(1);
  }, 10_000);

  it('connection refused over and over: bounded, and the retry loop stops once we give up', async () => {
    const { server, port } = await listen(() => undefined);
    await new Promise((r) => server.close(r)); // nothing listens there any more
    const counter = { attempts: 0 };
    const client = daemonClient(port, counter);
    await expect(connectWithTimeout(client, 1500)).rejects.toBeInstanceOf(TimeoutError);
    const attempts = counter.attempts;
    expect(attempts).toBeGreaterThanOrEqual(1);
    await client.destroy();
    // Only a wait can show that the loop stopped: with GramJS's 1 s retry delay, 2.5 s would see
    // two more attempts, more than the one already under way that the check allows.
    await sleep(2500);
    expect(counter.attempts).toBeLessThanOrEqual(attempts + 1); // at most the attempt already under way
  }, 10_000);
});
