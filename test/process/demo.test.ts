// The README's first command: `paycue demo` walks the whole flow and exits 0.
import { describe, expect, it } from 'vitest';
import { runChild } from '../helpers/child.js';
import { waitFor } from '../helpers/wait.js';

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
