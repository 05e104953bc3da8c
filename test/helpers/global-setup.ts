// One private redis-server for the whole run, on a free port; each test uses its own key
// prefix so tests never see each other's data. Tests that stop Redis start their own.
// Every temporary file or directory of the run (the tests' and their children's) goes under one
// directory of its own (TMPDIR), removed at the end: a run leaves nothing behind in /tmp.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startLocalRedis, type LocalRedis } from '../../src/dev/local-redis.js';

let server: LocalRedis | undefined;
let runDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  runDir = mkdtempSync(join(tmpdir(), 'paycue-test-run-'));
  process.env.TMPDIR = runDir; // test workers are started after this and inherit it
  server = await startLocalRedis({ say: (l) => console.log(l) });
  project.provide('redisUrl', server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (runDir) rmSync(runDir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
