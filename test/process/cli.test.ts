// The CLI as operators use it: exit codes, help, version, refusing bad configuration.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, runChild } from '../helpers/child.js';
import { closeAllRedis, redisUrl, withWrongPassword } from '../helpers/redis.js';

afterAll(closeAllRedis);

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

  it('--help says bare paycue runs the daemon and where settings come from; help <command> works', async () => {
    const c = runChild(['--help'], {});
    expect(await c.exited).toBe(0);
    expect(c.output()).toMatch(/Run without a command, paycue is the daemon/);
    expect(c.output()).toMatch(/\.env in the[\s\S]*working directory \(or the file given with --env-file\)/);
    const h = runChild(['help', 'webhooks'], {});
    expect(await h.exited).toBe(0);
    expect(h.output()).toMatch(/Usage: paycue webhooks/);
    expect(h.output()).toMatch(/redeliver/);
  });

  it('every command takes --env-file (which Node 20 must not take for itself)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paycue-envfile-'));
    writeFileSync(join(dir, 'shop.env'), `REDIS_URL=${redisUrl()}\nREDIS_PREFIX=from-env-file\n`);
    const c = runChild(['webhooks', 'failed', '--env-file', join(dir, 'shop.env')], {});
    expect(await c.exited).toBe(0);
    expect(c.output()).toMatch(/no failed webhook deliveries \(Redis 127\.0\.0\.1:\d+, prefix from-env-file\)/);
    const missing = runChild(['credits', 'unmatched', '--env-file', join(dir, 'nope.env')], {});
    expect(await missing.exited).toBe(2);
    expect(missing.output()).toMatch(/--env-file .*nope\.env: no such file/);
    // Every command that reads settings reads that file, doctor and demo included.
    for (const cmd of [['doctor'], ['demo'], ['status'], ['cards', 'list'], ['transactions', 'list'], ['telegram', 'status']]) {
      const m = runChild([...cmd, '--env-file', join(dir, 'nope.env')], {});
      expect(await m.exited, cmd.join(' ')).toBe(2);
      expect(m.output(), cmd.join(' ')).toMatch(/--env-file .*nope\.env: no such file/);
    }
    const doctor = runChild(['doctor', '--json', '--env-file', join(dir, 'shop.env')], {});
    await doctor.exited;
    expect(doctor.output()).toMatch(new RegExp(`127\\.0\\.0\\.1:${new URL(redisUrl()).port}`));
  });

  it('an operator command says why it cannot use Redis: a refused password is named as such', async () => {
    await withWrongPassword(async (url) => {
      const c = runChild(['webhooks', 'failed'], { REDIS_URL: url });
      expect(await c.exited).toBe(1);
      expect(c.output()).toMatch(/cannot use Redis at 127\.0\.0\.1:\d+: it refused the credentials in REDIS_URL \(WRONGPASS\)/);
      expect(c.output()).not.toContain('wrong-password');
    });
  });

  it('paycue parse in a terminal says what to do; from a pipe it says nothing extra', async () => {
    // `script` gives the command a real terminal; Ctrl-D (\x04) ends the input there.
    const tty = spawnSync('script', ['-qec', `${process.execPath} -- ${BIN} parse`, '/dev/null'], { input: 'hello\n\x04', encoding: 'utf8', timeout: 20_000 });
    expect(tty.stdout).toMatch(/paste a bot message, then press Ctrl-D/);
    expect(tty.stdout).toMatch(/"credit":false/);
    const piped = runChild(['parse'], {}, { stdin: 'hello' });
    expect(await piped.exited).toBe(0);
    expect(piped.output()).not.toMatch(/paste a bot message/);
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
