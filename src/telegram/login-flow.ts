// The two-step login without a terminal (`telegram send-code`, then `telegram verify`): the
// state kept between the steps (the same session, the code hash, whether 2FA is needed) and
// what each Telegram answer means. The CLI only turns the outcomes into words.
import type { Api } from 'telegram';
import { describeError } from './errors.js';
import { sendLoginCode, sessionString, signInWithCode, signInWithPassword, type LoginContext } from './login.js';
import { removePendingLogin, savePendingLogin, type PendingLogin } from './session-store.js';

export type SendCodeOutcome =
  | { kind: 'logged_in'; user: Api.User }
  | { kind: 'code_sent'; via: string }
  | { kind: 'empty_session' };

/** Step one: ask Telegram for a code and keep the session it was asked on. */
export async function sendCodeStep(ctx: LoginContext, sessionDir: string, phone: string): Promise<SendCodeOutcome> {
  const sent = await sendLoginCode(ctx, phone);
  if (sent.user) return { kind: 'logged_in', user: sent.user };
  const session = sessionString(ctx.client);
  if (!session) return { kind: 'empty_session' };
  await savePendingLogin(sessionDir, { session, phone, phoneCodeHash: sent.phoneCodeHash, sentAt: Date.now() });
  return { kind: 'code_sent', via: sent.via };
}

export type VerifyOutcome =
  | { kind: 'logged_in'; user: Api.User }
  | { kind: 'wrong_code' }
  | { kind: 'code_resent'; via: string }
  | { kind: 'no_account'; phone: string }
  | { kind: 'password_needed' }
  | { kind: 'wrong_password' };

/** Step two, on the session step one saved: the code, then the 2FA password if the account has one. */
export async function verifyStep(
  ctx: LoginContext,
  sessionDir: string,
  pending: PendingLogin,
  code: string,
  password: string | undefined,
): Promise<VerifyOutcome> {
  if (!pending.passwordNeeded) {
    try {
      const user = await signInWithCode(ctx, pending.phone, pending.phoneCodeHash, code);
      if (user !== 'signup') return { kind: 'logged_in', user };
      await removePendingLogin(sessionDir);
      return { kind: 'no_account', phone: pending.phone };
    } catch (err) {
      const rpc = describeError(err);
      if (rpc === 'PHONE_CODE_INVALID' || rpc === 'PHONE_CODE_EMPTY') return { kind: 'wrong_code' };
      if (rpc === 'PHONE_CODE_EXPIRED') {
        const sent = await sendLoginCode(ctx, pending.phone);
        if (sent.user) return { kind: 'logged_in', user: sent.user };
        await savePendingLogin(sessionDir, {
          ...pending,
          session: sessionString(ctx.client) || pending.session,
          phoneCodeHash: sent.phoneCodeHash,
          sentAt: Date.now(),
        });
        return { kind: 'code_resent', via: sent.via };
      }
      if (rpc !== 'SESSION_PASSWORD_NEEDED') throw err;
      await savePendingLogin(sessionDir, { ...pending, session: sessionString(ctx.client) || pending.session, passwordNeeded: true });
    }
  }
  if (!password) return { kind: 'password_needed' };
  try {
    return { kind: 'logged_in', user: await signInWithPassword(ctx, password) };
  } catch (err) {
    if (describeError(err) === 'PASSWORD_HASH_INVALID') return { kind: 'wrong_password' };
    throw err;
  }
}
