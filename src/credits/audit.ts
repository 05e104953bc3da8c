// Who did what by hand, when and why: one entry per manual action (API, CLI, Telegram button),
// written in the same script as the action and shown with the record it touched.
import type { TxContext } from '../transactions/context.js';

/** Who acts: `api:<API_USERNAME>`, `cli:<user>@<host>`, `telegram:<user id> (@name)`. */
export interface Actor {
  by: string;
  /** Acting through an alert's button, which edits that alert itself. */
  viaAlert?: true;
}

export const apiActor = (username: string): Actor => ({ by: `api:${username}` });
export const cliActor = (user: string, host: string): Actor => ({ by: `cli:${user}@${host}` });
export const telegramActor = (id: number, username?: string): Actor => ({ by: `telegram:${id}${username ? ` (@${username})` : ''}`, viaAlert: true });

export type AuditAction = 'attach' | 'dismiss' | 'confirm' | 'cancel' | 'redeliver';

export interface AuditEntry {
  at: string;
  by: string;
  action: AuditAction;
  reason: string;
  credit_id?: string;
  transaction_id?: string;
}

export function auditEntry(now: number, actor: Actor, action: AuditAction, reason: string, ids: { credit?: string; tx?: string }): string {
  const e: AuditEntry = {
    at: new Date(now).toISOString(),
    by: actor.by,
    action,
    reason,
    ...(ids.credit ? { credit_id: ids.credit } : {}),
    ...(ids.tx ? { transaction_id: ids.tx } : {}),
  };
  return JSON.stringify(e);
}

export async function auditOf(ctx: TxContext, kind: 'tx' | 'credit', id: string): Promise<AuditEntry[]> {
  return (await ctx.redis.lrange(ctx.keys.audit(kind, id), 0, -1)).map((s) => JSON.parse(s) as AuditEntry);
}

/** A reason is required for every manual action, and kept short. */
export const MAX_REASON = 500;
