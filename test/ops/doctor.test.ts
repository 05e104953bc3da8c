import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor, type CheckResult } from '../../src/cli/doctor-command.js';
import { runWebhooksTest } from '../../src/cli/webhooks-test-command.js';
import { testEventSettings } from '../../src/daemon/rules.js';
import { parseOperatorConfig } from '../../src/config/env.js';
import { startLocalRedis, type LocalRedis } from '../../src/dev/local-redis.js';
import { closeAllRedis, openRedis, redisUrl, uniquePrefix } from '../helpers/redis.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { gramStringSession } from '../telegram/helpers.js';

const SECRET = 'whsec_' + Buffer.alloc(24, 7).toString('base64');
let durable: LocalRedis;
let receiver: Receiver;
let answer = { status: 200, body: '{"ok": true}' };
let telegram: Server;
let telegramPort: number;

beforeAll(async () => {
  durable = await startLocalRedis({ persist: true });
  receiver = await startReceiver(() => answer);
  telegram = createServer((s) => s.destroy());
  await new Promise<void>((r) => telegram.listen(0, '127.0.0.1', () => r()));
  telegramPort = (telegram.address() as AddressInfo).port;
});
afterAll(async () => {
  await closeAllRedis();
  await durable.stop();
  await receiver.close();
  await new Promise((r) => telegram.close(r));
});

function sessionDir(mode: number | null): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'paycue-doctor-')), 'sessions');
  mkdirSync(dir, { mode: 0o700 });
  if (mode !== null) {
    writeFileSync(join(dir, 'telegram.session'), '1BQANOTAREALSESSION', { mode });
    chmodSync(join(dir, 'telegram.session'), mode);
  }
  return dir;
}

const baseEnv = (over: Record<string, string>) => ({
  API_USERNAME: 'shop', API_PASSWORD: 'pw-123456', APP_ID: '12345', APP_HASH: '0123456789abcdef0123456789abcdef',
  WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET, REDIS_URL: durable.url, REDIS_PREFIX: uniquePrefix(), SESSION_DIR: sessionDir(0o600),
  ...over,
});

async function doctor(env: Record<string, string>, opts: { now?: () => number; port?: number } = {}) {
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
  const code = await runDoctor(env, io, { json: true, telegram: { host: '127.0.0.1', port: opts.port ?? telegramPort }, timeoutMs: 2000, ...(opts.now ? { now: opts.now } : {}) });
  const checks = lines.map((l) => JSON.parse(l) as CheckResult);
  const human: string[] = [];
  await runDoctor(env, { out: (l) => human.push(l), err: (l) => human.push(l) }, { telegram: { host: '127.0.0.1', port: opts.port ?? telegramPort }, timeoutMs: 2000 });
  return { code, levels: Object.fromEntries(checks.map((c) => [c.check, c.level])), checks, human: human.join('\n') };
}

describe('paycue doctor', () => {
  it('ok: a sound installation passes every check (exit 0), and the test event is signed', async () => {
    answer = { status: 200, body: '{"ok": true}' };
    const before = receiver.received.length;
    const r = await doctor(baseEnv({}));
    expect(r.levels).toEqual({
      configuration: 'ok', redis: 'ok', 'redis maxmemory-policy': 'ok', 'redis AOF': 'ok', clock: 'ok',
      'telegram session': 'ok', 'telegram network': 'ok', webhook: 'ok', 'webhook signing': 'ok',
    });
    expect(r.code).toBe(0);
    const sent = receiver.received[before]!;
    expect(sent.json).toMatchObject({ action: 'test' });
    expect(() => new Webhook(SECRET).verify(sent.body, sent.headers as Record<string, string>)).not.toThrow();
    expect(r.human).not.toContain('fix:');
  });

  it('warn: appendfsync everysec, a session readable by the group, an unsigned webhook answered 400 (exit 0)', async () => {
    const admin = await openRedis(durable.url);
    await admin.config('SET', 'appendfsync', 'everysec');
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    answer = { status: 400, body: 'unknown action' };
    try {
      // What the daemon warns about at start: a look-alike name, a duration without a unit.
      const env = baseEnv({ SESSION_DIR: sessionDir(0o640), TELEGRAM_TAKEOVR: '30s', PAY_HEARTBEAT: '20', REDIS_ALLOW_EVICTION: 'true' });
      delete (env as Record<string, string>).WEBHOOK_SECRET;
      const r = await doctor(env);
      expect(r.levels).toMatchObject({
        'redis AOF': 'warn', 'telegram session': 'warn', webhook: 'warn', 'webhook signing': 'warn', redis: 'ok', 'redis maxmemory-policy': 'warn',
      });
      const config = r.checks.filter((c) => c.check === 'configuration').map((c) => `${c.level} ${c.detail}`);
      expect(config[0]).toMatch(/^ok valid/);
      expect(config).toContainEqual(expect.stringMatching(/^warn TELEGRAM_TAKEOVR is not a paycue setting .*did you mean TELEGRAM_TAKEOVER/));
      expect(config).toContainEqual(expect.stringMatching(/^warn PAY_HEARTBEAT=20: a number without a unit means minutes/));
      expect(r.code).toBe(0);
      expect(r.human).toMatch(/fix: chmod 600 /);
      expect(r.human).toMatch(/fix: set `appendfsync always`/);
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'appendfsync', 'always');
      answer = { status: 200, body: '{"ok": true}' };
    }
  });

  it('fail: bad config, AOF off, missing session, Telegram and webhook unreachable, clock skew (exit 1)', async () => {
    const closed = await startReceiver();
    await closed.close(); // nothing listens there now
    const r = await doctor(
      baseEnv({ PORT: 'eighty', REDIS_URL: redisUrl(), SESSION_DIR: sessionDir(null), WEBHOOK_URL: closed.url }),
      { port: closed.url ? Number(new URL(closed.url).port) : 1, now: () => Date.now() + 60_000 },
    );
    expect(r.code).toBe(1);
    expect(r.levels).toMatchObject({
      configuration: 'fail', redis: 'ok', 'redis AOF': 'fail', clock: 'fail', 'telegram session': 'fail', 'telegram network': 'fail', webhook: 'fail',
    });
    expect(r.checks.find((c) => c.check === 'configuration')!.detail).toContain('PORT: expected a whole number');
    expect(r.human).toContain('fix: log in as the user paycue runs as: paycue --telegram');
  });

  it('TELEGRAM_SESSION: the session check passes without a file; a malformed one fails the configuration, unshown', async () => {
    const session = await gramStringSession();
    const r = await doctor(baseEnv({ SESSION_DIR: sessionDir(null), TELEGRAM_SESSION: session }));
    expect(r.levels).toMatchObject({ configuration: 'ok', 'telegram session': 'ok' });
    expect(r.checks.find((c) => c.check === 'telegram session')!.detail).toMatch(/^from TELEGRAM_SESSION \(no session file is read\); SESSION_DIR .* keeps the bank bots cache/);
    expect(r.code).toBe(0);
    expect(r.human).not.toContain(session.slice(1, 40));

    const cut = session.slice(0, 120);
    const bad = await doctor(baseEnv({ TELEGRAM_SESSION: cut }));
    expect(bad.code).toBe(1);
    expect(bad.checks.find((c) => c.check === 'configuration')!.detail).toMatch(/TELEGRAM_SESSION: too short .*the value is not shown/);
    expect(bad.human).not.toContain(cut.slice(1, 40));
  });

  it('fail: a wrong Redis password is named as such, and never printed', async () => {
    const locked = await startLocalRedis();
    try {
      const admin = await openRedis(locked.url);
      await admin.config('SET', 'requirepass', 'right-pass');
      const r = await doctor(baseEnv({ REDIS_URL: `redis://:wrong-pass@127.0.0.1:${locked.port}` }));
      expect(r.code).toBe(1);
      const redis = r.checks.find((c) => c.check === 'redis')!;
      expect(redis).toMatchObject({ level: 'fail' });
      expect(redis.detail).toMatch(/refused the credentials/);
      expect(r.human).not.toContain('wrong-pass');
    } finally {
      await locked.stop();
    }
  });
});

describe('paycue webhooks test', () => {
  it('exit 0 when accepted, 1 when answered otherwise or unreachable', async () => {
    const settings = (url: string) => testEventSettings(parseOperatorConfig({ WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET, WEBHOOK_TIMEOUT: '2s' }))!;
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(`out ${l}`), err: (l: string) => lines.push(`err ${l}`) };
    answer = { status: 200, body: '{"ok": true}' };
    expect(await runWebhooksTest(settings(receiver.url.replace('http://', 'http://user:hook-pw@') + '?token=tok-secret'), io)).toBe(0);
    expect(receiver.received.at(-1)!.headers.authorization).toBe('Basic ' + Buffer.from('user:hook-pw').toString('base64'));
    answer = { status: 500, body: '' };
    expect(await runWebhooksTest(settings(receiver.url), io)).toBe(1);
    answer = { status: 200, body: '{"ok": true}' };
    const closed = await startReceiver();
    await closed.close();
    expect(await runWebhooksTest(settings(closed.url), io)).toBe(1);
    expect(lines[0]).toMatch(/^out http:\/\/127\.0\.0\.1:\d+\/hook accepted the signed test event msg_test_/);
    expect(lines[1]).toMatch(/^err .*answered .* HTTP 500/);
    expect(lines[2]).toMatch(/^err .*did not answer the test event: ECONNREFUSED/);
    expect(lines.join('\n')).not.toMatch(/hook-pw|tok-secret/);
  });
});
