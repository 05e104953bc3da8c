// The results as a console table, JSON (everything) and a Markdown table for the README.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Machine } from './machine.js';
import { machineLine } from './machine.js';
import type { LoadResult, Measured } from './http-load.js';
import type { LatencyResult, MeteredPhase } from './latency.js';
import type { MemoryResult } from './memory.js';
import type { ParserBenchResult } from './parser-bench.js';
import type { PayPageResult } from './pay-page.js';
import type { SentinelBenchResult } from './sentinel-bench.js';
import type { ListBenchResult } from './list-bench.js';

/** bare endpoint, bare + one Redis PING, paycue create at spread prices, paycue create at one price. */
export type Side = 'bare' | 'ping' | 'paycue' | 'same';

export interface Verdict {
  value: number;
  target: string;
  pass: boolean;
}

export interface BenchReport {
  generatedAt: string;
  machine: Machine;
  settings: Record<string, unknown>;
  create?: {
    bare: Measured;
    /** The bare endpoint plus one Redis PING per request. */
    ping: Measured;
    paycue: Measured;
    /** The interleaved segments in order, for judging how steady the machine was. */
    segments: { side: Side; rps: number; serverUsPerRequest: number; machineBusyPct: number | null; stealPct: number | null }[];
    pingRatio: number;
    ratio: Verdict;
  };
  samePrice?: { price: number; takenBefore: number; takenAfter: number; limit: number; result: Measured; ratio: Verdict };
  webhookLatency?: LatencyResult & { p50: Verdict };
  memory?: MemoryResult & { perTransaction: Verdict };
  parser?: ParserBenchResult;
  payPage?: PayPageResult;
  list?: ListBenchResult;
  sentinel?: SentinelBenchResult;
  errors: string[];
  totalSeconds: number;
}

export interface Row {
  name: string;
  result: string;
  target: string;
  status: string;
}

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`;
const pf = (v: Verdict) => (v.pass ? 'PASS' : 'FAIL');
const load = (m: Measured) => {
  const r = m.load;
  const cpu = `server ${int(m.perRequestUs.server)} µs CPU/req${m.perRequestUs.redis !== null ? `, redis ${int(m.perRequestUs.redis)}` : ''}`;
  return `${int(r.rps)} req/s, p50 ${ms(r.latencyMs.p50)}, p99 ${ms(r.latencyMs.p99)} (${cpu})`;
};

export function rows(r: BenchReport): Row[] {
  const out: Row[] = [];
  const conns = String(r.settings.connections ?? '');
  if (r.create) {
    out.push({ name: `(a) bare Hono (same auth + JSON), ${conns} conns`, result: load(r.create.bare), target: '', status: '' });
    out.push({
      name: '(a) bare + 1 Redis PING (reference)',
      result: `${load(r.create.ping)}; ${r.create.pingRatio.toFixed(2)} of bare`,
      target: '',
      status: '',
    });
    out.push({ name: `(a) paycue POST /create/transaction/, ${conns} conns`, result: load(r.create.paycue), target: '', status: '' });
    out.push({ name: '(a) paycue / bare', result: r.create.ratio.value.toFixed(2), target: r.create.ratio.target, status: pf(r.create.ratio) });
  }
  if (r.samePrice) {
    const s = r.samePrice;
    out.push({
      name: `(b) one price, ${int(s.takenBefore)} offsets taken`,
      result: `${load(s.result)}; ${int(s.result.load.ok)} creates, ${int(s.takenAfter)} taken at end`,
      target: '',
      status: '',
    });
    out.push({ name: '(b) one price / (a)', result: s.ratio.value.toFixed(2), target: s.ratio.target, status: pf(s.ratio) });
  }
  if (r.webhookLatency) {
    const w = r.webhookLatency;
    const cpu = (p: MeteredPhase) => `daemon ${int(p.perSampleUs.server)} µs CPU per create+credit+webhook`;
    out.push({
      name: `(c) credit → webhook, sequential (${w.sequential.webhookMs.samples})`,
      result: `p50 ${ms(w.sequential.webhookMs.p50)}, p99 ${ms(w.sequential.webhookMs.p99)}`,
      target: w.p50.target,
      status: pf(w.p50),
    });
    out.push({
      name: `(c) credit → webhook, ${w.concurrent.concurrency} concurrent (${w.concurrent.webhookMs.samples})`,
      result: `p50 ${ms(w.concurrent.webhookMs.p50)}, p99 ${ms(w.concurrent.webhookMs.p99)}; ${int(w.concurrent.perSecond)} payments/s (${cpu(w.concurrent)})`,
      target: '',
      status: '',
    });
  }
  if (r.memory) {
    const [head, ...rest] = r.memory.variants;
    if (head) {
      out.push({
        name: `(d) Redis memory per pending tx (${int(head.transactions)}, ${head.label})`,
        result: `${int(head.bytesPerTransaction)} B`,
        target: r.memory.perTransaction.target,
        status: pf(r.memory.perTransaction),
      });
    }
    for (const v of rest) out.push({ name: `(d) same, ${v.label}`, result: `${int(v.bytesPerTransaction)} B`, target: '', status: '' });
  }
  if (r.parser) {
    out.push({ name: '(e) bot-message parser', result: `${int(r.parser.messagesPerSecond)} messages/s`, target: '', status: '' });
  }
  if (r.payPage) {
    const { render: p, fanout: f } = r.payPage;
    out.push({
      name: '(f) pay page render (status → HTML; GET /pay/:id)',
      result: `${int(p.inProcessUs)} µs in process; HTTP p50 ${ms(p.httpP50Ms)}, p99 ${ms(p.httpP99Ms)}; ${int(p.bytes)} B (${int(p.gzipBytes)} B gzipped)`,
      target: '< 30 KB',
      status: p.bytes < 30 * 1024 ? 'PASS' : 'FAIL',
    });
    out.push({
      name: `(f) SSE fan-out, ${int(f.streams)} streams confirmed at once`,
      result: `all updated ${int(f.allUpdatedMs)} ms after the confirms began (confirming took ${int(f.confirmSpanMs)} ms); per stream p50 ${ms(f.perClientMs.p50)}, p99 ${ms(f.perClientMs.p99)}; ${f.wrongUpdates} wrong`,
      target: '',
      status: f.wrongUpdates === 0 ? 'PASS' : 'FAIL',
    });
    out.push({
      name: '(f) daemon memory per open stream',
      result: `${int(f.heapBytesPerStream)} B heap, ${int(f.rssBytesPerStream)} B RSS; ${f.redisConnections} Redis connections in all`,
      target: '',
      status: '',
    });
  }
  for (const c of r.list?.cases ?? []) {
    out.push({
      name: `(g) GET /transactions at ${int(r.list?.records ?? 0)} records, ${c.name} (${c.limit})`,
      result: `p50 ${c.latencyMs.p50.toFixed(2)} ms, p99 ${c.latencyMs.p99.toFixed(2)} ms; ${c.redisCalls} Redis calls`,
      target: '',
      status: '',
    });
  }
  if (r.sentinel) {
    const h = r.sentinel;
    const line = (x: LoadResult) => `${int(x.rps)} req/s, p50 ${ms(x.latencyMs.p50)}, p99 ${ms(x.latencyMs.p99)}`;
    out.push({ name: `(h) create, one Redis node (AOF always), ${h.connections} conns`, result: line(h.single), target: '', status: '' });
    out.push({
      name: `(h) create, Sentinel + REDIS_MIN_REPLICAS=${h.minReplicas} (WAIT per write)`,
      result: `${line(h.sentinel)}; ${h.ratio.toFixed(2)} of one node`,
      target: '',
      status: '',
    });
    if (h.sentinelAll) {
      out.push({ name: '(h) create, Sentinel, default (every replica: WAIT 2)', result: `${line(h.sentinelAll)}; ${(h.ratioAll ?? 0).toFixed(2)} of one node`, target: '', status: '' });
    }
    const f = h.failovers;
    if (f) {
      const list = (xs: number[]) => xs.map((x) => `${int(x)}`).join(', ');
      out.push({
        name: '(h) paycue redis switchover, creates unavailable',
        result: `${list(f.switchover.map((x) => x.unavailableMs))} ms (writes paused ${list(f.switchover.map((x) => x.pausedMs))} ms; catch-up ${list(f.switchover.map((x) => x.catchUpMs))} ms)`,
        target: '', status: '',
      });
      if (f.bare.length > 0) out.push({ name: '(h) bare SENTINEL FAILOVER, creates unavailable', result: `${list(f.bare)} ms`, target: '', status: '' });
      out.push({ name: '(h) kill -9 of the primary (restarted at once), creates unavailable', result: `${list(f.kill)} ms`, target: '', status: '' });
      out.push({ name: '(h) acknowledged creates lost through all of them', result: `${int(f.lost)} of ${int(f.acked)}`, target: '0', status: f.lost === 0 ? 'PASS' : 'FAIL' });
    }
  }
  return out;
}

export function textTable(r: BenchReport): string {
  const header: Row = { name: 'Benchmark', result: 'Result', target: 'Target', status: 'Status' };
  const all = [header, ...rows(r)];
  const w = (k: keyof Row) => Math.max(...all.map((x) => x[k].length));
  const line = (x: Row) => `${x.name.padEnd(w('name'))}  ${x.result.padEnd(w('result'))}  ${x.target.padEnd(w('target'))}  ${x.status}`;
  const sep = '-'.repeat(w('name') + w('result') + w('target') + w('status') + 6);
  return [
    `Machine: ${machineLine(r.machine)}`,
    sep,
    line(header),
    sep,
    ...all.slice(1).map(line),
    sep,
    ...r.errors.map((e) => `ERROR: ${e}`),
    `Total ${r.totalSeconds.toFixed(1)} s`,
  ].join('\n');
}

export function markdownTable(r: BenchReport): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `Measured ${r.generatedAt.slice(0, 10)} on ${esc(machineLine(r.machine))}. Load generator (autocannon, own process), daemon and Redis share the machine; (a) and (b) run interleaved (bare, PING, paycue, one-price, one-price, paycue, PING, bare). CPU figures are µs of CPU per answered request, per process.`,
    '',
    '| Benchmark | Result | Target | Status |',
    '|---|---|---|---|',
    ...rows(r).map((x) => `| ${esc(x.name)} | ${esc(x.result)} | ${esc(x.target)} | ${x.status} |`),
    ...(r.errors.length ? ['', ...r.errors.map((e) => `- error: ${esc(e)}`)] : []),
    '',
  ].join('\n');
}

export function writeReport(dir: string, r: BenchReport): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'latest.json');
  const md = join(dir, 'latest.md');
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(md, markdownTable(r));
  return { json, md };
}
