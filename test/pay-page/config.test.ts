// The pay page's settings: defaults, and bad values stop start-up naming the variable.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/env.js';
import { runChild } from '../helpers/child.js';

const base = { API_USERNAME: 'shop', API_PASSWORD: 'pw', SANDBOX: 'true' };

function problems(env: Record<string, string>): Record<string, string> {
  try {
    parseConfig({ ...base, ...env });
  } catch (e) {
    if (e instanceof ConfigError) return Object.fromEntries(e.problems.map((p) => [p.variable, p.message]));
    throw e;
  }
  return {};
}

describe('pay page settings', () => {
  it('defaults: no PUBLIC_URL, 2000 streams, 120 requests a minute, proxy not trusted, 20 s heartbeat', () => {
    expect(parseConfig(base)).toMatchObject({ payStreamsMax: 2000, payRateLimit: 120, trustProxy: false, payHeartbeatMs: 20_000 });
    expect(parseConfig(base).publicUrl).toBeUndefined();
  });

  it('PUBLIC_URL loses its trailing slash', () => {
    expect(parseConfig({ ...base, PUBLIC_URL: 'https://pay.example.uz/' }).publicUrl).toBe('https://pay.example.uz');
  });

  it('names every bad pay page variable', () => {
    expect(problems({ PUBLIC_URL: 'ftp://pay.example.uz', PAY_STREAMS_MAX: 'many', PAY_RATE_LIMIT: '-1', TRUST_PROXY: 'maybe', PAY_HEARTBEAT: '10ms' })).toEqual({
      PUBLIC_URL: 'must be an http:// or https:// URL, got "ftp:"',
      PAY_STREAMS_MAX: 'expected a whole number, got "many"',
      PAY_RATE_LIMIT: 'expected a whole number, got "-1"',
      TRUST_PROXY: 'expected true or false, got "maybe"',
      PAY_HEARTBEAT: 'expected a duration like 500ms, 90s, 30m or 1h, got "10ms"',
    });
  });

  it('the daemon refuses to start on one, exit 2', async () => {
    const c = runChild([], { ...base, PUBLIC_URL: 'pay.example.uz' });
    expect(await c.exited).toBe(2);
    expect(c.output()).toMatch(/PUBLIC_URL: not a valid URL/);
  });
});
