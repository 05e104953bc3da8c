import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, maskCardNumbers } from '../../src/log/logger.js';
import { parseConfig } from '../../src/config/env.js';
import { closeAllRedis, openRedis } from '../helpers/redis.js';

afterAll(closeAllRedis);

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, log: createLogger({ debug: false, destination }) };
}

describe('logging', () => {
  it('writes JSON lines and redacts secrets even when a whole config is logged', () => {
    const { lines, log } = capture();
    const secret = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
    const config = parseConfig({ API_USERNAME: 'shop', API_PASSWORD: 'hunter2-password', SANDBOX: 'true', WEBHOOK_SECRET: secret, APP_HASH: '0123456789abcdef0123456789abcdef' });
    log.info({ config }, 'starting');
    log.info({ apiPassword: 'hunter2-password', session: '1BQANOTAREALSESSION' }, 'flat');
    const out = lines.join('');
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'starting', level: 'info' });
    expect(out).not.toContain('hunter2-password');
    expect(out).not.toContain(secret);
    expect(out).not.toContain('0123456789abcdef0123456789abcdef');
    expect(out).not.toContain('1BQANOTAREALSESSION');
    expect(out).toContain('[redacted]');
  });

  it("logs a Redis error without the command's arguments (issue #15 item 6: a whole batch's metadata)", async () => {
    const { lines, log } = capture();
    const redis = await openRedis();
    const err = await redis.eval("return redis.error_reply('ERR refused')", 0, '{"customer":"meta-secret-7"}').catch((e: unknown) => e);
    expect(JSON.stringify((err as { command?: unknown }).command)).toContain('meta-secret-7'); // ioredis keeps them on the error
    log.error({ err }, 'request failed');
    expect(lines.join('')).toContain('ERR refused');
    expect(lines.join('')).not.toContain('meta-secret-7');
  });

  it("cuts the arguments Redis quotes in an unknown-command error (Lua source, metadata)", async () => {
    const { lines, log } = capture();
    const redis = await openRedis();
    const err = await redis.call('NOSUCHCOMMAND', '--[[ Reserve unique amounts', '{"customer":"meta-secret-8"}').catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/with args beginning with: .*meta-secret-8/); // Redis quotes them
    log.error({ err }, 'request failed');
    const out = lines.join('');
    expect(out).toContain("ERR unknown command 'NOSUCHCOMMAND', with args beginning with: (not logged)");
    expect(out).not.toContain('meta-secret-8');
    expect(out).not.toContain('Reserve unique amounts');
  });

  it('masks full card numbers down to the last four', () => {
    expect(maskCardNumbers('card 8600123456784411 paid')).toBe('card 860012******4411 paid');
    expect(maskCardNumbers('*7159 and 561468******4862')).toBe('*7159 and 561468******4862');
    expect(maskCardNumbers('from 8600 1234 5678 4411 and 9860-1701-2345-6789')).toBe('from 860012******4411 and 986017******6789');
    expect(maskCardNumbers('8600 12** **** 4411 · ➕ 1 010 000.00 UZS · 50.000,00')).toBe('860012******4411 · ➕ 1 010 000.00 UZS · 50.000,00');
    // Written in groups, as people and banks write them (issue 18 part 5); 13-19 digits.
    expect(maskCardNumbers('card 8600 1234 5678 4411 paid')).toBe('card 860012******4411 paid');
    expect(maskCardNumbers('8600-1234-5678-4411, 9860  1000  0002  7159')).toBe('860012******4411, 986010******7159');
    expect(maskCardNumbers('4000 1234 5678 9010 123')).toBe('400012******0123');
    expect(maskCardNumbers('group -1001234567890')).toBe('group -1001234567890');
    expect(maskCardNumbers('+998 90 123 45 67 at 2026-11-22 10:30, 20 001 000 so\'m')).toBe('+998 90 123 45 67 at 2026-11-22 10:30, 20 001 000 so\'m');
  });
});
