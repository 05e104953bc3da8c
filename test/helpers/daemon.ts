// An in-process daemon on 127.0.0.1 with a port of its own and a fresh key prefix.
import { parseConfig, type Config } from '../../src/config/env.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { startDaemon, type Daemon, type DaemonOptions } from '../../src/daemon/daemon.js';
import { redisUrl, uniquePrefix } from './redis.js';

export const USER = 'merchant';
export const PASS = 's3cret-pass';
export const AUTH = 'Basic ' + Buffer.from(`${USER}:${PASS}`).toString('base64');

export interface TestDaemon extends Daemon {
  config: Config;
  url: string;
  /** fetch relative to the daemon, with auth and JSON by default. */
  call(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string>; auth?: boolean }): Promise<{ status: number; body: any; headers: Headers }>;
}

const running: TestDaemon[] = [];

export function testConfig(env: Record<string, string> = {}): Config {
  return parseConfig({
    API_USERNAME: USER,
    API_PASSWORD: PASS,
    SANDBOX: 'true',
    REDIS_URL: redisUrl(),
    REDIS_PREFIX: uniquePrefix(),
    HOST: '127.0.0.1',
    PORT: '0',
    // Tests of expiry itself set their own grace; elsewhere an expiry must follow the deadline.
    PAYMENT_GRACE: '0s',
    ...env,
  });
}

export async function startTestDaemon(env: Record<string, string> = {}, opts: DaemonOptions & { log?: Logger } = {}): Promise<TestDaemon> {
  const config = testConfig(env);
  const log = opts.log ?? createLogger({ debug: false, level: process.env.TEST_LOG ?? 'silent' });
  const d = await startDaemon(config, log, opts);
  const url = `http://127.0.0.1:${d.port}`;
  const td: TestDaemon = Object.assign(d, {
    config,
    url,
    async call(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string>; auth?: boolean } = {}) {
      const headers: Record<string, string> = { ...(init.auth === false ? {} : { authorization: AUTH }) };
      let body: string | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
        headers['content-type'] = 'application/json';
      }
      Object.assign(headers, init.headers ?? {});
      const res = await fetch(url + path, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.status, body: parsed as any, headers: res.headers };
    },
  });
  running.push(td);
  return td;
}

export async function stopTestDaemons(): Promise<void> {
  await Promise.all(running.splice(0).map((d) => d.stop(2000)));
}
