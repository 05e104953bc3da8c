// Which Redis deployment to talk to: one node, a Sentinel-managed primary, or a Cluster. Made
// from the configuration by config/redis.ts; client.ts turns it into an ioredis connection.
export interface HostPort {
  host: string;
  port: number;
}

interface Credentials {
  username?: string;
  password?: string;
  /** rediss://: TLS to every node (and to the sentinels). */
  tls: boolean;
  /** PEM of the CA that signed the servers' certificates (REDIS_TLS_CA), when not a public one. */
  ca?: string;
}

export type RedisTarget =
  | { mode: 'single'; url: string; ca?: string }
  | ({ mode: 'sentinel'; sentinels: HostPort[]; name: string; sentinelPassword?: string; db: number } & Credentials)
  | ({ mode: 'cluster'; nodes: HostPort[] } & Credentials);

/** `host:port,host:port` → list, or null when any part is malformed. */
export function parseHostPorts(text: string): HostPort[] | null {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) return null;
  const out: HostPort[] = [];
  for (const p of parts) {
    const m = /^([^\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(p);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return null;
    out.push({ host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) });
  }
  return out;
}

const list = (nodes: HostPort[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');

/** Safe to print: no password. */
export function describeTarget(t: RedisTarget): string {
  if (t.mode === 'single') {
    try {
      const u = new URL(t.url);
      const db = u.pathname.length > 1 ? u.pathname : '';
      return `${u.protocol === 'rediss:' ? 'rediss://' : ''}${u.hostname}:${u.port || '6379'}${db}`;
    } catch {
      return '(unparsable REDIS_URL)';
    }
  }
  const tls = t.tls ? 'rediss, ' : '';
  if (t.mode === 'sentinel') return `sentinel ${t.name} via ${list(t.sentinels)} (${tls}db ${t.db})`;
  return `cluster via ${list(t.nodes)}${t.tls ? ' (rediss)' : ''}`;
}
