import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { notifyWhenReady, sdNotify } from '../../src/ops/sd-notify.js';
import { createLogger } from '../../src/log/logger.js';
import { closeAllRedis, openRedis, redisUrl, uniquePrefix } from '../helpers/redis.js';
import { runChild } from '../helpers/child.js';
import { waitFor } from '../helpers/wait.js';

// A stand-in for systemd's notify socket: an AF_UNIX datagram socket (Node cannot bind one).
const canListen = spawnSync('sh', ['-c', 'command -v python3 && command -v systemd-notify']).status === 0;
const LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print('bound', flush=True)
while True:
    print(s.recv(4096).decode().replace('\\n', '|'), flush=True)
`;

afterAll(closeAllRedis);

const listeners: ChildProcess[] = [];
afterEach(() => {
  for (const l of listeners.splice(0)) l.kill();
});

async function notifySocket(): Promise<{ path: string; messages: string[] }> {
  const path = join(mkdtempSync(join(tmpdir(), 'paycue-notify-')), 'notify.sock');
  const proc = spawn('python3', ['-c', LISTENER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  listeners.push(proc);
  const lines: string[] = [];
  proc.stdout.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter((l) => l !== '')));
  await waitFor('the notify socket', async () => lines.includes('bound'));
  return { path, messages: lines };
}

describe('systemd readiness (sd_notify)', () => {
  it('does nothing outside systemd, and reports a missing systemd-notify', async () => {
    expect(await sdNotify({ ready: true, status: 'x' }, {})).toBe(false);
    expect(await sdNotify({ ready: true, status: 'x' }, { NOTIFY_SOCKET: '/nonexistent.sock' }, '/nonexistent/systemd-notify')).toBe(false);
  });

  it.runIf(canListen)('sends READY=1 with a status', async () => {
    const sock = await notifySocket();
    expect(await sdNotify({ ready: true, status: 'serving on port 1' }, { PATH: process.env.PATH, NOTIFY_SOCKET: sock.path })).toBe(true);
    await waitFor('READY', async () => sock.messages.length > 1);
    expect(sock.messages[1]).toBe('READY=1|STATUS=serving on port 1');
  });

  it.runIf(canListen)('the daemon says READY=1 once Redis answers, and STOPPING=1 on SIGTERM', async () => {
    const sock = await notifySocket();
    const c = runChild([], {
      SANDBOX: 'true', API_USERNAME: 'shop', API_PASSWORD: 'pw-123456', REDIS_URL: redisUrl(), REDIS_PREFIX: uniquePrefix(),
      HOST: '127.0.0.1', PORT: '0', NOTIFY_SOCKET: sock.path,
    });
    try {
      await waitFor('READY=1', async () => sock.messages.some((m) => m.startsWith('READY=1')));
      expect(sock.messages.find((m) => m.startsWith('READY=1'))).toMatch(/^READY=1\|STATUS=serving on port \d+$/);
      c.proc.kill('SIGTERM');
      expect(await c.exited).toBe(0);
      await waitFor('STOPPING=1', async () => sock.messages.includes('STOPPING=1'));
    } finally {
      c.proc.kill('SIGKILL');
    }
  });

  it.runIf(canListen)('waits for the Telegram watcher, and says nothing when the daemon gave up meanwhile', async () => {
    const sock = await notifySocket();
    const redis = await openRedis();
    const log = createLogger({ level: 'silent' });
    const env = { PATH: process.env.PATH, NOTIFY_SOCKET: sock.path };
    let failed = false;
    let watcherStarted!: () => void;
    const watcherReady = new Promise<void>((r) => (watcherStarted = r));
    const pending = notifyWhenReady({ redis, watcherReady, gaveUp: () => failed, status: 'a', log, env });
    failed = true; // the watcher failed: fatal, the process is exiting
    watcherStarted();
    expect(await pending).toBe(false);

    const ok = notifyWhenReady({ redis, watcherReady: Promise.resolve(), gaveUp: () => false, status: 'b', log, env });
    expect(await ok).toBe(true);
    await waitFor('READY', async () => sock.messages.length > 1);
    // systemd-notify follows with BARRIER=1, so systemd has read the message before it exits.
    expect(sock.messages.slice(1).filter((m) => m !== 'BARRIER=1')).toEqual(['READY=1|STATUS=b']);
  });
});
