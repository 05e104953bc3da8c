// The README's first command: `paycue demo` walks the whole flow and exits 0.
import { describe, expect, it } from 'vitest';
import { runChild } from '../helpers/child.js';

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
