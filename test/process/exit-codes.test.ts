// Start-up failures a restart cannot fix exit 2 (the unit's RestartPreventExitStatus), before
// "paycue is running", naming the variable to fix; what may heal exits 1.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/local-redis.js';
import { PASS, USER } from '../helpers/daemon.js';
import { closeAllRedis, redisUrl, uniquePrefix, withWrongPassword } from '../helpers/redis.js';
import { runChild, type Child } from '../helpers/child.js';

const children: Child[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  for (const s of servers.splice(0)) s.close();
});
afterAll(closeAllRedis);

const APP = { APP_ID: '12345', APP_HASH: '0123456789abcdef0123456789abcdef', WEBHOOK_URL: 'http://127.0.0.1:9/hook' };

async function start(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const c = runChild([], { API_USERNAME: USER, API_PASSWORD: PASS, HOST: '127.0.0.1', REDIS_URL: redisUrl(), REDIS_PREFIX: uniquePrefix(), ...env });
  children.push(c);
  const code = await c.exited;
  return { code, output: c.output() };
}

describe('exit codes at start-up', () => {
  it('a corrupt session file: exit 2, naming the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paycue-s-'));
    writeFileSync(join(dir, 'telegram.session'), 'not-a-session', { mode: 0o600 });
    const r = await start({ ...APP, PORT: String(await freePort()), SESSION_DIR: dir });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/unreadable.*paycue --telegram/);
    expect(r.output).not.toMatch(/paycue is running/);
  }, 30_000);

  it('the port is in use: exit 2, naming PORT', async () => {
    const port = await freePort();
    const busy = createServer();
    servers.push(busy);
    await new Promise<void>((r) => busy.listen(port, '127.0.0.1', r));
    const r = await start({ SANDBOX: 'true', PORT: String(port) });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(new RegExp(`PORT: 127\\.0\\.0\\.1:${port} is already in use`));
    expect(r.output).not.toMatch(/paycue is running/);
  }, 30_000);

  it('Redis refuses the password: exit 2 at once, naming REDIS_URL (not an outage to wait out)', async () => {
    await withWrongPassword(async (url) => {
      const r = await start({ SANDBOX: 'true', PORT: String(await freePort()), REDIS_URL: url });
      expect(r.code).toBe(2);
      expect(r.output).toMatch(/REDIS_URL: Redis at 127\.0\.0\.1:\d+ refused the credentials \(WRONGPASS\)/);
      expect(r.output).not.toContain('wrong-password');
      expect(r.output).not.toMatch(/paycue is running/);
    });
  }, 30_000);

  it('HOST that is not an address of this machine: exit 2, naming HOST', async () => {
    const r = await start({ SANDBOX: 'true', PORT: String(await freePort()), HOST: '192.0.2.10' });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/HOST: 192\.0\.2\.10 is not an address of this machine/);
  }, 30_000);

  it('a full card number in CARDS (or any variable): exit 2, the number masked (issue 18 part 5)', async () => {
    const r = await start({ SANDBOX: 'true', PORT: String(await freePort()), CARDS: '7159,8600 1234 1234 1234', LIMIT: '9860 1000 0002 7159' });
    expect(r.code).toBe(2);
    expect(r.output).toContain('CARDS: 860012******1234 is a full card number; give only its last 4 digits (1234)');
    expect(r.output).toContain('LIMIT: expected a whole number, got "986010******7159"');
    expect(r.output.replace(/[ -]/g, '')).not.toMatch(/8600123412341234|9860100000027159/);
  }, 30_000);

  it('SESSION_DIR that is a file, and a blank API_PASSWORD: one message naming both, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paycue-s-'));
    const file = join(dir, 'sessions');
    writeFileSync(file, '');
    mkdirSync(join(dir, 'unused'));
    const r = await start({ SANDBOX: 'true', PORT: String(await freePort()), SESSION_DIR: file, API_PASSWORD: '   ' });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/SESSION_DIR: exists but is not a directory/);
    expect(r.output).toMatch(/API_PASSWORD: required \(it is blank\)/);
  }, 30_000);
});
