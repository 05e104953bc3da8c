// `paycue doctor`: checks an installation without starting the daemon. Each check says ok,
// warn (works, but risky) or fail (paycue will not work, or can lose money) and, when not ok,
// the fix. Exit 0 without fails, 1 with any.
import type { RedisConnection } from '../redis/client.js';
import { stat, access, constants } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError, parseConfig, parseOperatorConfig, type OperatorConfig } from '../config/env.js';
import { configWarnings } from '../config/warnings.js';
import type { CliIO } from './io.js';
import { testEventSettings } from '../daemon/rules.js';
import { sentinelAccess } from '../config/redis.js';
import { sentinelView, type SentinelAccess } from '../redis/replicas.js';
import type { Commands } from '../redis/commands.js';
import { PRIMARY_SHARD } from '../replicas/requirement.js';
import { sessionPath } from '../telegram/session-store.js';
import { openOpsRedis, redisDisplay } from '../ops/redis-connection.js';
import { tcpProbe } from '../ops/tcp-probe.js';
import { describeTestEvent, sendTestEvent } from '../ops/webhook-test.js';

export type Level = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  check: string;
  level: Level;
  detail: string;
  fix?: string;
}

export interface DoctorOptions {
  /** Where Telegram is probed: GramJS's first data centre (DC 4, port 80) unless a test says otherwise. */
  telegram?: { host: string; port: number };
  timeoutMs?: number;
  /** This machine's clock (tests shift it to show the skew check failing). */
  now?: () => number;
}

const TELEGRAM = { host: '149.154.167.91', port: 80 };
const SKEW_WARN_MS = 1_000;
const SKEW_FAIL_MS = 10_000;

const ok = (check: string, detail: string): CheckResult => ({ check, level: 'ok', detail });
const warn = (check: string, detail: string, fix: string): CheckResult => ({ check, level: 'warn', detail, fix });
const fail = (check: string, detail: string, fix: string): CheckResult => ({ check, level: 'fail', detail, fix });

function configCheck(env: Record<string, string | undefined>): { result: CheckResult[]; config: OperatorConfig | null } {
  try {
    const config = parseConfig(env);
    // What the daemon would warn about at start is a warning here too.
    const warnings = configWarnings(env, config).map((w) => warn('configuration', w, 'correct it in .env, or ignore this if it is meant'));
    return { result: [ok('configuration', `valid${config.sandbox ? ' (SANDBOX=true)' : ''}`), ...warnings], config };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const detail = err.problems.map((p) => `${p.variable}: ${p.message}`).join('; ');
    // The other checks still run, on the defaults of the bad variables.
    const rest = Object.fromEntries(Object.entries(env).filter(([k]) => !err.problems.some((p) => p.variable === k)));
    let config: OperatorConfig | null = null;
    try {
      config = parseOperatorConfig(rest);
    } catch {
      /* reported above */
    }
    const note = config ? ' (the checks below use the defaults of these)' : '';
    return { result: [fail('configuration', detail + note, 'correct these variables in .env (see .env.example)')], config };
  }
}

async function redisChecks(config: OperatorConfig, now: () => number): Promise<CheckResult[]> {
  const where = redisDisplay(config);
  const conn = await openOpsRedis(config);
  try {
    if (conn.error) {
      if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(conn.error)) {
        return [fail('redis', `${where} refused the credentials: ${conn.error}`, 'put the right password in REDIS_URL (redis://:PASSWORD@host:port) — the one set by requirepass in redis.conf')];
      }
      return [fail('redis', `cannot reach ${where}: ${conn.error}`, 'start Redis (systemctl start redis-server) or correct REDIS_ADDR / REDIS_URL')];
    }
    const results: CheckResult[] = [];
    const info = await conn.commands.serverInfo();
    try {
      await conn.commands.writeProbe();
      results.push(ok('redis', `${where} answers and accepts writes (Redis ${info.version}, prefix ${config.redisPrefix})`));
    } catch (err) {
      const why = (err as Error).message.split('\n')[0] as string;
      results.push(
        fail('redis', `${where} answers but refuses writes: ${why}`, /^NOREPLICAS/.test(why)
          ? 'the primary\'s own min-replicas-to-write is not met: start its replicas (or lower that setting in redis.conf)'
          : 'free memory or raise maxmemory; make sure this is the primary, not a replica'),
      );
    }
    results.push(
      info.maxmemoryPolicy === 'noeviction'
        ? ok('redis maxmemory-policy', 'noeviction')
        : config.redisAllowEviction
          ? warn('redis maxmemory-policy', `${info.maxmemoryPolicy}, accepted by REDIS_ALLOW_EVICTION=true: Redis may evict transactions and webhooks under memory pressure`, 'set `maxmemory-policy noeviction` in redis.conf and remove REDIS_ALLOW_EVICTION')
          : fail('redis maxmemory-policy', `${info.maxmemoryPolicy}: Redis may evict keys, i.e. lose transactions and webhooks`, 'set `maxmemory-policy noeviction` in redis.conf and restart Redis'),
    );
    results.push(await aofCheck(conn.redis, info.aofEnabled));
    results.push(await skewCheck(conn.commands.serverTimeMs(), now));
    const access = sentinelAccess(config);
    if (access) results.push(await failoverCheck(config, access, conn.commands));
    return results;
  } finally {
    conn.close();
  }
}

/** Sentinel: what a failover nobody coordinated (a bare SENTINEL FAILOVER, or one the sentinels
 * start themselves) would cost with these settings. */
async function failoverCheck(config: OperatorConfig, access: SentinelAccess, commands: Commands): Promise<CheckResult> {
  const check = 'redis failover';
  let view;
  try {
    view = await sentinelView(access);
  } catch (err) {
    return fail(check, `no sentinel answered about ${access.name}: ${(err as Error).message}`, 'check REDIS_SENTINELS, REDIS_SENTINEL_NAME and that the sentinels run');
  }
  const known = view.replicas.length;
  const recorded = (await commands.replicasRecorded().catch(() => ({}) as Record<string, number>))[PRIMARY_SHARD];
  const required = config.redisMinReplicas ?? recorded;
  const sentinels = view.otherSentinels + 1;
  const plan = 'plan failovers with `paycue redis switchover`, never a bare SENTINEL FAILOVER';
  if (required === undefined) return ok(check, `the sentinels know ${known} replicas; the daemon records them at its first start and then waits for all of them (${plan})`);
  if (required < known) {
    return warn(
      check,
      `every write waits for ${required} of the ${known} replicas the sentinels know: a failover nobody coordinated — a bare SENTINEL FAILOVER, or one the sentinels start on their own after ${view.settings['down-after-milliseconds'] ?? '?'} ms without an answer — can lose a write the other replicas never had (a create handed out twice, a delivered confirm undone)`,
      `${config.redisMinReplicas !== undefined ? 'unset REDIS_MIN_REPLICAS' : '`paycue redis replicas set ' + known + '`'} so that writes wait for all ${known}, and ${plan}`,
    );
  }
  if (sentinels < 3) return warn(check, `only ${sentinels} sentinel${sentinels === 1 ? '' : 's'} watch ${access.name}: losing one host stops failovers (quorum ${view.settings.quorum ?? '?'})`, 'run 3 sentinels on separate hosts');
  return ok(check, `every write waits for all ${known} replicas the sentinels know, ${sentinels} sentinels (quorum ${view.settings.quorum ?? '?'}): a failover nobody coordinated loses nothing acknowledged; still, ${plan} (no write waits on the sentinels' timers)`);
}

async function aofCheck(redis: RedisConnection, enabled: boolean): Promise<CheckResult> {
  if (!enabled) {
    return fail('redis AOF', 'appendonly is off: a Redis restart loses pending transactions and undelivered webhooks', 'set `appendonly yes` and `appendfsync always` in redis.conf and restart Redis');
  }
  // CONFIG may be renamed away on managed Redis: then AOF on is all we can say.
  const fsync = await redis.config('GET', 'appendfsync').then((r) => (r as string[])[1], () => undefined);
  if (fsync === undefined || fsync === 'always') return ok('redis AOF', `on${fsync ? ', appendfsync always' : ''}`);
  return warn('redis AOF', `on, appendfsync ${fsync}: a power loss can undo the last second of decisions`, 'set `appendfsync always` in redis.conf (see README, Outages and guarantees)');
}

async function skewCheck(redisTime: Promise<number>, now: () => number): Promise<CheckResult> {
  const before = now();
  const server = await redisTime;
  const after = now();
  const skew = server - (before + after) / 2;
  const text = `this machine is ${Math.abs(Math.round(skew))} ms ${skew > 0 ? 'behind' : 'ahead of'} Redis`;
  const fix = 'enable NTP on both machines (timedatectl set-ntp true): deadlines are set and checked with each machine\'s clock';
  if (Math.abs(skew) >= SKEW_FAIL_MS) return fail('clock', text, fix);
  if (Math.abs(skew) >= SKEW_WARN_MS) return warn('clock', text, fix);
  return ok('clock', text);
}

/** Whether files can be created in `dir` (or in the parent that would hold it). */
async function canWrite(dir: string): Promise<boolean> {
  try {
    await access(dir, constants.W_OK);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    return access(dirname(dir), constants.W_OK).then(() => true, () => false);
  }
}

async function sessionCheck(config: OperatorConfig): Promise<CheckResult> {
  if (config.sandbox) return ok('telegram session', 'not needed (SANDBOX=true)');
  if (config.telegramSession) {
    // Its format was checked with the configuration; whether Telegram accepts it, `paycue telegram status` says.
    const cache = (await canWrite(config.sessionDir))
      ? `SESSION_DIR ${config.sessionDir} keeps the bank bots cache`
      : `SESSION_DIR ${config.sessionDir} cannot be written, so the bank bots are looked up at every start (that is fine)`;
    return ok('telegram session', `from TELEGRAM_SESSION (no session file is read); ${cache}`);
  }
  const file = sessionPath(config.sessionDir);
  const login = 'log in as the user paycue runs as: paycue --telegram';
  const st = await stat(file).catch(() => null);
  if (!st) return fail('telegram session', `${file} does not exist`, login);
  try {
    await access(file, constants.R_OK);
  } catch {
    return fail('telegram session', `${file} is not readable by this user`, `run paycue as the session's owner, or log in again as this user (${login})`);
  }
  const mode = st.mode & 0o777;
  if (mode !== 0o600) {
    return warn('telegram session', `${file} has mode 0${mode.toString(8)}: others may read the account's key`, `chmod 600 ${file} (and chmod 700 ${dirname(file)})`);
  }
  const dirMode = ((await stat(dirname(file))).mode & 0o777);
  if (dirMode & 0o077) return warn('telegram session', `${dirname(file)} has mode 0${dirMode.toString(8)}`, `chmod 700 ${dirname(file)}`);
  return ok('telegram session', `${file} present, readable, mode 0600`);
}

async function telegramCheck(config: OperatorConfig, target: { host: string; port: number }, timeoutMs: number): Promise<CheckResult> {
  if (config.sandbox) return ok('telegram network', 'not needed (SANDBOX=true)');
  const r = await tcpProbe(target.host, target.port, timeoutMs);
  const where = `${target.host}:${target.port}`;
  if (r.ok) return ok('telegram network', `TCP to ${where} in ${r.ms} ms`);
  return fail('telegram network', `cannot open TCP to Telegram (${where}): ${r.error}`, 'allow outbound TCP 80 and 443 to 149.154.160.0/20 and 91.108.4.0/22 in the firewall');
}

async function webhookCheck(config: OperatorConfig): Promise<CheckResult[]> {
  const s = testEventSettings(config);
  if (!s) {
    return [config.sandbox ? ok('webhook', 'WEBHOOK_URL unset: sandbox sends webhooks to paycue\'s own /health/') : fail('webhook', 'WEBHOOK_URL is not set', 'set WEBHOOK_URL to the merchant\'s callback')];
  }
  const signing = s.secret
    ? ok('webhook signing', 'WEBHOOK_SECRET set: events carry webhook-signature')
    : warn('webhook signing', 'WEBHOOK_SECRET is unset: the merchant cannot tell paycue\'s webhooks from forged ones', 'set WEBHOOK_SECRET=whsec_$(openssl rand -base64 32) and give it to the merchant');
  const { verdict, line } = describeTestEvent(await sendTestEvent(s), s.target.display);
  const result =
    verdict === 'ok' ? ok('webhook', line)
    : verdict === 'answered' ? warn('webhook', line, `the receiver must answer ${s.success === 'ok' ? 'HTTP 200 with {"ok": true}' : 'any 2xx'} (to "action": "test" too); see README, Webhooks`)
    : fail('webhook', line, 'check WEBHOOK_URL and that the merchant\'s server is up and reachable from here');
  return [result, signing];
}

export async function runChecks(env: Record<string, string | undefined>, opts: DoctorOptions = {}): Promise<CheckResult[]> {
  const { result, config } = configCheck(env);
  if (!config) return result;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const [redis, session, telegram, webhook] = await Promise.all([
    redisChecks(config, opts.now ?? Date.now),
    sessionCheck(config),
    telegramCheck(config, opts.telegram ?? TELEGRAM, timeoutMs),
    webhookCheck(config),
  ]);
  return [...result, ...redis, session, telegram, ...webhook];
}

export async function runDoctor(env: Record<string, string | undefined>, io: CliIO, opts: DoctorOptions & { json?: boolean } = {}): Promise<number> {
  const results = await runChecks(env, opts);
  for (const r of results) {
    if (opts.json) io.out(JSON.stringify(r));
    else io.out(`${r.level.padEnd(4)}  ${r.check}: ${r.detail}${r.fix ? `\n      fix: ${r.fix}` : ''}`);
  }
  return results.some((r) => r.level === 'fail') ? 1 : 0;
}
