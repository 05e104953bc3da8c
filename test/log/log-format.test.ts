import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestDaemon, stopTestDaemons } from '../helpers/daemon.js';
import { closeAllRedis, redisUrl } from '../helpers/redis.js';
import { createLogger } from '../../src/log/logger.js';
import { ConfigError, parseOperatorConfig } from '../../src/config/env.js';
import { logSettings } from '../../src/daemon/rules.js';
import { PinoGramLogger } from '../../src/telegram/gramjs-logger.js';

function capture(opts: { level?: string; journald?: boolean } = {}) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter((l) => l !== ''));
      cb();
    },
  });
  return { lines, log: createLogger({ format: 'json', destination, ...opts }) };
}

afterAll(async () => {
  await stopTestDaemons();
  await closeAllRedis();
});

describe('log format', () => {
  it('the start-up line names version, Redis address and prefix, webhook origin, signing and TTL — no secrets', async () => {
    const { lines, log } = capture();
    const secret = 'whsec_' + Buffer.alloc(24, 3).toString('base64');
    const d = await startTestDaemon(
      { WEBHOOK_URL: 'https://user:hook-pw@shop.example/hook?token=tok-1', WEBHOOK_SECRET: secret, TRANSACTION_TTL: '15m' },
      { log },
    );
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'paycue is running');
    expect(line).toMatchObject({
      level: 'info', version: expect.stringMatching(/^\d+\.\d+\.\d+/), redis: new URL(redisUrl()).host, prefix: d.config.redisPrefix,
      webhook: 'https://shop.example/hook', signed: true, ttl: '15m',
    });
    expect(lines.join('\n')).not.toMatch(/hook-pw|tok-1|whsec_/);
  });

  it('names levels instead of numbers', () => {
    const { lines, log } = capture();
    log.warn('careful');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', msg: 'careful' });
  });

  it('under journald prefixes each line with its syslog priority, so journalctl -p warning finds warnings', () => {
    const { lines, log } = capture({ journald: true, level: 'debug' });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    expect(lines.map((l) => l.slice(0, 3))).toEqual(['<7>', '<6>', '<4>', '<3>', '<2>']);
    expect(JSON.parse(lines[2]!.slice(3))).toMatchObject({ level: 'warn', msg: 'w' });
  });

  it('LOG_LEVEL and LOG_FORMAT are separate from DEBUG, and a bad value names the variable', () => {
    expect(logSettings(parseOperatorConfig({}))).toEqual({ level: 'info', format: 'json' });
    expect(logSettings(parseOperatorConfig({ DEBUG: 'true' }))).toEqual({ level: 'debug', format: 'pretty' });
    expect(logSettings(parseOperatorConfig({ DEBUG: 'true', LOG_FORMAT: 'JSON', LOG_LEVEL: 'warn' }))).toEqual({ level: 'warn', format: 'json' });
    let err: unknown;
    try {
      parseOperatorConfig({ LOG_LEVEL: 'loud', LOG_FORMAT: 'xml' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.variable)).toEqual(['LOG_LEVEL', 'LOG_FORMAT']);
  });

  it("rate-limits GramJS's reconnect chatter to one line per state change", () => {
    const { lines, log } = capture();
    const gram = new PinoGramLogger(log);
    for (let i = 0; i < 5; i++) {
      gram.warn('Connection closed while receiving data');
      gram.info('Started reconnecting');
      gram.warn('[Reconnect] Closing current connection...');
      gram.error('connect ECONNREFUSED 149.154.167.91:80');
    }
    gram.info('Connection to 149.154.167.91:80/TCPFull complete!');
    gram.warn('Connection closed while receiving data');
    const shown = lines.map((l) => JSON.parse(l) as { msg: string; level: string; repeated_lines?: number });
    expect(shown.map((l) => l.msg)).toEqual([
      'Connection closed while receiving data',
      'Connection to 149.154.167.91:80/TCPFull complete!',
      'Connection closed while receiving data',
    ]);
    expect(shown[1]).toMatchObject({ level: 'info' });
    expect(shown[1]!.repeated_lines).toBe(19);
  });
});
