// One schema between Lua and TypeScript. Each script's header declares its KEYS and ARGV in
// order (test/helpers/lua-contract.ts reads it); every call commands.ts makes must keep it, as
// Redis receives it (MONITOR), and the hash fields the Lua uses must be the ones
// src/redis/fields.ts names for TypeScript.
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDIT_HASH_FIELDS, cursorFields, TX_HASH_FIELDS } from '../../src/redis/fields.js';
import { redisKeys, type RedisKeys } from '../../src/redis/keys.js';
import { loadScript, SCRIPT_NAMES, type ScriptName } from '../../src/redis/scripts.js';
import type { TxContext } from '../../src/transactions/context.js';
import {
  code, contractProblems, expand, fieldOf, hashCalls, highestIndex, keyNames, localValue, parseContract, type Contract,
} from '../helpers/lua-contract.js';
import { closeAllRedis, openRedis, testContext, uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const LUA = new URL('../../src/redis/lua/', import.meta.url);
const files = readdirSync(LUA).filter((f) => f.endsWith('.lua')).map((f) => f.slice(0, -4)).sort();
const contracts = new Map(SCRIPT_NAMES.map((name) => [name, parseContract(readFileSync(new URL(`${name}.lua`, LUA), 'utf8'))]));
const contractOf = (name: ScriptName) => contracts.get(name) as Contract;

describe('script headers', () => {
  it('every Lua file is a known script and every known script has a file', () => {
    expect([...SCRIPT_NAMES].sort()).toEqual(files);
  });

  it('name each key as redisKeys does', () => {
    const known = Object.keys(redisKeys('p'));
    const unknown = SCRIPT_NAMES.flatMap((name) =>
      expand(contractOf(name).keys).flatMap((text) => keyNames(text).filter((k) => !known.includes(k)).map((k) => `${name}: ${k}`)),
    );
    expect(unknown).toEqual([]);
  });

  it('declare every KEYS[n] and ARGV[n] the script reads by number', () => {
    const beyond = SCRIPT_NAMES.flatMap((name) => {
      const c = contractOf(name);
      const body = code(loadScript(name));
      // A repeated group counted once: indexes past it are computed, never literal.
      return (['KEYS', 'ARGV'] as const)
        .filter((t) => highestIndex(body, t) > expand(t === 'KEYS' ? c.keys : c.argv).length)
        .map((t) => `${name} reads ${t}[${highestIndex(body, t)}]`);
    });
    expect(beyond).toEqual([]);
  });
});

describe('the contract check', () => {
  const cancel = contractOf('cancel');
  const keys = ['tx', 'deadlines', 'cardLoad', 'quarantine', 'events', 'amounts', 'owners', 'idempotency', 'txState', 'audit', 'cursor', 'alertOutbox'];
  const args = ['tx_1', '0', 'expired', '600000', '604800000', '1', '{p}:pay:updates', '', 'seen', '0'];

  it('passes a call that keeps the header', () => {
    expect(contractProblems(cancel, { keys, args })).toEqual([]);
  });

  it('fails keys out of order, a missing argument, and arguments swapped', () => {
    const swapped = [...keys];
    [swapped[2], swapped[3]] = [keys[3] as string, keys[2] as string];
    expect(contractProblems(cancel, { keys: swapped, args })).toEqual([
      'KEYS[3] is quarantine, the header says "cardLoad"',
      'KEYS[4] is cardLoad, the header says "quarantine"',
    ]);
    expect(contractProblems(cancel, { keys, args: args.slice(0, -1) })).toEqual(['9 arguments passed, the header declares 10']);
    const reasonLast = [args[0], args[1], args[5], args[3], args[4], args[2], ...args.slice(6)] as string[];
    expect(contractProblems(cancel, { keys, args: reasonLast })).toHaveLength(2);
  });
});

/** The redisKeys name that builds `key`; of several templates the most specific wins
 * (`{p}:tx:1:attempts` is `attempts`, not `tx`). */
function keyName(keys: RedisKeys, key: string): string {
  let best = { name: `unknown key ${key}`, fixed: -1 };
  for (const [name, build] of Object.entries(keys)) {
    const template = typeof build === 'function' ? (build as (...a: string[]) => string)('\0', '\0') : build;
    const parts = template.split('\0');
    const fixed = parts.join('').length;
    const pattern = new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`);
    if (pattern.test(key) && fixed > best.fixed) best = { name, fixed };
  }
  return best.name;
}

describe('every script call in commands.ts keeps its header', () => {
  const prefix = uniquePrefix();
  let ctx: TxContext;
  let monitor: Redis;
  const seen: string[][] = [];
  const nameOfSha = new Map(SCRIPT_NAMES.map((n) => [createHash('sha1').update(loadScript(n)).digest('hex'), n]));

  beforeAll(async () => {
    ctx = await testContext({}, prefix);
    // ioredis sends a script's source (EVAL) the first time on a connection, then its SHA: one
    // call of each first, so that every call watched is an EVALSHA naming its script.
    for (const c of calls) await c.run(ctx.commands).catch(() => undefined);
    monitor = await (await openRedis()).monitor();
    monitor.on('monitor', (_time: string, args: string[]) => seen.push(args));
  });
  afterAll(async () => {
    monitor.disconnect();
    await closeAllRedis();
  });

  /** The script calls `run` made, as Redis received them. */
  async function scriptCalls(run: () => Promise<unknown>): Promise<{ name: string; keys: string[]; args: string[] }[]> {
    const from = seen.length;
    await run().catch(() => undefined); // what was passed counts here, not what the script made of it
    const marker = `end-${randomUUID()}`;
    await ctx.redis.echo(marker);
    const to = await waitFor('MONITOR to show the marker', () => seen.findIndex((a, i) => i >= from && a[1] === marker) + 1);
    return seen
      .slice(from, to)
      .filter(([cmd = '', , n = '0', first = '']) => /^eval/i.test(cmd) && Number(n) > 0 && first.startsWith(`{${prefix}}:`))
      .map(([, sha = '', n = '0', ...rest]) => ({
        name: nameOfSha.get(sha) ?? `not an EVALSHA of a known script: ${sha.slice(0, 60)}`,
        keys: rest.slice(0, Number(n)).map((k) => keyName(ctx.keys, k)),
        args: rest.slice(Number(n)),
      }));
  }

  const now = 1_760_000_000_000;
  const settling = { by: 'cli:test', reason: 'seen in the bank app', now, audit: '{"by":"cli:test"}' };
  /** One call per call site of a script in commands.ts (both keys of a branch), with how often
   * each repeated group of its header is passed. */
  const calls: { script: ScriptName; repeats?: Record<string, number>; run: (c: TxContext['commands']) => Promise<unknown> }[] = [
    {
      script: 'reserve',
      repeats: { 'each card': 2, 'each request': 2 },
      run: (c) =>
        c.reserve({ stepTiyin: 100, direction: 'up', limit: 10, ttlMs: 60_000, graceMs: 120_000, cards: ['1111', '2222'] }, [
          { txId: 'tx_a', requestedTiyin: 100_000, metadata: '{"order":1}', idem: 'k1', page: '' },
          { txId: 'tx_b', requestedTiyin: 200_000, metadata: '', idem: '', card: '2222', page: '{"lang":"en"}' },
        ]),
    },
    {
      script: 'cancel',
      run: (c) =>
        c.cancel({ txId: 'tx_a', card: '1111', idem: 'k1', reason: 'cancelled', onlyIfDue: false, expiry: { mode: 'seen', graceMs: 5000 }, quarantineMs: 600_000, keepMs: 1000, audit: '{"by":"api"}' }),
    },
    {
      script: 'credit',
      run: (c) =>
        c.credit({
          messageKey: 'm1', owner: { txId: 'tx_b', card: '2222', idem: '' }, amountTiyin: 200_000, now, quarantineMs: 600_000, keepMs: 1000, messageTtlSec: 3600,
          entry: '{"amount":2000}', unmatchedCap: 100,
          record: { creditId: 'cr_1', bot: 'humo', last4: '2222', receivedAt: now, text: 'credit 2000', review: false, keepMs: 1000, textKeepMs: 1000, latePayment: true },
        }),
    },
    { script: 'attach', run: (c) => c.attach({ creditId: 'cr_1', txId: 'tx_b', card: '2222', idem: '', quarantineMs: 1, keepMs: 1, creditKeepMs: 1, editAlert: true, ...settling }) },
    { script: 'dismiss', run: (c) => c.dismiss({ creditId: 'cr_1', creditKeepMs: 1, editAlert: false, ...settling }) },
    { script: 'confirm-manual', run: (c) => c.confirmManual({ txId: 'tx_b', card: '2222', idem: 'k2', quarantineMs: 1, keepMs: 1, ...settling }) },
    { script: 'rows', repeats: { 'each row': 2, 'each field': 3 }, run: (c) => c.rows([ctx.keys.tx('tx_a'), ctx.keys.credit('cr_1')], ['state', 'amount', 'card']) },
    { script: 'expiry-due', run: (c) => c.expiryDue({ mode: 'seen', graceMs: 1000 }, 50, 2) },
    { script: 'replicas-record', repeats: { 'each shard': 2 }, run: (c) => c.replicasRecord([{ shard: 'primary', replicas: 2, audit: '{"by":"test"}' }, { shard: 's2', replicas: 1, audit: '{"by":"test"}' }], 50) },
    { script: 'replicas-set', run: (c) => c.replicasSet('primary', 3, '{"by":"cli:test"}', 50) },
    { script: 'watermark-advance', run: (c) => c.watermarkAdvance({ token: 'tok', account: '42', botId: 777, seenThrough: now, bots: [777, 778] }) },
    { script: 'release', run: (c) => c.release('1111|100000|tx_a') },
    {
      script: 'attempt-result',
      run: (c) =>
        c.attemptResult({ consumer: 'd1', txId: 'tx_a', action: 'cancel', entryId: '1-0', success: true, attempt: '{"status":200}', now, attemptsPerRound: 5, retryAt: now + 1000, keepMs: 1000 }),
    },
    {
      script: 'attempt-result',
      run: (c) =>
        c.attemptResult({
          consumer: 'd1', txId: 'cr_1', action: 'late_payment', entryId: '2-0', success: false, attempt: '{"status":500}', now, attemptsPerRound: 5, retryAt: now + 1000, keepMs: 1000,
          onCredit: true,
        }),
    },
    { script: 'requeue-due', run: (c) => c.requeueDue(now) },
    { script: 'redeliver', repeats: { 'for a credit': 0 }, run: (c) => c.redeliver({ id: 'tx_a', force: false, onCredit: false, audit: '{"by":"cli"}', auditKeepMs: 1000 }) },
    { script: 'redeliver', repeats: { 'for a credit': 1 }, run: (c) => c.redeliver({ id: 'cr_1', force: true, onCredit: true, audit: '{"by":"cli"}', auditKeepMs: 1000 }) },
    { script: 'requeue', run: (c) => c.requeue('1-0', 'tx_a', 'cancel', 'd1') },
    { script: 'heartbeat', repeats: { 'each entry': 3 }, run: (c) => c.heartbeat('d1', ['1-0', '2-0', '3-0']) },
    { script: 'alert-sent', run: (c) => c.alertSent('1-0', 'cr_1', 42) },
    { script: 'leave-group', run: (c) => c.leaveGroup('d1') },
    { script: 'card-add', run: (c) => c.cardAdd('1111', '{"last4":"1111"}', true) },
    { script: 'card-update', run: (c) => c.cardUpdate('1111', '{"last4":"1111"}', '{"last4":"1111","name":"Shop"}', false) },
    { script: 'card-remove', run: (c) => c.cardRemove('1111', true) },
    { script: 'pay-status', run: (c) => c.payStatus('tx_a') },
    // The cursor scripts are fenced by the session lock: this test's process holds it.
    { script: 'cursor-bind', run: async (c) => (await c.lockAcquire('tok', 30_000), c.cursorBind('42', 'tok')) },
    { script: 'cursor-init', run: (c) => c.cursorInit(777, 100, { token: 'tok', account: '42' }) },
    { script: 'cursor-advance', run: (c) => c.cursorAdvance(777, 101, { token: 'tok', account: '42' }) },
    { script: 'lock-renew', run: (c) => c.lockRenew('tok', 30_000) },
    { script: 'lock-takeover', run: (c) => c.lockTakeOver('dead', 'tok', 30_000) },
    { script: 'lock-release', run: (c) => c.lockRelease('tok') },
  ];

  it('covers every script that commands.ts runs', () => {
    const source = readFileSync(new URL('../../src/redis/commands.ts', import.meta.url), 'utf8');
    const run = [...source.matchAll(/runScript\(\s*this\.(?:redis|writer),\s*'([\w-]+)'/g)].map((m) => m[1]);
    expect([...new Set(calls.map((c) => c.script))].sort()).toEqual([...new Set(run)].sort());
    expect([...new Set(run)].sort()).toEqual([...SCRIPT_NAMES].sort());
  });

  it.each(calls.map((c, i) => [`${c.script} #${i}`, c] as const))('%s', async (_, { script, repeats, run }) => {
    const made = await scriptCalls(() => run(ctx.commands));
    expect(made.map((m) => m.name)).toEqual([script]);
    const call = made[0] as (typeof made)[number];
    expect(contractProblems(contractOf(script), call, repeats)).toEqual([]);
  });
});

describe('hash fields the Lua uses are the ones src/redis/fields.ts names', () => {
  const listed: Record<string, readonly string[]> = {
    tx: TX_HASH_FIELDS,
    credit: CREDIT_HASH_FIELDS,
    cursor: Object.values(cursorFields).map((f) => (typeof f === 'function' ? f('<bot>') : f)),
  };
  const placeholder = (field: string) => field.replace(/<[^>]*>/g, '<…>');
  /** Keys the Lua names by a variable rather than KEYS[n] (in includes, or computed indexes). */
  const KEY_VARIABLES: Record<string, string[]> = {
    'k.tx': ['tx'], txkey: ['tx'], cursor: ['cursor'], key: ['tx', 'credit'], 'k.load': ['cardLoad'], load: ['cardLoad'], owners: ['owners'],
  };
  /** Fields the Lua computes, by expression (or by the ARGV description it comes from). */
  const COMPUTED: Record<string, string[]> = {
    // close-transaction.lua: the time of the state it closes with.
    "state .. '_at'": ['confirmed_at', 'cancelled_at'],
    // close-transaction.lua: what its callers add (cancel, credit, includes/confirm-by-hand).
    'unpack(fields)': ['cancel_reason', 'credit_id', 'resolution', 'confirmed_by', 'confirm_reason', 'received'],
    // rows.lua: the fields its caller asks for (typed by TxField / CreditField in TypeScript).
    'unpack(ARGV)': [],
    'bot id': ['<bot>'],
  };

  it.each(SCRIPT_NAMES.map((n) => [n]))('%s', (name) => {
    const body = code(loadScript(name));
    const declared = expand(contractOf(name).keys);
    const argv = expand(contractOf(name).argv);
    const hashOf = (expr: string): string[] => {
      const index = /^KEYS\[(\d+)\]$/.exec(localValue(body, expr) ?? expr)?.[1];
      const text = index ? declared[Number(index) - 1] : undefined;
      const names = text ? keyNames(text) : KEY_VARIABLES[expr];
      if (!names) throw new Error(`${name}.lua: which hash is \`${expr}\`? (name it in KEY_VARIABLES)`);
      return names;
    };
    const fieldsOf = (expr: string): string[] => {
      const direct = fieldOf(localValue(body, expr) ?? expr);
      if (direct !== undefined) return [direct];
      const arg = /^ARGV\[(\d+)\]$/.exec(expr)?.[1];
      const computed = COMPUTED[arg ? (argv[Number(arg) - 1] ?? '') : expr];
      if (!computed) throw new Error(`${name}.lua: which field is \`${expr}\`? (write it out, or name it in COMPUTED)`);
      return computed;
    };
    const unlisted = hashCalls(body).flatMap(({ command, key, fields }) => {
      const hashes = hashOf(key).filter((h) => h in listed);
      if (hashes.length === 0) return [];
      return fields
        .flatMap(fieldsOf)
        .filter((f) => !hashes.some((h) => listed[h]?.some((l) => placeholder(l) === placeholder(f))))
        .map((f) => `${command} ${key} ${f}`);
    });
    expect(unlisted).toEqual([]);
  });
});
