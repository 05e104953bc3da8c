// The hosted-deploy flow as an operator runs it, on the built bin/paycue: export the saved
// session, hand it over as TELEGRAM_SESSION, and the daemon starts from it without a session file.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/local-redis.js';
import { saveSession, sessionPath } from '../../src/telegram/session-store.js';
import { PASS, USER } from '../helpers/daemon.js';
import { closeAllRedis, redisUrl, uniquePrefix } from '../helpers/redis.js';
import { runChild, type Child } from '../helpers/child.js';
import { waitFor } from '../helpers/wait.js';
import { gramStringSession } from '../telegram/helpers.js';

const children: Child[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
});
afterAll(closeAllRedis);

const APP = { APP_ID: '12345', APP_HASH: '0123456789abcdef0123456789abcdef', WEBHOOK_URL: 'http://127.0.0.1:9/hook' };
const freshDir = () => join(mkdtempSync(join(tmpdir(), 'paycue-s-')), 'sessions');

function run(args: string[], env: Record<string, string>): Child {
  const c = runChild(args, env);
  children.push(c);
  return c;
}

/** No piece of the session (24 characters or more) anywhere in `text`. */
function expectNoPieceOf(session: string, text: string): void {
  for (let i = 1; i + 24 <= session.length; i += 12) expect(text).not.toContain(session.slice(i, i + 24));
}

describe('paycue telegram export-session', () => {
  it('prints the saved session alone on stdout, exit 0, and the warning on stderr', async () => {
    const dir = freshDir();
    const session = await gramStringSession();
    await saveSession(dir, session);
    const c = run(['telegram', 'export-session'], { ...APP, SESSION_DIR: dir });
    expect(await c.closed).toBe(0);
    expect(c.stdout()).toBe(`${session}\n`); // usable as is: paycue telegram export-session | secret-store set
    expect(c.stderr()).toMatch(/WARNING/);
    expect(c.stderr()).toMatch(/can read and send the account's messages/);
    expect(c.stderr()).toMatch(/never paste it in chats, tickets, logs/);
    expect(c.stderr()).toMatch(/AUTH_KEY_DUPLICATED/);
    expectNoPieceOf(session, c.stderr());
  }, 30_000);

  it('nothing saved: exit 2, nothing on stdout, and how to log in', async () => {
    const dir = freshDir();
    const c = run(['telegram', 'export-session'], { ...APP, SESSION_DIR: dir });
    expect(await c.closed).toBe(2);
    expect(c.stdout()).toBe('');
    expect(c.stderr()).toContain(`No Telegram session saved in ${sessionPath(dir)}: run \`paycue --telegram\` to log in first`);
  }, 30_000);
});

describe('the daemon on TELEGRAM_SESSION', () => {
  it('a malformed value stops the daemon and the telegram commands with exit 2, naming it without showing it', async () => {
    const bad = (await gramStringSession()).slice(0, 300); // cut while copying
    const daemon = run([], { ...APP, API_USERNAME: USER, API_PASSWORD: PASS, HOST: '127.0.0.1', PORT: String(await freePort()), TELEGRAM_SESSION: bad });
    const status = run(['telegram', 'status'], { ...APP, TELEGRAM_SESSION: bad });
    for (const c of [daemon, status]) {
      expect(await c.closed).toBe(2);
      expect(c.output()).toMatch(/TELEGRAM_SESSION: too short for a Telegram string session.*the value is not shown/);
      expectNoPieceOf(bad, c.output());
    }
    expect(daemon.output()).not.toMatch(/paycue is running/);
  }, 30_000);

  it('starts from it with no session file (SESSION_DIR never created), and never prints it', async () => {
    // Its data centre is a loopback address where nothing answers (not 127.0.0.1, where a test
    // MTProto server may listen): the daemon gets as far as connecting.
    const session = await gramStringSession(2, '127.77.21.4', 80);
    const dir = freshDir();
    const port = await freePort();
    const c = run([], {
      ...APP, API_USERNAME: USER, API_PASSWORD: PASS, HOST: '127.0.0.1', PORT: String(port),
      REDIS_URL: redisUrl(), REDIS_PREFIX: uniquePrefix(), SESSION_DIR: dir, TELEGRAM_SESSION: session,
    });
    await waitFor('the daemon to take the session from the environment', () => /session from TELEGRAM_SESSION/.test(c.output()), { timeoutMs: 20_000 });
    await waitFor('/ready to say Telegram is connecting', async () => {
      const r = await fetch(`http://127.0.0.1:${port}/ready`);
      return ((await r.json()) as { data?: { telegram?: string } }).data?.telegram === 'connecting';
    });
    expect(c.output()).not.toMatch(/no Telegram session/);
    c.proc.kill('SIGTERM');
    await c.closed;
    expectNoPieceOf(session, c.output());
    expect(existsSync(dir)).toBe(false);
  }, 40_000);
});

describe('paycue --telegram --qr', () => {
  it('--qr alone is a usage error; without APP_ID / APP_HASH it names them (exit 2, no network)', async () => {
    const alone = run(['--qr'], {});
    expect(await alone.closed).toBe(2);
    expect(alone.stderr()).toMatch(/--qr goes with --telegram/);
    const noApp = run(['--telegram', '--qr'], { SESSION_DIR: freshDir() });
    expect(await noApp.closed).toBe(2);
    expect(noApp.stderr()).toMatch(/APP_ID and APP_HASH are not set/);
  }, 30_000);
});
