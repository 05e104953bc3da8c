// The README's first command: `paycue demo` walks the whole flow and exits 0.
import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/local-redis.js';
import { closeAllRedis, openRedis, redisUrl } from '../helpers/redis.js';
import { runChild } from '../helpers/child.js';
import { waitFor } from '../helpers/wait.js';

afterAll(closeAllRedis);

describe('paycue demo', () => {
  it('runs every step with its own private Redis and exits 0', async () => {
    const c = runChild(['demo'], {});
    expect(await c.exited).toBe(0);
    const out = c.output();
    expect(out).toMatch(/Started a private Redis/);
    expect(out).toMatch(/order demo-2 must pay 20001 so'm/);
    expect(out).toMatch(/"action":"confirm"/);
    expect(out).toMatch(/"action":"cancel"/);
    expect(out).toMatch(/"reason":"already_processed"/);
    expect(out).toMatch(/"reason":"late"/);
    expect(out).toMatch(/Demo complete/);
  }, 60_000);
});

describe('paycue demo cut short', () => {
  it('a closed output pipe (paycue demo | head) leaves no private redis-server behind', async () => {
    const c = runChild(['demo'], {});
    const port = await waitFor('the private Redis line', async () => /private Redis for the demo on 127\.0\.0\.1:(\d+)/.exec(c.output())?.[1]);
    c.proc.stdout?.destroy(); // as `head -1` does once it has its line
    await c.exited;
    const answers = () =>
      new Promise<boolean>((resolve) => {
        const s = connect(Number(port), '127.0.0.1', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      });
    await waitFor('the private Redis to be gone', async () => ((await answers()) ? undefined : true), { timeoutMs: 5_000 });
  }, 60_000);
});

describe('paycue demo --keep', () => {
  it('prints the pay URL, keeps the page up until Ctrl-C, then exits 0', async () => {
    const c = runChild(['demo', '--keep'], {});
    await waitFor('the kept pay page', async () => /Kept open/.test(c.output()), { timeoutMs: 45_000 });
    const url = /Kept open[^\n]*\n\s+(http:\/\/127\.0\.0\.1:\d+\/pay\/[0-9a-f-]{36})/.exec(c.output())?.[1];
    expect(url).toBeDefined();
    expect(c.output()).toMatch(/would open http:\/\/127\.0\.0\.1:\d+\/pay\/[0-9a-f-]{36}/);
    const page = await fetch(url as string);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="simulate"');
    c.proc.kill('SIGINT');
    expect(await c.exited).toBe(0);
  }, 60_000);
});

describe('paycue demo on the Redis in .env', () => {
  it('leaves no key behind on a Redis it does not own, and logs no secret', async () => {
    const admin = await openRedis();
    const before = new Set(await admin.keys('{paycue-demo-*'));
    // DEMO_LOG=trace: every log line of the whole run goes to the output too.
    const c = runChild(['demo'], { REDIS_URL: redisUrl(), DEMO_LOG: 'trace' });
    expect(await c.exited).toBe(0);
    const out = c.output();
    expect(out).toMatch(/keys under a throw-away prefix, removed at the end/);
    expect((await admin.keys('{paycue-demo-*')).filter((k) => !before.has(k))).toEqual([]);
    expect(out).toMatch(/"msg":"paycue is running"/);
    // The demo's receiver URL carries a password and a token (sent as Basic auth and kept in the
    // URL): the run succeeded, so both reached the receiver, and neither is in any line.
    expect(out).toMatch(/also holds a password and a token, which paycue never shows/);
    expect(out).not.toMatch(/whsec_|:\/\/[^/\s"]*:[^/\s"]*@|\?[a-z]+=|token=/i);
  }, 60_000);

  it('falls back to a private Redis when the one in .env does not answer', async () => {
    const c = runChild(['demo'], { REDIS_ADDR: `127.0.0.1:${await freePort()}` });
    expect(await c.exited).toBe(0);
    expect(c.output()).toMatch(/does not answer; the demo uses a private one instead/);
    expect(c.output()).toMatch(/Demo complete/);
  }, 60_000);
});
