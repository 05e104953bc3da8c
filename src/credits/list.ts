// GET /credits and `paycue credits list`: newest first by bank time, cursor pagination.
import type { TxContext } from '../transactions/context.js';
import { readPage, type Page, type PageQuery } from '../lists/page.js';
import { CREDIT_FIELDS, creditFromHash, creditToPublic, type CreditState, type PublicCredit } from './record.js';

export interface CreditQuery extends PageQuery {
  state?: CreditState;
}

export async function listCredits(ctx: TxContext, q: CreditQuery): Promise<Page<PublicCredit>> {
  const k = ctx.keys;
  const index = q.state === 'open' ? k.creditsOpen : q.state === 'resolved' ? k.creditsResolved : k.creditsAll;
  return readPage(ctx.redis, index, q, async (ids) => {
    const rows = await ctx.commands.rows(ids.map((id) => k.credit(id)), [...CREDIT_FIELDS]);
    return rows.map((h) => {
      const c = creditFromHash(h);
      // A record that moved on since the index was read (attached meanwhile) is left out here.
      return c && (q.state === undefined || c.state === q.state) ? creditToPublic(c, ctx.rules.step) : null;
    });
  });
}
