// `paycue --telegram [--qr]`, `paycue telegram send-code|verify|status|logout|export-session`. Each
// returns the process exit code: 0 success, 1 failure (the message says why), 2 bad
// usage/configuration. status and logout work on the session the daemon would use:
// TELEGRAM_SESSION when set, else SESSION_DIR's file.
import { Api } from 'telegram';
import type { RedisConnection } from '../redis/client.js';
import { redisTarget } from '../config/redis.js';
import type { OperatorConfig as Config } from '../config/env.js';
import { createLogger, type Logger } from '../log/logger.js';
import { connectRedis, createRedis } from '../redis/client.js';
import { Commands } from '../redis/commands.js';
import { createTelegramClient, connectWithTimeout, DEFAULT_CONNECT_TIMEOUT_MS, parseStringSession, qrLoginClient } from '../telegram/client-factory.js';
import { qrLogin, type QrLoginClient } from '../telegram/qr-login.js';
import { terminalQrDisplay } from './qr-terminal.js';
import { describeError, isAuthKeyDuplicated, isSessionRevoked, TimeoutError, withTimeout } from '../telegram/errors.js';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  displayUser,
  interactiveLogin,
  normaliseCode,
  normalisePhone,
  reportLoginError,
  sessionString,
  type ComputeCheck,
  type LoginClient,
  type LoginContext,
} from '../telegram/login.js';
import type { PromptIO } from '../telegram/prompt.js';
import { sendCodeStep, verifyStep } from '../telegram/login-flow.js';
import {
  loadPendingLogin,
  loadSession,
  removePendingLogin,
  removeSession,
  saveSession,
  sessionPath,
} from '../telegram/session-store.js';
import { describeLockHolder, holderIsDead } from '../telegram/session-lock.js';
import { sessionStringProblem } from '../telegram/session-string.js';

/** Test seams; production callers pass nothing. */
export interface TelegramCommandDeps {
  /** Builds the client for a session string ('' = fresh). Default: a real GramJS client. */
  createClient?: (session: string) => LoginClient;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  computeCheck?: ComputeCheck;
  /** Where GramJS's own log lines go (default: stderr, errors only unless DEBUG=true). */
  log?: Logger;
  /** Redis used to see whether a daemon holds the session lock; null skips the check. */
  redis?: RedisConnection | null;
  /** The QR login's client for a session string. Default: a real GramJS client. */
  createQrClient?: (session: string) => QrLoginClient;
  /** Give up the QR login when nobody scanned within this long. */
  qrTimeoutMs?: number;
  /** Whether stdout is a terminal (a new QR code is drawn over the old one). Default: process.stdout.isTTY. */
  tty?: boolean;
}

function credentials(config: Config, io: PromptIO): { appId: number; appHash: string } | null {
  const missing = [config.appId ? null : 'APP_ID', config.appHash ? null : 'APP_HASH'].filter(Boolean);
  if (missing.length > 0 || !config.appId || !config.appHash) {
    io.error(
      `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set. Telegram commands need APP_ID and APP_HASH ` +
        '(create them at https://my.telegram.org → API development tools) in the environment or .env.',
    );
    return null;
  }
  return { appId: config.appId, appHash: config.appHash };
}

function cliLogger(config: Config, deps: TelegramCommandDeps): Logger {
  return deps.log ?? createLogger({ debug: false, level: config.debug ? 'debug' : 'error', destination: process.stderr });
}

function clientMaker(config: Config, creds: { appId: number; appHash: string }, deps: TelegramCommandDeps): (s: string) => LoginClient {
  if (deps.createClient) return deps.createClient;
  const log = cliLogger(config, deps);
  return (session) =>
    createTelegramClient({ appId: creds.appId, appHash: creds.appHash, session: parseStringSession(session), log, purpose: 'cli' });
}

async function connectOrReport(client: LoginClient, io: PromptIO, deps: TelegramCommandDeps): Promise<boolean> {
  const ms = deps.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  try {
    await connectWithTimeout(client, ms);
    return true;
  } catch (err) {
    const why = err instanceof TimeoutError ? `no connection within ${Math.round(ms / 100) / 10} s` : describeError(err);
    io.error(`Cannot reach Telegram (${why}). Check this machine's network connection (DNS, firewall, proxy) and try again.`);
    return false;
  }
}

async function closeClient(client: LoginClient | undefined): Promise<void> {
  if (!client) return;
  await withTimeout(client.destroy(), 5000, 'closing the Telegram connection').catch(() => undefined);
}

function loginContext(client: LoginClient, io: PromptIO, creds: { appId: number; appHash: string }, deps: TelegramCommandDeps): LoginContext {
  return {
    client,
    io,
    apiId: creds.appId,
    apiHash: creds.appHash,
    requestTimeoutMs: deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    computeCheck: deps.computeCheck,
  };
}

async function finishLogin(config: Config, io: PromptIO, client: LoginClient, user: Api.User): Promise<number> {
  const session = sessionString(client);
  if (!session) {
    io.error('Logged in, but GramJS returned an empty session; nothing was saved.');
    return 1;
  }
  const file = await saveSession(config.sessionDir, session);
  await removePendingLogin(config.sessionDir);
  io.print(`Logged in as ${displayUser(user)}.`);
  io.print(`Session saved to ${file} (mode 0600). Keep it secret: it gives full access to this Telegram account.`);
  if (config.telegramSession) {
    io.print('Note: TELEGRAM_SESSION is set, and the daemon uses it rather than this file: set it to what `paycue telegram export-session` prints.');
  }
  return 0;
}

/** The session the daemon would use: TELEGRAM_SESSION when set, else the saved file. */
async function sessionInUse(config: Config): Promise<{ session: string; from: 'env' | 'file'; where: string } | null> {
  if (config.telegramSession) return { session: config.telegramSession, from: 'env', where: 'TELEGRAM_SESSION' };
  const saved = await loadSession(config.sessionDir);
  return saved ? { session: saved, from: 'file', where: sessionPath(config.sessionDir) } : null;
}

function noSessionMessage(config: Config): string {
  return `No Telegram session saved in ${sessionPath(config.sessionDir)} (and TELEGRAM_SESSION is not set). Run \`paycue --telegram\` to log in.`;
}

/** What a string session grants, said wherever one is shown or saved. */
export const SESSION_WARNING = [
  'WARNING: this string is the Telegram account\'s key. Whoever has it can read and send the account\'s messages,',
  'with no password and no login code, until the session is ended (Telegram → Settings → Devices, or `paycue telegram logout`).',
  'Put it only in your host\'s secret store (as TELEGRAM_SESSION); never paste it in chats, tickets, logs or a repository.',
  'Use it in one place at a time: two processes on one session make Telegram revoke it (AUTH_KEY_DUPLICATED),',
  'unless they share the same Redis (REDIS_URL and REDIS_PREFIX), whose session lock lets only one use it.',
];

/** `paycue telegram export-session`: prints the saved session for TELEGRAM_SESSION (stdout: the session alone). */
export async function runExportSession(config: Config, io: Pick<PromptIO, 'print' | 'error'>): Promise<number> {
  let saved: string | null;
  try {
    saved = await loadSession(config.sessionDir);
  } catch (err) {
    io.error(`Cannot read ${sessionPath(config.sessionDir)}: ${(err as NodeJS.ErrnoException).code ?? describeError(err)}. Run this as the user that logged in.`);
    return 2;
  }
  if (!saved) {
    io.error(`No Telegram session saved in ${sessionPath(config.sessionDir)}: run \`paycue --telegram\` to log in first, then export it.`);
    return 2;
  }
  // What TELEGRAM_SESSION would refuse is not worth copying into a secret store.
  const problem = sessionStringProblem(saved);
  if (problem) {
    io.error(`${sessionPath(config.sessionDir)} holds no usable session (${problem}): run \`paycue --telegram\` to log in again, then export it.`);
    return 2;
  }
  for (const line of SESSION_WARNING) io.error(line);
  io.print(saved);
  return 0;
}

/** Before a new login: null to go on, or the exit code (a saved session the user keeps). */
async function keepSavedSession(config: Config, io: PromptIO): Promise<number | null> {
  if (!(await loadSession(config.sessionDir))) return null;
  let answer: string;
  try {
    answer = await io.ask(`A Telegram session is already saved in ${sessionPath(config.sessionDir)}. Log in again and replace it? [y/N] `);
  } catch (err) {
    return reportLoginError(io, err);
  }
  if (/^y(es)?$/i.test(answer.trim())) return null;
  io.print('Keeping the saved session. (`paycue telegram status` checks it; `paycue telegram logout` removes it.)');
  return 0;
}

/** Both interactive logins: credentials, the saved-session question, connect, the conversation, save. */
async function runLogin<C extends LoginClient>(
  config: Config,
  io: PromptIO,
  deps: TelegramCommandDeps,
  make: (creds: { appId: number; appHash: string }) => C,
  converse: (client: C, creds: { appId: number; appHash: string }) => Promise<Api.User | number>,
): Promise<number> {
  const creds = credentials(config, io);
  if (!creds) return 2;
  const kept = await keepSavedSession(config, io);
  if (kept !== null) return kept;
  let client: C | undefined;
  try {
    client = make(creds);
    if (!(await connectOrReport(client, io, deps))) return 1;
    const result = await converse(client, creds);
    if (typeof result === 'number') return result;
    return await finishLogin(config, io, client, result);
  } catch (err) {
    return reportLoginError(io, err);
  } finally {
    await closeClient(client);
  }
}

/** `paycue --telegram`: the interactive login. */
export function runTelegramLogin(config: Config, io: PromptIO, deps: TelegramCommandDeps = {}): Promise<number> {
  return runLogin(
    config,
    io,
    deps,
    (creds) => clientMaker(config, creds, deps)(''),
    (client, creds) => interactiveLogin(loginContext(client, io, creds, deps), { defaultPhone: config.phone }),
  );
}

/** `paycue --telegram --qr`: the login by scanning a QR code with the Telegram app. */
export function runTelegramQrLogin(config: Config, io: PromptIO, deps: TelegramCommandDeps = {}): Promise<number> {
  const make = (creds: { appId: number; appHash: string }): QrLoginClient =>
    deps.createQrClient?.('') ??
    qrLoginClient(createTelegramClient({ appId: creds.appId, appHash: creds.appHash, session: '', log: cliLogger(config, deps), purpose: 'cli' }));
  return runLogin(config, io, deps, make, (client, creds) =>
    qrLogin({
      ...loginContext(client, io, creds, deps),
      client,
      show: terminalQrDisplay(io, { tty: deps.tty ?? Boolean(process.stdout.isTTY) }),
      ...(deps.qrTimeoutMs !== undefined ? { timeoutMs: deps.qrTimeoutMs } : {}),
    }),
  );
}

/** `paycue telegram send-code [--phone P]`: step one of the non-interactive login. */
export async function runSendCode(config: Config, io: PromptIO, opts: { phone?: string }, deps: TelegramCommandDeps = {}): Promise<number> {
  const creds = credentials(config, io);
  if (!creds) return 2;
  const raw = opts.phone ?? config.phone;
  if (!raw) {
    io.error('No phone number: pass --phone +998901234567 or set TG_PHONE.');
    return 2;
  }
  const phone = normalisePhone(raw);
  if (!phone) {
    io.error(`"${raw}" is not a phone number. Use the international format, e.g. +998901234567.`);
    return 2;
  }
  let client: LoginClient | undefined;
  try {
    client = clientMaker(config, creds, deps)('');
    if (!(await connectOrReport(client, io, deps))) return 1;
    const out = await sendCodeStep(loginContext(client, io, creds, deps), config.sessionDir, phone);
    if (out.kind === 'logged_in') return await finishLogin(config, io, client, out.user);
    if (out.kind === 'empty_session') {
      io.error('GramJS returned an empty session after sending the code; verify could not continue it. Run send-code again.');
      return 1;
    }
    io.print(`Telegram sent a login code ${out.via}.`);
    io.print('Next: paycue telegram verify --code <code>   (add --password <password> if the account has two-step verification)');
    return 0;
  } catch (err) {
    return reportLoginError(io, err);
  } finally {
    await closeClient(client);
  }
}

/** `paycue telegram verify --code C [--password P]`: step two, on the same session as send-code. */
export async function runVerify(
  config: Config,
  io: PromptIO,
  opts: { code: string; password?: string },
  deps: TelegramCommandDeps = {},
): Promise<number> {
  const creds = credentials(config, io);
  if (!creds) return 2;
  const pending = await loadPendingLogin(config.sessionDir);
  if (!pending) {
    io.error('No login in progress: run `paycue telegram send-code` first.');
    return 2;
  }
  const code = normaliseCode(opts.code ?? '');
  if (!pending.passwordNeeded && !code) {
    io.error('The login code is empty: pass --code <code>.');
    return 2;
  }
  if (pending.passwordNeeded && !opts.password) {
    io.error('The code was accepted; this account has two-step verification: run `paycue telegram verify --code <code> --password <password>`.');
    return 2;
  }
  let client: LoginClient | undefined;
  try {
    client = clientMaker(config, creds, deps)(pending.session);
    if (!(await connectOrReport(client, io, deps))) return 1;
    const out = await verifyStep(loginContext(client, io, creds, deps), config.sessionDir, pending, code, opts.password);
    switch (out.kind) {
      case 'logged_in':
        return await finishLogin(config, io, client, out.user);
      case 'no_account':
        io.error(`${out.phone} has no Telegram account. Sign up with an official Telegram app first.`);
        return 1;
      case 'wrong_code':
        io.error('That code is wrong. Run `paycue telegram verify --code <code>` again with the right code.');
        return 1;
      case 'code_resent':
        io.error(`The code had expired; Telegram sent a new one ${out.via}. Run \`paycue telegram verify --code <new code>\`.`);
        return 1;
      case 'password_needed':
        io.error('This account has two-step verification: run `paycue telegram verify --code <code> --password <password>`.');
        return 1;
      case 'wrong_password':
        io.error('Wrong two-step verification password. Run verify again with the right --password.');
        return 1;
    }
  } catch (err) {
    return reportLoginError(io, err);
  } finally {
    await closeClient(client);
  }
}

/** Whether a running daemon holds the session lock: its description, or null. Unknown (Redis down) is null with a note. */
async function lockHolder(config: Config, io: PromptIO, deps: TelegramCommandDeps): Promise<string | null> {
  if (deps.redis === null) return null;
  let redis = deps.redis;
  let own = false;
  if (!redis) {
    redis = createRedis({ target: redisTarget(config), name: 'paycue-cli', commandTimeoutMs: 2000 });
    own = true;
  }
  try {
    if (!(await connectRedis(redis, 2000))) {
      io.error('(Redis is unreachable, so it is unknown whether a paycue daemon is using the session right now.)');
      return null;
    }
    const v = await Commands.forPrefix(redis, config.redisPrefix).lockHolder();
    // A lock left by a process of this host that is gone is no daemon: the daemon takes it over too.
    return v === null || holderIsDead(v) ? null : describeLockHolder(v);
  } catch {
    return null;
  } finally {
    if (own) redis.disconnect();
  }
}

/** `paycue telegram status`: does the saved session work, and which account is it. */
export async function runTelegramStatus(config: Config, io: PromptIO, deps: TelegramCommandDeps = {}): Promise<number> {
  const creds = credentials(config, io);
  if (!creds) return 2;
  const found = await sessionInUse(config);
  if (!found) {
    io.print(noSessionMessage(config));
    return 1;
  }
  const { session } = found;
  const which = found.from === 'env' ? 'The session in TELEGRAM_SESSION' : 'The saved session';
  const holder = await lockHolder(config, io, deps);
  if (holder) {
    // Connecting a second process with the same session risks AUTH_KEY_DUPLICATED.
    io.print(`${which} is in use by a running paycue daemon (${holder}); not connecting a second time.`);
    io.print('Its state is on the daemon\'s GET /ready endpoint.');
    return 0;
  }
  let client: LoginClient | undefined;
  try {
    client = clientMaker(config, creds, deps)(session);
    if (!(await connectOrReport(client, io, deps))) return 1;
    const users = await withTimeout(
      client.invoke(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] })),
      deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      'Telegram request users.GetUsers',
    );
    const me = users[0];
    if (!(me instanceof Api.User)) throw new Error('Telegram did not return the account');
    io.print(`${which} works: logged in as ${displayUser(me)}.`);
    io.print(found.from === 'env' ? 'Session: TELEGRAM_SESSION (the environment; no session file is read)' : `Session file: ${found.where}`);
    return 0;
  } catch (err) {
    if (isSessionRevoked(err) || isAuthKeyDuplicated(err)) {
      io.error(
        `${which} no longer works (${describeError(err)}): it was logged out or terminated. Run \`paycue --telegram\` to log in again` +
          (found.from === 'env' ? ', then set TELEGRAM_SESSION to what `paycue telegram export-session` prints.' : '.'),
      );
      return 1;
    }
    return reportLoginError(io, err);
  } finally {
    await closeClient(client);
  }
}

/** `paycue telegram logout`: ends the session at Telegram and removes it from SESSION_DIR (with
 * TELEGRAM_SESSION: ends that one, and says to remove the variable). */
export async function runTelegramLogout(config: Config, io: PromptIO, deps: TelegramCommandDeps = {}): Promise<number> {
  const creds = credentials(config, io);
  if (!creds) return 2;
  const found = await sessionInUse(config);
  if (!found) {
    await removeSession(config.sessionDir);
    io.print(`No Telegram session saved in ${sessionPath(config.sessionDir)} (and TELEGRAM_SESSION is not set); nothing to log out.`);
    return 0;
  }
  const { session } = found;
  const notRemoved =
    found.from === 'env'
      ? 'The session was NOT ended. Retry later, or end it in Telegram → Settings → Devices and remove TELEGRAM_SESSION.'
      : `The session was NOT removed. Retry later, or delete ${sessionPath(config.sessionDir)} yourself and end the session in Telegram → Settings → Devices.`;
  const holder = await lockHolder(config, io, deps);
  if (holder) {
    io.error(`A running paycue daemon is using this session (${holder}). Stop it first, then log out.`);
    return 1;
  }
  let client: LoginClient | undefined;
  let alreadyInvalid = false;
  try {
    client = clientMaker(config, creds, deps)(session);
    if (!(await connectOrReport(client, io, deps))) {
      io.error(notRemoved);
      return 1;
    }
    try {
      await withTimeout(client.invoke(new Api.auth.LogOut()), deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 'Telegram request auth.LogOut');
    } catch (err) {
      if (!(isSessionRevoked(err) || isAuthKeyDuplicated(err))) throw err;
      alreadyInvalid = true;
    }
  } catch (err) {
    const code = reportLoginError(io, err);
    io.error(notRemoved);
    return code;
  } finally {
    await closeClient(client);
  }
  if (found.from === 'env') {
    // A file holding the same session is just as dead now.
    if ((await loadSession(config.sessionDir).catch(() => null)) === session) await removeSession(config.sessionDir).catch(() => undefined);
    io.print(alreadyInvalid ? 'The session in TELEGRAM_SESSION was already invalid at Telegram.' : 'Logged out of Telegram: the session in TELEGRAM_SESSION is ended.');
    io.print('Remove TELEGRAM_SESSION from the environment and from your host\'s secret store: it no longer works.');
    return 0;
  }
  await removeSession(config.sessionDir);
  io.print(
    alreadyInvalid
      ? `The session was already invalid at Telegram; removed ${sessionPath(config.sessionDir)}.`
      : `Logged out of Telegram and removed ${sessionPath(config.sessionDir)}.`,
  );
  return 0;
}
