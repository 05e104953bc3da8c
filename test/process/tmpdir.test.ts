// A test run keeps its temporary files in one directory of its own, removed at the end (global
// setup), so a run leaves nothing behind in /tmp.
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';

describe('temporary files of a test run', () => {
  it('go under the run directory, not straight into /tmp', () => {
    expect(tmpdir()).toMatch(/\/paycue-test-run-[^/]+$/);
  });
});
