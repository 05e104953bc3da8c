// Transaction ids are UUID v4s; clients may send them in any case.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The id in its stored (lower-case) form, or null when it cannot be a transaction id. */
export function parseTransactionId(raw: string): string | null {
  const id = raw.trim().toLowerCase();
  return UUID.test(id) ? id : null;
}
