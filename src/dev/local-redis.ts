// Finds (or, as root on Debian, installs) `redis-server` and runs a private
// instance on a free loopback port. Used by the test setup, `paycue demo` and
// the benchmark, so all three behave the same on a fresh machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server'];
export const INSTALL_COMMAND = 'sudo apt-get update && sudo apt-get install -y redis-server';

function onPath(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const found = r.status === 0 ? r.stdout.trim() : '';
  if (found) return found;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** Path of redis-server; installs the Debian package when running as root with apt-get. */
export function findRedisServer(say: (line: string) => void = (l) => process.stderr.write(l + '\n')): string {
  const found = onPath();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (!isRoot || !hasApt) {
    throw new Error(`redis-server was not found. Install it with:\n  ${INSTALL_COMMAND}`);
  }
  say('redis-server not found; installing the Debian package redis-server (apt-get install -y redis-server)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', env });
  const install = spawnSync('apt-get', ['install', '-y', '-q', 'redis-server'], { stdio: 'ignore', env });
  const after = onPath();
  if (!after) {
    throw new Error(
      `installing redis-server failed (apt-get update exit ${update.status}, install exit ${install.status}). Run:\n  ${INSTALL_COMMAND}`,
    );
  }
  return after;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface LocalRedis {
  port: number;
  url: string;
  /** Stops the server process (data is discarded). */
  stop(): Promise<void>;
  /** Starts it again on the same port, e.g. after an outage test. */
  restart(): Promise<void>;
  /** Kills the server, keeping the port, so callers can test an outage. */
  kill(): Promise<void>;
}

export async function startLocalRedis(
  opts: { port?: number; say?: (line: string) => void; /** keep data across kill/restart (AOF, fsync always) */ persist?: boolean } = {},
): Promise<LocalRedis> {
  const bin = findRedisServer(opts.say);
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'paycue-redis-'));
  let child: ChildProcess | null = null;

  const launch = async (): Promise<void> => {
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '',
      ...(opts.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning', '--maxmemory-policy', 'noeviction',
    ];
    const proc = spawn(bin, args, { stdio: 'ignore' });
    child = proc;
    let exited = false;
    // A private Redis must not outlive this process, however it ends (a crash, a closed output
    // pipe): 'exit' runs on those too, and a synchronous kill is all it allows.
    const reap = () => {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', reap);
    proc.once('exit', () => {
      exited = true;
      process.off('exit', reap);
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`redis-server exited at start-up (port ${port})`);
      if (await canConnect(port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    proc.kill('SIGKILL');
    throw new Error(`redis-server did not accept connections on port ${port} within 10 s`);
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
