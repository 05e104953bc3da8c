// Real highly available Redis topologies on 127.0.0.1, from the Debian redis-server: a primary
// with replicas watched by sentinels, and a Cluster of masters with replicas. Each test gets its
// own, and everything it started is killed and removed afterwards.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { findRedisServer, freePort } from '../../src/dev/local-redis.js';

interface Node {
  port: number;
  proc: ChildProcess;
}

const started: { nodes: Node[]; dir: string }[] = [];

function launch(dir: string, port: number, args: string[]): Node {
  const proc = spawn(findRedisServer(), args, { cwd: dir, stdio: 'ignore' });
  return { port, proc };
}

// Generous: on a loaded two-core machine TLS handshakes and fsync-always AOF make a topology slow
// to settle, and a test that fails here says nothing about paycue.
async function until(what: string, check: () => Promise<boolean>, ms = 45_000): Promise<void> {
  const end = Date.now() + ms;
  let lastError = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > end) throw new Error(`topology: timed out waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The CA every TLS topology's certificates come from (ports answer TLS only), per port. */
const tlsCa = new Map<number, string>();

/** A self-signed certificate for 127.0.0.1 in `dir`: its own CA. */
function makeCert(dir: string): { cert: string; key: string; pem: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}

/** redis-server arguments that serve `port` over TLS only (replication and cluster bus too). */
const tlsArgs = (port: number, c: { cert: string; key: string }, cluster = false) => [
  '--port', '0', '--tls-port', String(port), '--tls-cert-file', c.cert, '--tls-key-file', c.key, '--tls-ca-cert-file', c.cert,
  '--tls-auth-clients', 'no', '--tls-replication', 'yes', ...(cluster ? ['--tls-cluster', 'yes'] : []),
];

async function ask<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const ca = tlsCa.get(port);
  const r = new Redis({
    port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 500, retryStrategy: () => null,
    ...(ca ? { tls: { ca } } : {}),
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

// No diskless-sync delay: a replica's first sync starts at once instead of after 5 s.
const DATA = ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction', '--bind', '127.0.0.1',
  '--repl-diskless-sync-delay', '0'];

export interface SentinelSet {
  name: string;
  primary: number;
  replicas: number[];
  sentinels: number[];
  /** REDIS_SENTINELS for paycue. */
  sentinelList: string;
  /** The port of whichever node is primary now. */
  currentPrimary(): Promise<number>;
  /** With `tls`: the CA's PEM file (REDIS_TLS_CA) and PEM text. */
  caFile?: string;
  /** SIGKILL of a node. */
  kill(port: number): void;
  /** Starts a killed data node again as a replica of `primary` (what systemd's Restart= does, and
   * the sentinels would then do: it never comes back as a second writable primary). */
  revive(port: number, primary: number): Promise<void>;
}

/** 1 primary, 2 replicas, 3 sentinels (quorum 2), failing over within a couple of seconds. */
export async function startSentinelSet(opts: { tls?: boolean } = {}): Promise<SentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'paycue-sentinel-'));
  const nodes: Node[] = [];
  started.push({ nodes, dir });
  const name = 'paycue-test';
  const primary = await freePort();
  const replicas = [await freePort(), await freePort()];
  const cert = opts.tls ? makeCert(dir) : null;
  const listen = (port: number) => (cert ? (tlsCa.set(port, cert.pem), tlsArgs(port, cert)) : ['--port', String(port)]);
  for (const port of [primary, ...replicas]) {
    const args = [...listen(port), '--dir', dir, '--appendfilename', `aof-${port}.aof`, '--appenddirname', `aof-${port}`, ...DATA];
    if (port !== primary) args.push('--replicaof', '127.0.0.1', String(primary));
    nodes.push(launch(dir, port, args));
  }
  await until('the replicas to sync', async () =>
    ask(primary, async (r) => /connected_slaves:2/.test(await r.info('replication')) && /state=online.*\n.*state=online/s.test(await r.info('replication'))),
  );
  const sentinels = [await freePort(), await freePort(), await freePort()];
  for (const port of sentinels) {
    const conf = join(dir, `sentinel-${port}.conf`);
    // Sentinel rewrites its file: it must be writable.
    writeFileSync(
      conf,
      [
        ...(cert
          ? (tlsCa.set(port, cert.pem), ['port 0', `tls-port ${port}`, `tls-cert-file ${cert.cert}`, `tls-key-file ${cert.key}`,
              `tls-ca-cert-file ${cert.cert}`, 'tls-auth-clients no', 'tls-replication yes'])
          : [`port ${port}`]),
        'bind 127.0.0.1',
        `sentinel monitor ${name} 127.0.0.1 ${primary} 2`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
      ].join('\n') + '\n',
    );
    nodes.push(launch(dir, port, [conf, '--sentinel']));
  }
  await until('the sentinels to see each other', async () =>
    ask(sentinels[0] as number, async (r) => {
      const info = (await r.call('SENTINEL', 'MASTER', name)) as string[];
      return Number(info[info.indexOf('num-other-sentinels') + 1]) >= 2 && Number(info[info.indexOf('num-slaves') + 1]) >= 2;
    }),
  );
  return {
    name,
    primary,
    replicas,
    sentinels,
    sentinelList: sentinels.map((p) => `127.0.0.1:${p}`).join(','),
    ...(cert ? { caFile: cert.cert } : {}),
    currentPrimary: () =>
      ask(sentinels[0] as number, async (r) => Number(((await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as string[])[1])),
    kill(port: number) {
      nodes.filter((n) => n.port === port).at(-1)?.proc.kill('SIGKILL');
    },
    async revive(port: number, primary: number) {
      const args = [...listen(port), '--dir', dir, '--appendfilename', `aof-${port}.aof`, '--appenddirname', `aof-${port}`, ...DATA];
      nodes.push(launch(dir, port, [...args, '--replicaof', '127.0.0.1', String(primary)]));
      await until('the revived node to sync', async () => ask(port, async (r) => /master_link_status:up/.test(await r.info('replication'))));
    },
  };
}

export interface ReplicatedSet {
  primary: number;
  replicas: number[];
  /** REDIS_URL of the primary. */
  url: string;
  /** SIGSTOP / SIGCONT of a node: it stays connected but stops acknowledging (a stalled host). */
  pause(port: number): void;
  resume(port: number): void;
  kill(port: number): void;
  revive(port: number): Promise<void>;
}

/** A primary with `replicas` replicas and no sentinels (nothing fails over by itself). */
export async function startReplicated(replicaCount = 1): Promise<ReplicatedSet> {
  const dir = mkdtempSync(join(tmpdir(), 'paycue-replicated-'));
  const nodes: Node[] = [];
  started.push({ nodes, dir });
  const primary = await freePort();
  const replicas: number[] = [];
  for (let i = 0; i < replicaCount; i++) replicas.push(await freePort());
  const args = (port: number) => ['--port', String(port), '--dir', dir, '--appendfilename', `aof-${port}.aof`, '--appenddirname', `aof-${port}`, ...DATA];
  nodes.push(launch(dir, primary, args(primary)));
  for (const port of replicas) nodes.push(launch(dir, port, [...args(port), '--replicaof', '127.0.0.1', String(primary)]));
  const online = new RegExp(`connected_slaves:${replicaCount}`);
  await until('the replicas to sync', async () =>
    ask(primary, async (r) => {
      const info = await r.info('replication');
      return online.test(info) && (info.match(/state=online/g) ?? []).length === replicaCount;
    }),
  );
  const proc = (port: number) => nodes.filter((n) => n.port === port).at(-1)?.proc;
  return {
    primary,
    replicas,
    url: `redis://127.0.0.1:${primary}`,
    pause: (port) => void proc(port)?.kill('SIGSTOP'),
    resume: (port) => void proc(port)?.kill('SIGCONT'),
    kill: (port) => void proc(port)?.kill('SIGKILL'),
    async revive(port: number) {
      nodes.push(launch(dir, port, [...args(port), '--replicaof', '127.0.0.1', String(primary)]));
      await until('the revived node to sync', async () => ask(port, async (r) => /master_link_status:up/.test(await r.info('replication'))));
    },
  };
}

export interface ClusterSet {
  masters: number[];
  /** REDIS_CLUSTER_NODES for paycue. */
  nodeList: string;
  /** With `tls`: the CA's PEM file (REDIS_TLS_CA). */
  caFile?: string;
  /** The master port serving `key`'s slot. */
  masterOf(key: string): Promise<number>;
  /** The port of an online replica of the master at `port` (waits for one). */
  replicaOf(port: number): Promise<number>;
  /** A planned failover: `replica` takes over `key`'s slot from its master. */
  failover(replica: number, key: string): Promise<void>;
  kill(port: number): void;
  /** Starts a killed node again from its nodes.conf: it rejoins as a replica of its successor. */
  revive(port: number): Promise<void>;
}

/** 3 masters with a replica each, slots spread evenly. */
export async function startCluster(opts: { tls?: boolean } = {}): Promise<ClusterSet> {
  const dir = mkdtempSync(join(tmpdir(), 'paycue-cluster-'));
  const nodes: Node[] = [];
  started.push({ nodes, dir });
  const ports: number[] = [];
  for (let i = 0; i < 6; i++) ports.push(await freePort());
  const cert = opts.tls ? makeCert(dir) : null;
  if (cert) for (const p of ports) tlsCa.set(p, cert.pem);
  const nodeArgs = (port: number) => [
    ...(cert ? tlsArgs(port, cert, true) : ['--port', String(port)]), '--dir', dir, '--appendfilename', `aof-${port}.aof`, '--appenddirname', `aof-${port}`,
    '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000', ...DATA,
  ];
  for (const port of ports) nodes.push(launch(dir, port, nodeArgs(port)));
  await until('the cluster nodes to listen', async () => (await Promise.all(ports.map((p) => ask(p, (r) => r.ping())))).every((x) => x === 'PONG'));
  const tlsCli = cert ? ['--tls', '--cacert', cert.cert] : [];
  const create = spawnSync('redis-cli', [...tlsCli, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  await until('cluster_state:ok on every node', async () =>
    (await Promise.all(ports.map((p) => ask(p, async (r) => /cluster_state:ok/.test((await r.call('CLUSTER', 'INFO')) as string))))).every(Boolean),
  );
  // Asks the first node that answers: the one killed by a test would not.
  const anyNode = async <T>(fn: (r: Redis) => Promise<T>): Promise<T> => {
    let last: unknown;
    for (const p of ports) {
      try {
        return await ask(p, fn);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  };
  const masterOf = async (key: string): Promise<number> => {
    const slot = Number(await anyNode((r) => r.call('CLUSTER', 'KEYSLOT', key)));
    const slots = (await anyNode((r) => r.call('CLUSTER', 'SLOTS'))) as [number, number, [string, number]][];
    const range = slots.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`no node serves slot ${slot}`);
    return range[2][1];
  };
  // The masters are read again on every try: on a loaded machine a node can miss the 2 s node
  // timeout while the cluster settles and its replica takes over, so the first answer can go stale.
  const currentMasters = async (): Promise<number[]> =>
    [...new Set(await Promise.all(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((k) => masterOf(`{${k}}`))))];
  let masters: number[] = [];
  // cluster_state:ok comes before the replicas' first sync: until then WAIT gets no acks.
  await until('every master to have an online replica', async () => {
    masters = await currentMasters();
    const online = await Promise.all(masters.map((p) => ask(p, async (r) => /slave0:.*state=online/.test(await r.info('replication')))));
    if (online.every(Boolean)) return true;
    throw new Error(`masters ${masters.join(', ')}: online replica ${online.join(', ')}`);
  });
  return {
    masters,
    nodeList: ports.map((p) => `127.0.0.1:${p}`).join(','),
    ...(cert ? { caFile: cert.cert } : {}),
    masterOf,
    async replicaOf(port: number) {
      let replica = 0;
      // The master's own INFO, not cluster gossip, which may not list a fresh replica yet.
      await until(`an online replica of ${port}`, async () => {
        const m = /slave\d+:ip=[^,]*,port=(\d+),state=online/.exec(await ask(port, (r) => r.info('replication')));
        replica = Number(m?.[1] ?? 0);
        return replica > 0;
      });
      return replica;
    },
    async failover(replica: number, key: string) {
      // Redis drops a manual failover whose master does not pause and let the replica catch up
      // within 5 s (a loaded machine, fsync-always AOF): it is asked again, as an operator would.
      await until(`${replica} to own the slot of ${key}`, async () => {
        if ((await masterOf(key)) === replica) return true;
        await ask(replica, (r) => r.call('CLUSTER', 'FAILOVER'));
        const end = Date.now() + 8000;
        while (Date.now() < end) {
          if ((await masterOf(key)) === replica) return true;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('CLUSTER FAILOVER did not complete within 8 s');
      });
    },
    kill(port: number) {
      nodes.filter((n) => n.port === port).at(-1)?.proc.kill('SIGKILL');
    },
    async revive(port: number) {
      nodes.push(launch(dir, port, nodeArgs(port)));
      await until('the revived node to sync as a replica', async () => ask(port, async (r) => /master_link_status:up/.test(await r.info('replication'))));
    },
  };
}

export async function stopTopologies(): Promise<void> {
  for (const { nodes, dir } of started.splice(0)) {
    for (const n of nodes) n.proc.kill('SIGKILL');
    await Promise.all(nodes.map((n) => (n.proc.exitCode !== null || n.proc.signalCode !== null ? undefined : new Promise((r) => n.proc.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  }
}
