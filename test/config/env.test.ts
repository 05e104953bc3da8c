import { describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, KNOWN_VARIABLES, parseConfig, parseOperatorConfig } from '../../src/config/env.js';
import { formatDuration, parseDuration, parseDurationList } from '../../src/config/duration.js';
import { configWarnings } from '../../src/config/warnings.js';
import { loadConfig } from '../../src/config/load.js';

const base = { API_USERNAME: 'shop', API_PASSWORD: 'pw', SANDBOX: 'true' };

function problems(env: Record<string, string>): Record<string, string> {
  try {
    parseConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return Object.fromEntries(e.problems.map((p) => [p.variable, p.message]));
    throw e;
  }
  return {};
}

describe('durations', () => {
  it.each([
    ['500ms', 500], ['90s', 90_000], ['30m', 1_800_000], ['1h', 3_600_000], ['30', 1_800_000], [' 5s ', 5000],
  ])('%s → %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', 'abc', '1.5s', '-1s', '10d', '5 s'])('rejects %j', (text) => expect(parseDuration(text)).toBeNull());
  it('accepts compound durations and prints them back exactly', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2m30s500ms')).toBe(150_500);
    expect(parseDuration('1h 30m')).toBeNull();
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(500)).toBe('500ms');
  });
  it('parses backoff lists', () => {
    expect(parseDurationList('5s,30s,2m')).toEqual([5000, 30_000, 120_000]);
    expect(parseDurationList('5s,x')).toBeNull();
  });
});

describe('configuration', () => {
  it('applies the contract defaults', () => {
    const c = parseConfig(base);
    expect(c).toMatchObject({
      port: 10800, host: '0.0.0.0', workers: 10, limit: 100, watchId: 856254490, watchCardXabar: false,
      redisUrl: 'redis://127.0.0.1:6379', redisPrefix: 'paycue', sessionDir: 'sessions',
      transactionTtlMs: 1_800_000, amountStep: 'som', amountDirection: 'up', cards: [],
      webhookRetries: 3, webhookBackoffMs: [5000, 30_000, 120_000], webhookTimeoutMs: 10_000,
      webhookSuccess: 'ok', quarantineMs: 600_000, debug: false, sandbox: true,
    });
  });

  it('refuses a quarantine under 1 minute unless AMOUNT_QUARANTINE_SHORT_OK=true (issue #15 item 8)', () => {
    expect(problems({ ...base, AMOUNT_QUARANTINE: '0' }).AMOUNT_QUARANTINE).toMatch(/AMOUNT_QUARANTINE_SHORT_OK=true/);
    expect(problems({ ...base, AMOUNT_QUARANTINE: '59s' }).AMOUNT_QUARANTINE).toMatch(/under 1m/);
    expect(parseConfig({ ...base, AMOUNT_QUARANTINE: '0', AMOUNT_QUARANTINE_SHORT_OK: 'true' }).quarantineMs).toBe(0);
    expect(parseConfig({ ...base, AMOUNT_QUARANTINE: '1m' }).quarantineMs).toBe(60_000);
    // Reported together with the other problems.
    expect(Object.keys(problems({ ...base, AMOUNT_QUARANTINE: '10s', PORT: 'x' })).sort()).toEqual(['AMOUNT_QUARANTINE', 'PORT']);
  });

  it('PAYMENT_GRACE: 2m by default, a duration, and never longer than AMOUNT_QUARANTINE', () => {
    expect(parseConfig(base).paymentGraceMs).toBe(120_000);
    expect(parseConfig({ ...base, PAYMENT_GRACE: '90s' }).paymentGraceMs).toBe(90_000);
    expect(problems({ ...base, PAYMENT_GRACE: 'soon' }).PAYMENT_GRACE).toMatch(/expected a duration/);
    expect(problems({ ...base, PAYMENT_GRACE: '11m' }).PAYMENT_GRACE).toMatch(/^11m is longer than AMOUNT_QUARANTINE \(10m\)/);
    // Unset, it never exceeds a shorter quarantine.
    expect(parseConfig({ ...base, AMOUNT_QUARANTINE: '1m' }).paymentGraceMs).toBe(60_000);
    expect(parseConfig({ ...base, AMOUNT_QUARANTINE: '0', AMOUNT_QUARANTINE_SHORT_OK: 'true' }).paymentGraceMs).toBe(0);
    expect(parseOperatorConfig({ ...base, AMOUNT_QUARANTINE: '1m' }).paymentGraceMs).toBe(60_000);
  });

  it('REDIS_URL wins over REDIS_ADDR', () => {
    expect(parseConfig({ ...base, REDIS_ADDR: '10.0.0.5:6380' }).redisUrl).toBe('redis://10.0.0.5:6380');
    expect(parseConfig({ ...base, REDIS_ADDR: '10.0.0.5:6380', REDIS_URL: 'rediss://h:1' }).redisUrl).toBe('rediss://h:1');
  });

  it('reports every bad variable at once, by name', () => {
    const p = problems({
      PORT: 'eighty', LIMIT: '0', WEBHOOK_URL: 'not a url', WEBHOOK_SECRET: 'secret', TRANSACTION_TTL: '10d',
      AMOUNT_STEP: 'kopek', CARDS: '7159,12', WORKERS: '-1', DEBUG: 'maybe', SANDBOX: 'true',
    });
    expect(Object.keys(p).sort()).toEqual(
      ['AMOUNT_STEP', 'API_PASSWORD', 'API_USERNAME', 'CARDS', 'DEBUG', 'LIMIT', 'PORT', 'TRANSACTION_TTL', 'WEBHOOK_SECRET', 'WEBHOOK_URL', 'WORKERS'].sort(),
    );
    expect(p.PORT).toMatch(/whole number/);
    expect(p.CARDS).toMatch(/12/);
  });

  it('reports missing Telegram settings together with other problems', () => {
    const p = problems({ API_PASSWORD: 'p', PORT: 'x' });
    expect(Object.keys(p).sort()).toEqual(['API_USERNAME', 'APP_HASH', 'APP_ID', 'PORT', 'WEBHOOK_URL']);
  });

  it('needs Telegram and webhook settings outside the sandbox', () => {
    const p = problems({ API_USERNAME: 'a', API_PASSWORD: 'b' });
    expect(Object.keys(p).sort()).toEqual(['APP_HASH', 'APP_ID', 'WEBHOOK_URL']);
    expect(p.WEBHOOK_URL).toMatch(/required unless SANDBOX=true/);
  });

  it('accepts only http(s) webhook URLs and whsec_ secrets', () => {
    expect(problems({ ...base, WEBHOOK_URL: 'ftp://x/y' }).WEBHOOK_URL).toMatch(/http/);
    expect(problems({ ...base, WEBHOOK_SECRET: 'whsec_short' }).WEBHOOK_SECRET).toBeDefined();
    expect(parseConfig({ ...base, WEBHOOK_SECRET: 'whsec_' + Buffer.alloc(32, 7).toString('base64') }).webhookSecret).toMatch(/^whsec_/);
  });

  it('the error message never echoes a secret value', () => {
    try {
      parseConfig({ ...base, WEBHOOK_SECRET: 'topsecretvalue' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain('WEBHOOK_SECRET');
      expect((e as Error).message).not.toContain('topsecretvalue');
    }
  });

  it('reads .env from the working directory; real variables override it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'paycue-env-'));
    writeFileSync(join(dir, '.env'), 'API_USERNAME=fromfile\nAPI_PASSWORD=pw\nSANDBOX=true\nPORT=1234\n');
    const c = loadConfig({ cwd: dir, env: { PORT: '4321' } });
    expect(c.apiUsername).toBe('fromfile');
    expect(c.port).toBe(4321);
  });

  it('catches addresses that cannot work, each named, in one message', () => {
    const p = problems({ ...base, REDIS_ADDR: '127.0.0.1:99999', HOST: 'paycue.example.org', API_PASSWORD: '   ' });
    expect(p.REDIS_ADDR).toMatch(/between 1 and 65535/);
    expect(p.HOST).toMatch(/not an IP address/);
    expect(p.API_PASSWORD).toMatch(/blank/);
    expect(problems({ ...base, REDIS_URL: 'redis://:::' }).REDIS_URL).toMatch(/not a valid URL/);
    expect(problems({ ...base, REDIS_URL: 'redis://:s3cret@h:70000' }).REDIS_URL).toMatch(/not a valid URL|port/);
    expect(JSON.stringify(problems({ ...base, REDIS_URL: 'redis://:s3cret@h:70000' }))).not.toContain('s3cret');
    expect(problems({ ...base, HOST: '192.0.2.10' }).HOST).toMatch(/not an address of this machine/);
    expect(parseConfig({ ...base, HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
  });

  it('refuses .env.example placeholders outside the sandbox', () => {
    const env = {
      API_USERNAME: 'shop', API_PASSWORD: 'change-me-to-a-long-random-string', WEBHOOK_URL: 'https://shop.example.uz/paycue/webhook',
      APP_ID: '1', APP_HASH: '0123456789abcdef0123456789abcdef',
    };
    const p = problems(env);
    expect(p.API_PASSWORD).toMatch(/placeholder/);
    expect(p.WEBHOOK_URL).toMatch(/shop\.example\.uz.*placeholder/);
    expect(problems({ ...env, SANDBOX: 'true' })).toEqual({});
  });

  it('names .env when it is a directory, and --env-file when it is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'paycue-env-'));
    mkdirSync(join(dir, '.env'));
    expect(() => loadConfig({ cwd: dir })).toThrow(/\.env: is a directory/);
    expect(() => loadConfig({ cwd: dir, file: 'nope.env' })).toThrow(/--env-file .*nope\.env: no such file/);
    writeFileSync(join(dir, 'prod.env'), 'API_USERNAME=u\nAPI_PASSWORD=p\nSANDBOX=true\nPORT=2222\n');
    expect(loadConfig({ cwd: dir, file: 'prod.env', env: {} }).port).toBe(2222);
    if (process.getuid?.() !== 0) {
      // root reads any file: the permission case is only observable as another user.
      writeFileSync(join(dir, 'locked.env'), 'PORT=1\n');
      chmodSync(join(dir, 'locked.env'), 0o000);
      expect(() => loadConfig({ cwd: dir, file: 'locked.env' })).toThrow(/chown/);
    }
  });

  it('warns about look-alike names, unit-less durations, unsigned webhooks and an exposed sandbox', () => {
    const env = { ...base, WEBHOOK_SECERT: 'x', TRANSACTION_TIMEOUT: '5m', WEBHOOK_TIMEOUT: '10', PATH: '/bin', HOME: '/root' };
    const w = configWarnings(env, parseConfig(env));
    expect(w).toContainEqual(expect.stringMatching(/WEBHOOK_SECERT is not a paycue setting.*did you mean WEBHOOK_SECRET\?/));
    expect(w).toContainEqual(expect.stringMatching(/TRANSACTION_TIMEOUT .*did you mean TRANSACTION_TTL\?/));
    expect(w).toContainEqual(expect.stringMatching(/WEBHOOK_TIMEOUT=10: a number without a unit means minutes/));
    expect(w).toContainEqual(expect.stringMatching(/SANDBOX=true while listening on 0\.0\.0\.0/));
    expect(w.join('\n')).not.toMatch(/PATH|HOME/);
    const prod = { API_USERNAME: 'a', API_PASSWORD: 'b', APP_ID: '1', APP_HASH: '0123456789abcdef0123456789abcdef', WEBHOOK_URL: 'https://shop.uz/h' };
    expect(configWarnings(prod, parseConfig(prod))).toEqual([expect.stringMatching(/WEBHOOK_SECRET is empty/)]);
    const quiet = { ...base, HOST: '127.0.0.1', WEBHOOK_TIMEOUT: '10s' };
    expect(configWarnings(quiet, parseConfig(quiet))).toEqual([]);
  });
});

describe('a card number in the configuration is never echoed whole (issue 18 part 5)', () => {
  const FULL = '8600123412341234';

  it('CARDS with a full number: masked, with the last 4 to use instead', () => {
    expect(problems({ ...base, CARDS: FULL }).CARDS).toBe('860012******1234 is a full card number; give only its last 4 digits (1234)');
    const p = problems({ ...base, CARDS: `7159, 8600 1234 1234 1234,9860-1000-0002-7159 , 12` });
    expect(p.CARDS).toBe(
      '860012******1234 is a full card number; give only its last 4 digits (1234); 986010******7159 is a full card number; ' +
        'give only its last 4 digits (7159); expected last-4 digits like 7159,0042; bad: 12',
    );
  });

  // Every variable, given a card number in each way a person may write one: no problem message
  // (nor the whole error) carries the 16 digits, however its digits are grouped.
  const SPELLINGS = [FULL, '8600 1234 1234 1234', '8600-1234-1234-1234', `${FULL}5`, ` ${FULL}ms`, `7159,${FULL}`, `x${FULL}`];
  it.each(SPELLINGS)('any variable set to %j', (value) => {
    let echoed = 0;
    for (const variable of KNOWN_VARIABLES) {
      let message = '';
      try {
        parseConfig({ ...base, [variable]: value });
        continue;
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        message = e.message + e.problems.map((p) => p.message).join('\n');
      }
      expect(message.replace(/[ -]/g, ''), variable).not.toContain(FULL);
      expect(message.replace(/[ -]/g, ''), variable).not.toContain(FULL.slice(0, 12));
      if (message.includes('860012******')) echoed++;
    }
    // The messages that quote the value still show its masked form (most do: PORT, LIMIT, DEBUG, …).
    expect(echoed).toBeGreaterThan(3);
    // A message's own example is no card number: it stays as written.
    expect(problems({ ...base, ALERT_CHAT_ID: value }).ALERT_CHAT_ID ?? 'accepted').toMatch(/^accepted$|-1001234567890/);
  });

  it('a ConfigError raised anywhere (the parse command, --env-file) masks too', () => {
    const e = new ConfigError([{ variable: 'WATCH_ID', message: `expected a whole number, got "8600 1234 1234 1234x"` }]);
    expect(e.problems[0]?.message).toBe('expected a whole number, got "860012******1234x"');
    expect(e.message).not.toContain('1234 1234');
  });
});

