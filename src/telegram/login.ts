// The Telegram login conversation, on top of three requests (auth.SendCode, auth.SignIn,
// auth.CheckPassword). GramJS's client.start() is not used: its retry loops re-prompt forever
// on PHONE_CODE_EXPIRED and hide flood waits; here each branch is explicit:
//   wrong code -> ask again; expired code -> send a new one; 2FA -> hidden password prompt;
//   flood wait -> say how long and stop; no answer from Telegram -> a clear error, bounded in time.
// Secrets (code, password, session) are never printed or logged.
import { Api } from 'telegram';
import { computeCheck as gramComputeCheck } from 'telegram/Password.js';
import type { PromptIO } from './prompt.js';
import { PromptClosedError } from './prompt.js';
import { TimeoutError, describeError, floodWaitMessage, floodWaitSeconds, rpcErrorCode, withTimeout } from './errors.js';

/** The part of TelegramClient the login needs (tests script it). */
export interface LoginClient {
  connect(): Promise<boolean | void>;
  invoke<R extends Api.AnyRequest>(request: R): Promise<R['__response']>;
  destroy(): Promise<void>;
  session: { save(): unknown };
}

export type ComputeCheck = (password: Api.account.Password, secret: string) => Promise<Api.TypeInputCheckPasswordSRP>;

export interface LoginContext {
  client: LoginClient;
  io: PromptIO;
  apiId: number;
  apiHash: string;
  requestTimeoutMs: number;
  computeCheck?: ComputeCheck;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const MAX_WRONG_CODES = 5;
const MAX_CODE_RESENDS = 3;
const MAX_PASSWORD_ATTEMPTS = 5;
const MAX_PHONE_ATTEMPTS = 5;

export interface SentCodeInfo {
  phoneCodeHash: string;
  /** Human description of where the code went. */
  via: string;
  /** Telegram logged the account in without a code (future auth token). */
  user?: Api.User;
}

/** Strips spaces, dashes, dots and parentheses; null when it does not look like a phone number. */
export function normalisePhone(input: string): string | null {
  const s = input.trim().replace(/[\s\-().]/g, '');
  return /^\+?\d{7,15}$/.test(s) ? s : null;
}

export function normaliseCode(input: string): string {
  return input.trim().replace(/[\s\-]/g, '');
}

export function displayUser(u: Api.User): string {
  const name = [u.firstName, u.lastName].filter(Boolean).join(' ') || '(no name)';
  return `${name}${u.username ? ` (@${u.username})` : ''}, id ${u.id.toString()}`;
}

function describeSentCode(type: Api.auth.TypeSentCodeType, phone: string): string {
  if (type instanceof Api.auth.SentCodeTypeApp) return 'to your Telegram app (the "Telegram" chat on your other devices)';
  if (type instanceof Api.auth.SentCodeTypeSms || type instanceof Api.auth.SentCodeTypeFirebaseSms) return `by SMS to ${phone}`;
  if (type instanceof Api.auth.SentCodeTypeSmsWord || type instanceof Api.auth.SentCodeTypeSmsPhrase) return `by SMS to ${phone}`;
  if (type instanceof Api.auth.SentCodeTypeCall) return `by a phone call to ${phone}`;
  if (type instanceof Api.auth.SentCodeTypeFlashCall || type instanceof Api.auth.SentCodeTypeMissedCall)
    return `as a missed call to ${phone} (the code is the last digits of the calling number)`;
  if (type instanceof Api.auth.SentCodeTypeEmailCode) return `by e-mail to ${type.emailPattern}`;
  if (type instanceof Api.auth.SentCodeTypeFragmentSms) return `to your anonymous number on ${type.url}`;
  return 'by Telegram';
}

/** One request, bounded by the login's request timeout. */
export function call<R extends Api.AnyRequest>(ctx: LoginContext, req: R): Promise<R['__response']> {
  return withTimeout(ctx.client.invoke(req), ctx.requestTimeoutMs, `Telegram request ${req.className}`);
}

/** auth.SendCode. Throws GramJS errors (flood waits, PHONE_NUMBER_INVALID, ...) and TimeoutError. */
export async function sendLoginCode(ctx: LoginContext, phone: string): Promise<SentCodeInfo> {
  const res = await call(
    ctx,
    new Api.auth.SendCode({ phoneNumber: phone, apiId: ctx.apiId, apiHash: ctx.apiHash, settings: new Api.CodeSettings({}) }),
  );
  if (res instanceof Api.auth.SentCodeSuccess) {
    const auth = res.authorization;
    if (auth instanceof Api.auth.Authorization && auth.user instanceof Api.User) return { phoneCodeHash: '', via: '', user: auth.user };
    throw new Error('Telegram answered the code request with an unexpected authorisation');
  }
  if (res.type instanceof Api.auth.SentCodeTypeSetUpEmailRequired) {
    throw new Error('Telegram requires a login e-mail for this account: log in once with an official Telegram app to set it up, then retry');
  }
  return { phoneCodeHash: res.phoneCodeHash, via: describeSentCode(res.type, phone) };
}

/** auth.SignIn: the user, or 'signup' when the number has no Telegram account. Throws on RPC errors. */
export async function signInWithCode(ctx: LoginContext, phone: string, phoneCodeHash: string, code: string): Promise<Api.User | 'signup'> {
  const res = await call(ctx, new Api.auth.SignIn({ phoneNumber: phone, phoneCodeHash, phoneCode: code }));
  if (res instanceof Api.auth.AuthorizationSignUpRequired) return 'signup';
  if (res.user instanceof Api.User) return res.user;
  throw new Error('Telegram signed in without returning the account');
}

/** account.GetPassword + auth.CheckPassword (SRP; the password itself never leaves this process). */
export async function signInWithPassword(ctx: LoginContext, password: string, srp?: Api.account.Password): Promise<Api.User> {
  const params = srp ?? (await call(ctx, new Api.account.GetPassword()));
  const check = await (ctx.computeCheck ?? gramComputeCheck)(params, password);
  const res = await call(ctx, new Api.auth.CheckPassword({ password: check }));
  if (res instanceof Api.auth.Authorization && res.user instanceof Api.User) return res.user;
  throw new Error('Telegram accepted the password without returning the account');
}

/** Prints what went wrong and returns the exit code. */
export function reportLoginError(io: PromptIO, err: unknown): number {
  const wait = floodWaitSeconds(err);
  if (wait !== null) {
    io.error(floodWaitMessage(wait));
    return 1;
  }
  if (err instanceof TimeoutError) {
    io.error(
      `Telegram did not answer: ${err.message}. Check this machine's network connection (DNS, firewall, proxy) and try again.`,
    );
    return 1;
  }
  if (err instanceof PromptClosedError) {
    io.error('Login cancelled (input closed).');
    return 1;
  }
  const code = rpcErrorCode(err);
  switch (code) {
    case 'API_ID_INVALID':
    case 'API_ID_PUBLISHED_FLOOD':
      io.error(`Telegram rejected APP_ID / APP_HASH (${code}). Copy both from https://my.telegram.org → API development tools.`);
      return 2;
    case 'PHONE_NUMBER_BANNED':
      io.error('Telegram says this phone number is banned (PHONE_NUMBER_BANNED).');
      return 1;
    case 'PHONE_NUMBER_INVALID':
      io.error('Telegram says this is not a valid phone number (PHONE_NUMBER_INVALID). Use the international format, e.g. +998901234567.');
      return 1;
    case 'PHONE_CODE_EXPIRED':
      io.error('The login code expired (PHONE_CODE_EXPIRED).');
      return 1;
    case 'AUTH_RESTART':
      io.error('Telegram asked to restart the login (AUTH_RESTART). Run the command again.');
      return 1;
    case 'AUTH_TOKEN_EXPIRED':
    case 'AUTH_TOKEN_INVALID':
    case 'AUTH_TOKEN_ALREADY_ACCEPTED':
      io.error(`The QR login could not finish (${code}): the code expired while the login moved to another data centre. Run the command again.`);
      return 1;
    default:
      io.error(`Telegram login failed: ${describeError(err)}`);
      return 1;
  }
}

/**
 * The interactive conversation. Resolves with the logged-in user, or with an exit code after
 * having printed why it stopped.
 */
export async function interactiveLogin(ctx: LoginContext, opts: { defaultPhone?: string }): Promise<Api.User | number> {
  const { io } = ctx;
  let phone: string | null = null;
  let sent: SentCodeInfo | null = null;
  for (let attempt = 0; attempt < MAX_PHONE_ATTEMPTS && !sent; attempt++) {
    let answer: string;
    try {
      answer = (await io.ask(`Phone number (international format)${opts.defaultPhone ? ` [${opts.defaultPhone}]` : ''}: `)).trim();
    } catch (err) {
      return reportLoginError(io, err);
    }
    phone = normalisePhone(answer || opts.defaultPhone || '');
    if (!phone) {
      io.error('That is not a phone number. Use the international format, e.g. +998901234567.');
      continue;
    }
    try {
      sent = await sendLoginCode(ctx, phone);
    } catch (err) {
      if (rpcErrorCode(err) === 'PHONE_NUMBER_INVALID') {
        io.error(`Telegram says ${phone} is not a valid phone number. Type it again.`);
        continue;
      }
      return reportLoginError(io, err);
    }
  }
  if (!sent || !phone) {
    io.error('No valid phone number given.');
    return 1;
  }
  if (sent.user) return sent.user;
  io.print(`Telegram sent a login code ${sent.via}.`);

  let wrong = 0;
  let resends = 0;
  for (;;) {
    let code: string;
    try {
      code = normaliseCode(await io.ask('Login code: '));
    } catch (err) {
      return reportLoginError(io, err);
    }
    if (!code) {
      io.error('The code is empty; type the code Telegram sent.');
      continue;
    }
    try {
      const user = await signInWithCode(ctx, phone, sent.phoneCodeHash, code);
      if (user === 'signup') {
        io.error(`${phone} has no Telegram account. Sign up with an official Telegram app first, then run this again.`);
        return 1;
      }
      return user;
    } catch (err) {
      const rpc = rpcErrorCode(err);
      if (rpc === 'PHONE_CODE_INVALID' || rpc === 'PHONE_CODE_EMPTY') {
        wrong++;
        if (wrong >= MAX_WRONG_CODES) {
          io.error(`That code is wrong (${wrong} wrong codes); giving up. Run the command again later.`);
          return 1;
        }
        io.error('That code is wrong. Check it and type it again.');
        continue;
      }
      if (rpc === 'PHONE_CODE_EXPIRED') {
        resends++;
        if (resends > MAX_CODE_RESENDS) return reportLoginError(io, err);
        io.print('The code has expired; asking Telegram for a new one.');
        try {
          sent = await sendLoginCode(ctx, phone);
        } catch (e) {
          return reportLoginError(io, e);
        }
        if (sent.user) return sent.user;
        io.print(`Telegram sent a new login code ${sent.via}.`);
        continue;
      }
      if (rpc === 'SESSION_PASSWORD_NEEDED') return passwordConversation(ctx);
      return reportLoginError(io, err);
    }
  }
}

/** The 2FA password, asked hidden and checked by SRP (after a code, or after a QR scan). */
export async function passwordConversation(ctx: LoginContext): Promise<Api.User | number> {
  const { io } = ctx;
  for (let attempt = 1; attempt <= MAX_PASSWORD_ATTEMPTS; attempt++) {
    try {
      // New SRP parameters for every attempt: each srp_id can be used once.
      const srp = await call(ctx, new Api.account.GetPassword());
      const password = await io.askHidden(`Two-step verification password${srp.hint ? ` (hint: ${srp.hint})` : ''}: `);
      if (!password) {
        io.error('The password is empty.');
        continue;
      }
      return await signInWithPassword(ctx, password, srp);
    } catch (err) {
      if (rpcErrorCode(err) === 'PASSWORD_HASH_INVALID') {
        io.error('Wrong password. Try again.');
        continue;
      }
      return reportLoginError(io, err);
    }
  }
  io.error(`Wrong password ${MAX_PASSWORD_ATTEMPTS} times; giving up.`);
  return 1;
}

/** The session string of a logged-in client ('' when it has none). */
export function sessionString(client: LoginClient): string {
  const s = client.session.save();
  return typeof s === 'string' ? s : '';
}
