/** One field that differs between the transaction posted under an event id and an event that reuses the id. */
export interface LedgerFieldDifference {
  field: string;
  /** The values as written in a reason: see `ledgerConflictValue`. */
  posted: string;
  received: string;
}

/** An event id (or an adjusting entry's idempotency key) already posted, received again with different content. */
export interface LedgerConflict {
  eventId: string;
  transactionId: string;
  differences: LedgerFieldDifference[];
  /** Set for an adjusting entry: the conflict is worded by the key its poster chose, not the derived event id. */
  idempotencyKey?: string;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const EVENT_CONFLICT = new RegExp(
  `(?:^|: )(conflict: eventId (.+?) was posted as transaction (${UUID}) with .+)$`,
  's',
);

/**
 * How the ledger words a conflict: `conflict: eventId rev-1 was posted as transaction <id> with
 * amountMinor 500, currency USD; this event has amountMinor 700, currency EUR`, every differing field
 * with its posted and its received value. The ledger dead-letters a conflicting event with this
 * reason (the bus prefixes `rejected: `) and answers it with a 409 to an adjusting entry; the
 * governance monitor reads it back with `parseLedgerConflict`.
 */
export function ledgerConflictReason(c: LedgerConflict): string {
  const [id, received] =
    c.idempotencyKey !== undefined
      ? [`idempotencyKey ${c.idempotencyKey}`, 'entry']
      : [`eventId ${c.eventId}`, 'event'];
  const side = (k: 'posted' | 'received') => c.differences.map((d) => `${d.field} ${d[k]}`).join(', ');
  return `conflict: ${id} was posted as transaction ${c.transactionId} with ${side('posted')}; this ${received} has ${side('received')}`;
}

/**
 * A value in a conflict reason: a number or a plain token as it is, a missing value as `none`, any
 * other text JSON-quoted, so that no value can be read as a separator or as another field.
 */
export function ledgerConflictValue(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'number') return String(v);
  return /^[A-Za-z0-9_.:@+/-]+$/.test(v) && v !== 'none' ? v : JSON.stringify(v);
}

/** The event conflict a dead letter's reason describes (see `ledgerConflictReason`), or null for any other reason. */
export function parseLedgerConflict(reason: string): { eventId: string; transactionId: string; reason: string } | null {
  const m = EVENT_CONFLICT.exec(reason);
  return m ? { reason: m[1]!, eventId: m[2]!, transactionId: m[3]! } : null;
}
