// Child process: runs autocannon against one URL and records every response's latency
// itself (float milliseconds). Started by http-load.ts; never run directly.
import autocannon from 'autocannon';
import { Samples, summarize, type LatencySummary } from './stats.js';
import { serveRpc } from './ipc.js';

/** What to send: a new so'm amount per request, `start + i * step` (`spread`), or always the same one (`fixed`). */
export type LoadBody = { kind: 'spread'; start: number; step: number } | { kind: 'fixed'; amount: number };

export interface LoadSpec {
  url: string;
  authorization: string;
  connections: number;
  /** Run for this long… */
  durationSec?: number;
  /** …or until this many requests were answered (takes precedence, as in autocannon). */
  amount?: number;
  /** Hard stop whatever happens. */
  maxSec: number;
  /** With a duration: a safety cap on requests. autocannon splits it (like `amount`) evenly over
   * the connections, each stopping at its share, so a cap that is reached lets concurrency decay
   * at the end: keep it well above what the duration will use. */
  maxOverallRequests?: number;
  body: LoadBody;
  /** Also add this run to a named total (several segments of one side of a comparison). */
  bucket?: string;
}

export interface LoadResult {
  /** Requests whose body was built (the `spread` counter advanced this far). */
  sent: number;
  ok: number;
  non2xx: number;
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
  durationSec: number;
  /** 2xx responses per second over the whole run. */
  rps: number;
  latencyMs: LatencySummary;
  /** CPU time the load generator itself used (ms). */
  clientCpuMs: number;
  stoppedByLimit: boolean;
  segments: number;
}

interface Bucket {
  latencies: Samples;
  result: Omit<LoadResult, 'latencyMs' | 'rps'>;
}
const buckets = new Map<string, Bucket>();

function addToBucket(name: string, r: LoadResult, latencies: Float64Array): void {
  let b = buckets.get(name);
  if (!b) {
    b = {
      latencies: new Samples(),
      result: { sent: 0, ok: 0, non2xx: 0, statusCounts: {}, errors: 0, timeouts: 0, durationSec: 0, clientCpuMs: 0, stoppedByLimit: false, segments: 0 },
    };
    buckets.set(name, b);
  }
  for (const v of latencies) b.latencies.push(v);
  const t = b.result;
  t.sent += r.sent;
  t.ok += r.ok;
  t.non2xx += r.non2xx;
  t.errors += r.errors;
  t.timeouts += r.timeouts;
  t.durationSec += r.durationSec;
  t.clientCpuMs += r.clientCpuMs;
  t.stoppedByLimit ||= r.stoppedByLimit;
  t.segments += 1;
  for (const [k, v] of Object.entries(r.statusCounts)) t.statusCounts[k] = (t.statusCounts[k] ?? 0) + v;
}

async function take(name: string): Promise<LoadResult> {
  const b = buckets.get(name);
  if (!b) throw new Error(`no bucket ${name}`);
  buckets.delete(name);
  return { ...b.result, rps: b.result.ok / b.result.durationSec, latencyMs: summarize(b.latencies.values()) };
}

function run(spec: LoadSpec): Promise<LoadResult> {
  let sent = 0;
  const bodyFor =
    spec.body.kind === 'spread'
      ? ((start: number, step: number) => () => JSON.stringify({ amount: start + sent * step }))(spec.body.start, spec.body.step)
      : ((fixed: string) => () => fixed)(JSON.stringify({ amount: spec.body.amount }));
  const latencies = new Samples();
  const statusCounts: Record<string, number> = {};
  let ok = 0;
  let non2xx = 0;

  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    let stoppedByLimit = false;
    const opts: autocannon.Options = {
      url: spec.url,
      connections: spec.connections,
      pipelining: 1,
      timeout: 10,
      ...(spec.amount !== undefined ? { amount: spec.amount } : { duration: spec.durationSec ?? 10 }),
      ...(spec.maxOverallRequests !== undefined ? { maxOverallRequests: spec.maxOverallRequests } : {}),
      method: 'POST',
      headers: { authorization: spec.authorization, 'content-type': 'application/json' },
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => {
            req.body = bodyFor();
            sent++;
            return req;
          },
        },
      ],
    };
    const instance = autocannon(opts, (err, result) => {
      clearTimeout(limit);
      if (err) {
        reject(err);
        return;
      }
      const durationSec = Number(process.hrtime.bigint() - started) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      const r: LoadResult = {
        sent,
        ok,
        non2xx,
        statusCounts,
        errors: result.errors,
        timeouts: result.timeouts,
        durationSec,
        rps: ok / durationSec,
        latencyMs: summarize(latencies.values()),
        clientCpuMs: (cpu.user + cpu.system) / 1000,
        stoppedByLimit,
        segments: 1,
      };
      if (spec.bucket) addToBucket(spec.bucket, r, latencies.values());
      resolve(r);
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) {
        ok++;
        latencies.push(responseTime);
      } else {
        non2xx++;
      }
    });
    const limit = setTimeout(() => {
      stoppedByLimit = true;
      instance.stop();
    }, spec.maxSec * 1000);
  });
}

serveRpc({ run: (spec: LoadSpec) => run(spec), take: (name: string) => take(name) });
