// The layout rule (README, Development): HTTP routes in src/http/, commands in src/cli/, each
// capability's domain logic in its own folder below them, Redis only through src/redis/. The
// figures come from src/dev/import-graph.ts (`npm run graph` prints them).
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { figures, folderOf, readModules, report, type Module } from '../src/dev/import-graph.js';

const modules = readModules(fileURLToPath(new URL('../src', import.meta.url)));
const graph = figures(modules);

describe('the import graph of src/', () => {
  it('places every folder on a layer', () => {
    expect(graph.unlayered).toEqual([]);
  });

  it('has no import cycles', () => {
    expect(graph.cycles).toEqual([]);
  });

  it('has at most one arrow that runs back up a layer', () => {
    expect(graph.backArrows.length, report(graph).join('\n')).toBeLessThanOrEqual(1);
  });

  it('sees a back-arrow and a cycle where there are some', () => {
    const m = (path: string, ...imports: string[]): Module => ({ path, imports, packages: [] });
    const bad = figures([m('redis/a.ts', 'cli/b.ts'), m('cli/b.ts', 'redis/a.ts'), m('http/c.ts', 'redis/a.ts'), m('nowhere/d.ts')]);
    expect(bad.backArrows.map((a) => `${a.from} → ${a.to}`)).toEqual(['redis → cli']);
    expect(bad.cycles).toEqual([['cli/b.ts', 'redis/a.ts']]);
    expect(bad.arrows).toHaveLength(3);
    expect(bad.unlayered).toEqual(['nowhere']);
  });
});

/** Modules outside src/redis/ that still touch the Redis client, until each area has its own
 * store in src/redis/ (issue 20, part 1). This list may only shrink. */
const CLIENT_OUTSIDE_REDIS_TODAY = [
  'cli/admin-connection.ts',
  'cli/demo-command.ts',
  'cli/doctor-command.ts',
  'cli/telegram-commands.ts',
  'daemon/daemon.ts',
  'dev/count-commands.ts',
  'http/app.ts',
  'lists/page.ts',
  'ops/redis-connection.ts',
  'ops/sd-notify.ts',
  'pay-page/feed.ts',
  'telegram/open-session.ts',
  'telegram/session-lock.ts',
  'transactions/context.ts',
  'transactions/sweeper.ts',
  'webhooks/dispatcher.ts',
  'webhooks/stream.ts',
];

it('no module outside src/redis/ imports ioredis or src/redis/client.ts but those listed today', () => {
  const touching = modules
    .filter((m) => folderOf(m.path) !== 'redis' && (m.packages.includes('ioredis') || m.imports.includes('redis/client.ts')))
    .map((m) => m.path)
    .sort();
  expect(touching).toEqual(CLIENT_OUTSIDE_REDIS_TODAY);
});
