// One private redis-server for the whole run, on a free port; each test uses its own key
// prefix so tests never see each other's data. Tests that stop Redis start their own.
import type { TestProject } from 'vitest/node';
import { startLocalRedis, type LocalRedis } from '../../src/dev/local-redis.js';

let server: LocalRedis | undefined;

export async function setup(project: TestProject): Promise<void> {
  server = await startLocalRedis({ say: (l) => console.log(l) });
  project.provide('redisUrl', server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
