// The CLI as operators use it: exit codes, help, version, refusing bad configuration.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runChild } from '../helpers/child.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('paycue command line', () => {
  it('--version and -v print the version and exit 0', async () => {
    for (const flag of ['--version', '-v']) {
      const c = runChild([flag], {});
      expect(await c.exited).toBe(0);
      expect(c.output().trim()).toBe(version);
    }
  });

  it('--help lists the commands and exits 0', async () => {
    const c = runChild(['-h'], {});
    expect(await c.exited).toBe(0);
    for (const word of ['--telegram', 'parse', 'demo', 'webhooks', 'credits', 'telegram']) expect(c.output()).toContain(word);
  });

  it('an unknown option or command is a usage error: exit 2 with a message', async () => {
    const a = runChild(['--frobnicate'], {});
    expect(await a.exited).toBe(2);
    expect(a.output()).toMatch(/unknown option '--frobnicate'/);
    const b = runChild(['frobnicate'], {});
    expect(await b.exited).toBe(2);
    expect(b.output()).toMatch(/unknown command 'frobnicate'/);
  });

  it('a bad option value is a usage error with a message', async () => {
    const c = runChild(['parse', '--sender', 'abc'], {}, { stdin: 'x' });
    expect(await c.exited).toBe(2);
    expect(c.output()).toMatch(/--sender.*'abc' is invalid/);
  });

  it('refuses to start without API credentials, naming them; exit 2', async () => {
    const c = runChild([], { SANDBOX: 'true' });
    expect(await c.exited).toBe(2);
    expect(c.output()).toMatch(/API_USERNAME: required/);
    expect(c.output()).toMatch(/API_PASSWORD: required/);
  });

  it('refuses an invalid WEBHOOK_URL or WEBHOOK_SECRET with a clear message; exit 2', async () => {
    const c = runChild([], {
      API_USERNAME: 'a', API_PASSWORD: 'b', APP_ID: '1', APP_HASH: '0123456789abcdef0123456789abcdef',
      WEBHOOK_URL: 'shop.example/hook', WEBHOOK_SECRET: 'not-a-secret', PORT: 'x',
    });
    expect(await c.exited).toBe(2);
    expect(c.output()).toMatch(/WEBHOOK_URL: not a valid URL/);
    expect(c.output()).toMatch(/WEBHOOK_SECRET: expected whsec_/);
    expect(c.output()).toMatch(/PORT: expected a whole number/);
    expect(c.output()).not.toContain('not-a-secret');
  });

  it('paycue parse reads stdin and prints the verdict', async () => {
    const c = runChild(['parse'], {}, { stdin: "🎉 To'ldirish\n➕ 1.010,00 UZS\n💳 HUMOCARD *7159\n💰 23.378,71 UZS" });
    expect(await c.exited).toBe(0);
    expect(JSON.parse(c.output())).toEqual({ credit: true, amount_tiyin: 101000, currency: 'UZS', last4: '7159', bot: 'humo' });
    const other = runChild(['parse', '--sender', '111'], {}, { stdin: "🎉 To'ldirish\n➕ 1.010,00 UZS" });
    expect(await other.exited).toBe(0);
    expect(JSON.parse(other.output())).toEqual({ credit: false, reason: 'unknown_sender' });
  });
});
