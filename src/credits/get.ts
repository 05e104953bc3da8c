import type { TxContext } from '../transactions/context.js';
import { auditOf, type AuditEntry } from './audit.js';
import { creditFromHash, type CreditRecord } from './record.js';

/** Credit ids as paycue makes them (`cr_` + 16 hex). */
export function parseCreditId(raw: string): string | null {
  const id = raw.trim().toLowerCase();
  return /^cr_[0-9a-f]{16}$/.test(id) ? id : null;
}

export async function getCredit(ctx: TxContext, id: string): Promise<CreditRecord | null> {
  return creditFromHash(await ctx.redis.hgetall(ctx.keys.credit(id)));
}

export async function getCreditWithAudit(ctx: TxContext, id: string): Promise<{ credit: CreditRecord; audit: AuditEntry[] } | null> {
  const credit = await getCredit(ctx, id);
  return credit ? { credit, audit: await auditOf(ctx, 'credit', id) } : null;
}
