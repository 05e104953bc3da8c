// The terminal prompt, the GramJS→pino logger, and a real GramJS client with no reachable server.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PassThrough } from 'node:stream';
import { Api } from 'telegram';
import { StringSession } from 'telegram/sessions/index.js';
import { RPCError } from 'telegram/errors/index.js';
import { createTerminalPrompt } from '../../src/telegram/prompt.js';
import { PinoGramLogger } from '../../src/telegram/gramjs-logger.js';
import { createTelegramClient } from '../../src/telegram/client-factory.js';
import { runTelegramLogin } from '../../src/cli/telegram-commands.js';
import { floodWaitSeconds, formatWait, isSessionRevoked } from '../../src/telegram/errors.js';
import { captureLog, removeTempDirs, scriptedIO, tempDir, testConfig } from './helpers.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await removeTempDirs();
});

function terminal() {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (c: Buffer) => (shown += c.toString()));
  const io = createTerminalPrompt({ input, output, errorOutput: new PassThrough(), terminal: true });
  return { io, input, shown: () => shown };
}

describe('terminal prompt', () => {
  it('echoes normal answers but not hidden ones', async () => {
    const t = terminal();
    const a = t.io.ask('Phone: ');
    t.input.write('+998901234567\r');
    expect(await a).toBe('+998901234567');
    const p = t.io.askHidden('Password: ');
    t.input.write('hunter2-secret\r');
    expect(await p).toBe('hunter2-secret');
    t.io.close();
    expect(t.shown()).toContain('Phone: ');
    expect(t.shown()).toContain('+998901234567');
    expect(t.shown()).toContain('Password: ');
    expect(t.shown()).not.toContain('hunter2');
  });

  it('Ctrl+C tells the listeners (a QR login waiting without a question) and ends the prompt', async () => {
    const t = terminal();
    let interrupted = 0;
    t.io.onInterrupt!(() => interrupted++);
    t.input.write('\x03');
    expect(interrupted).toBe(1);
    await expect(t.io.ask('Phone: ')).rejects.toThrow(/input closed/);
  });

  it('reads several piped lines in order and rejects once input ends', async () => {
    const input = new PassThrough();
    const io = createTerminalPrompt({ input, output: new PassThrough(), errorOutput: new PassThrough(), terminal: false });
    input.end('one\ntwo\n');
    expect(await io.ask('1? ')).toBe('one');
    expect(await io.askHidden('2? ')).toBe('two');
    await expect(io.ask('3? ')).rejects.toThrow(/input closed/);
  });
});

describe('GramJS logging', () => {
  it('forwards GramJS lines to pino one level lower and never writes to the console', async () => {
    const cap = captureLog();
    const spies = [vi.spyOn(console, 'log'), vi.spyOn(console, 'error'), vi.spyOn(console, 'warn')];
    const gram = new PinoGramLogger(cap.log);
    gram.error('WebSocket connection failed attempt: 1');
    gram.warn('Disconnecting...');
    gram.info('Connecting to 149.154.167.51:80/TCPFull...');
    gram.debug('Send updates.GetState');
    expect(gram.canSend('error' as never)).toBe(false);
    const lines = cap.lines.map((l) => JSON.parse(l) as { level: string; msg: string; component: string });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'WebSocket connection failed attempt: 1'],
      // The same connection state again: rate-limited down to trace (test/log/log-format.test.ts).
      ['trace', 'Disconnecting...'],
      ['debug', 'Connecting to 149.154.167.51:80/TCPFull...'],
      ['trace', 'Send updates.GetState'],
    ]);
    expect(lines.every((l) => l.component === 'gramjs')).toBe(true);
    for (const s of spies) expect(s).not.toHaveBeenCalled();
  });

  it('the very first GramJS line (constructor) already goes to pino', () => {
    const cap = captureLog();
    const spy = vi.spyOn(console, 'log');
    createTelegramClient({ appId: 1, appHash: 'x', session: '', log: cap.log, purpose: 'daemon' });
    expect(cap.text()).toMatch(/Running gramJS version 2\.26\./);
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('errors', () => {
  it('classifies flood waits and revoked sessions', () => {
    const req = new Api.updates.GetState();
    expect(floodWaitSeconds(new RPCError('FLOOD_WAIT_42', req, 420))).toBe(42);
    expect(floodWaitSeconds(new RPCError('PHONE_CODE_INVALID', req, 400))).toBeNull();
    expect(isSessionRevoked(new RPCError('SESSION_REVOKED', req, 401))).toBe(true);
    expect(isSessionRevoked(new RPCError('FLOOD_WAIT_1', req, 420))).toBe(false);
    expect([formatWait(45), formatWait(125), formatWait(3600), formatWait(86_399)]).toEqual(['45 s', '2 min 5 s', '1 h', '23 h 59 min']);
  });
});

describe('a real GramJS client with no reachable Telegram', () => {
  it('login fails with a clear message within the time bound and prints nothing raw', async () => {
    const cap = captureLog();
    const spies = [vi.spyOn(console, 'log'), vi.spyOn(console, 'error')];
    // Port 80 on a loopback address nobody listens on: connection refused, no traffic leaves the machine.
    const session = new StringSession('');
    session.setDC(2, '127.0.0.7', 80);
    const config = testConfig({ SESSION_DIR: await tempDir(), TG_PHONE: '+998901234567' });
    const io = scriptedIO(['', '12345']);
    const t0 = Date.now();
    const code = await runTelegramLogin(config, io, {
      createClient: () => createTelegramClient({ appId: 12345, appHash: 'x'.repeat(32), session, log: cap.log, purpose: 'cli' }),
      connectTimeoutMs: 5000,
      redis: null,
    });
    expect(code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(io.errors.join('\n')).toMatch(/Cannot reach Telegram/);
    expect(io.questions).toEqual([]); // never got as far as asking for the phone
    for (const s of spies) expect(s).not.toHaveBeenCalled();
  }, 15_000);
});
