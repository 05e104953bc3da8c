import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskCardNumbers } from '../../src/log/logger.js';
import { parseConfig } from '../../src/config/env.js';

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
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'starting', level: 30 });
    expect(out).not.toContain('hunter2-password');
    expect(out).not.toContain(secret);
    expect(out).not.toContain('0123456789abcdef0123456789abcdef');
    expect(out).not.toContain('1BQANOTAREALSESSION');
    expect(out).toContain('[redacted]');
  });

  it('masks full card numbers down to the last four', () => {
    expect(maskCardNumbers('card 8600123456784411 paid')).toBe('card 860012******4411 paid');
    expect(maskCardNumbers('*7159 and 561468******4862')).toBe('*7159 and 561468******4862');
  });
});
