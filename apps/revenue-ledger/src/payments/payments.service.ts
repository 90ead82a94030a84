import { Inject, Injectable } from '@nestjs/common';
import {
  type LedgerFieldDifference,
  ledgerConflictReason,
  ledgerConflictValue,
  type PaymentEventV1,
  type PaymentMovementV1,
} from '@juggernaut/contracts';
import { currentCorrelationId, Metrics } from '@juggernaut/observability';
import type { Narrow, Queryable } from '@juggernaut/persistence';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { type Account, AccountsRepository } from '../accounts/accounts.repository';
import type { LedgerEnv } from '../config';
import { LedgerMetrics } from '../ledger-metrics';
import type { JournalEntry } from '../posting/journal-entry';
import { PostingRepository } from '../posting/posting.repository';
import {
  PaymentEntryError,
  paymentAccountPrefixes,
  paymentAccounts,
  paymentEntry,
  type PostedOriginal,
} from './payment-entries';
import { ATTRIBUTION_FIELDS, canonicalMovement, entryKey, type Movement, requiredKeys } from './payment-movement';
import { stripeMovements } from './stripe-event';
import type { LedgerPaymentEvents, LedgerPaymentWaiting, LedgerTransactions } from '../db/schema.generated';

export type PaymentOutcome =
  | { status: 'applied'; posted: number; waiting: number }
  | { status: 'ignored' }
  | { status: 'duplicate' }
  | { status: 'conflict'; reason: string }
  | { status: 'rejected'; reason: string };

/** The transaction's columns, its attribution columns under their contract names, and its postings. */
type PostedRow = Pick<LedgerTransactions, 'id' | 'event_id'> &
  Record<(typeof ATTRIBUTION_FIELDS)[number], string | null> & {
    postings: Array<{ account: string; currency: string; amountMinor: number | string }>;
  };

/** The movements of a provider event: Stripe's read from the event itself, a generic source's as its mapping made it. */
export function movementsOf(e: PaymentEventV1): Movement[] {
  if (e.source === 'stripe') return e.stripe ? stripeMovements(e.stripe) : [];
  if (!e.movement) return [];
  const m = e.movement as PaymentMovementV1;
  const out: Movement = { ...m };
  // a payment's key is its own ref unless the source says which payment it is
  if (m.kind === 'payment' && !m.paymentRef) out.paymentRef = m.ref;
  for (const k of Object.keys(out) as Array<keyof Movement>) if (out[k] === undefined) delete out[k];
  return [out];
}

/** Movements compared field by field: the differences a conflict names (`movements.0.amountMinor 500 → 700`). */
export function movementDifferences(
  posted: Array<Record<string, unknown>>,
  received: Array<Record<string, unknown>>,
): LedgerFieldDifference[] {
  const out: LedgerFieldDifference[] = [];
  if (posted.length !== received.length)
    out.push({ field: 'movements', posted: String(posted.length), received: String(received.length) });
  for (let i = 0; i < Math.min(posted.length, received.length); i++) {
    for (const k of new Set([...Object.keys(posted[i]!), ...Object.keys(received[i]!)])) {
      const [a, b] = [posted[i]![k], received[i]![k]];
      const text = (v: unknown) =>
        v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : (v as string | number);
      if (JSON.stringify(a) !== JSON.stringify(b))
        out.push({
          field: `movements.${i}.${k}`,
          posted: ledgerConflictValue(text(a)),
          received: ledgerConflictValue(text(b)),
        });
    }
  }
  return out;
}

const ORDER: Record<Movement['kind'], number> = {
  payment: 0,
  payout: 0,
  fee: 1,
  refund: 1,
  dispute_opened: 1,
  dispute_won: 2,
  dispute_lost: 2,
  payout_failed: 1,
};

/**
 * Turns payment providers' events into ledger entries, each once:
 * - a provider event is applied once per source and event id (`payment_events`); the same event again
 *   is a duplicate, another under its id a conflict naming what differs (dead-lettered, alerted);
 * - each movement posts under a key of its own (the payment, not the event: `stripe:payment:pi_…`),
 *   so several events reporting one payment count it once;
 * - a movement whose payment, dispute or payout is not posted yet waits in `payment_waiting` and is
 *   posted, in the same database transaction, by the event that posts what it needs.
 * One database transaction per event, holding an advisory lock per payment it touches, so an event
 * and the ones that wait for it never pass each other.
 */
@Injectable()
export class PaymentsService {
  private readonly events;

  constructor(
    private readonly db: DataSource,
    private readonly accounts: AccountsRepository,
    private readonly posting: PostingRepository,
    private readonly ledgerMetrics: LedgerMetrics,
    metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: LedgerEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.events = metrics.counter(
      'juggernaut_payment_events_total',
      'Payment provider events by what the ledger did with them',
      ['source', 'outcome'],
    );
    metrics.gauge(
      'juggernaut_payment_movements_waiting',
      'Refunds, fees and disputes waiting for the payment they belong to',
      [],
      async function () {
        const [row] = (await db.query(`SELECT count(*)::int AS n FROM ledger.payment_waiting`)) as Array<{ n: number }>;
        this.set(row?.n ?? 0);
      },
    );
  }

  async apply(e: PaymentEventV1): Promise<PaymentOutcome> {
    let outcome: PaymentOutcome;
    try {
      outcome = await this.applyOnce(e);
    } catch (err) {
      // The event's own fault (an entry that cannot be built, a value or rule Postgres refuses): not
      // retried. Anything else (Postgres away) is thrown, so the message is redelivered.
      if (!(err instanceof PaymentEntryError) && !isEntryError(err)) throw err;
      outcome = {
        status: 'rejected',
        reason: `${e.source} event ${e.eventId} (${e.eventType}) cannot be posted: ${(err as Error).message}`,
      };
    }
    this.events.inc({
      source: e.source,
      outcome: outcome.status === 'applied' && outcome.posted === 0 ? 'waiting' : outcome.status,
    });
    return outcome;
  }

  private async applyOnce(e: PaymentEventV1): Promise<PaymentOutcome> {
    if (e.source === 'stripe' && e.stripe && e.stripe['id'] !== e.eventId) {
      return { status: 'rejected', reason: `eventId ${e.eventId} is not the id of the Stripe event it carries` };
    }
    const movements = movementsOf(e).sort((a, b) => ORDER[a.kind] - ORDER[b.kind]);
    const canonical = movements.map(canonicalMovement);
    const hash = createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
    const bank = this.config.PAYMENTS_BANK_ACCOUNT;
    const accounts = await this.accounts.resolve(
      movements.flatMap((m) => this.accountsNamed(e.source, m)),
      paymentAccountPrefixes(bank),
    );
    const posted: JournalEntry[] = [];
    const outcome = await this.db.transaction(async (em): Promise<PaymentOutcome> => {
      // One lock per payment (or payout) touched: the event that posts a payment and the refund waiting for it take turns.
      const groups = [...new Set(movements.map((m) => `${e.source}:${m.paymentRef ?? m.ref}`))].sort();
      for (const g of groups)
        await em.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`ledger:payment:${g}`]);
      const inserted = (await em.query(
        `INSERT INTO ledger.payment_events (id, source, event_id, event_type, content_hash, movements, received_at)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) ON CONFLICT (source, event_id) DO NOTHING RETURNING id`,
        [randomUUID(), e.source, e.eventId, e.eventType, hash, JSON.stringify(canonical), e.receivedAt],
      )) as Array<Pick<LedgerPaymentEvents, 'id'>>;
      if (inserted.length === 0) return this.repeat(em, e, hash, canonical);
      if (movements.length === 0) return { status: 'ignored' };
      const eventRow = inserted[0]!.id;
      let waiting = 0;
      const fresh: string[] = [];
      for (const m of movements) {
        const entry = await this.tryPost(em, e.source, m, accounts);
        if (entry === 'waiting') {
          waiting += (
            (await em.query(
              `INSERT INTO ledger.payment_waiting (entry_key, source, waits_for, movement, payment_event_id) VALUES ($1, $2, $3::text[], $4::jsonb, $5)
             ON CONFLICT (entry_key) DO NOTHING RETURNING entry_key`,
              [entryKey(e.source, m), e.source, requiredKeys(e.source, m), JSON.stringify(m), eventRow],
            )) as unknown[]
          ).length;
        } else if (entry) {
          posted.push(entry);
          fresh.push(entry.eventId);
        }
      }
      posted.push(...(await this.releaseWaiting(em, e.source, fresh, accounts)));
      return { status: 'applied', posted: posted.length, waiting };
    });
    if (posted.length) this.ledgerMetrics.posted(posted);
    return outcome;
  }

  /** An event id seen before: the same movements are a duplicate, others a conflict naming each difference. */
  private async repeat(
    em: Queryable,
    e: PaymentEventV1,
    hash: string,
    canonical: Array<Record<string, unknown>>,
  ): Promise<PaymentOutcome> {
    const [first] = (await em.query(
      `SELECT id, content_hash, movements FROM ledger.payment_events WHERE source = $1 AND event_id = $2`,
      [e.source, e.eventId],
    )) as Array<
      Narrow<
        Pick<LedgerPaymentEvents, 'id' | 'content_hash' | 'movements'>,
        { movements: Array<Record<string, unknown>> }
      >
    >;
    if (!first || first.content_hash === hash) return { status: 'duplicate' };
    const [tx] = (await em.query(
      `SELECT t.id FROM ledger.transactions t WHERE t.event_id = ANY($1::text[]) ORDER BY t.seq LIMIT 1`,
      [first.movements.map((m) => entryKey(e.source, m as unknown as Movement))],
    )) as Array<Pick<LedgerTransactions, 'id'>>;
    return {
      status: 'conflict',
      reason: ledgerConflictReason({
        eventId: `${e.source}:${e.eventId}`,
        transactionId: tx?.id ?? first.id,
        differences: movementDifferences(first.movements, canonical),
      }),
    };
  }

  /** Posts a movement whose requirements are posted: its entry, `null` when another event already posted it, or 'waiting'. */
  private async tryPost(
    em: Queryable,
    source: string,
    m: Movement,
    accounts: Map<string, Account>,
  ): Promise<JournalEntry | null | 'waiting'> {
    const needs = requiredKeys(source, m);
    const found = await this.postedByKey(em, needs);
    if (found.size < needs.length) return 'waiting';
    const entry = paymentEntry(source, m, found, this.config.PAYMENTS_BANK_ACCOUNT);
    const missing = entry.postings.map((p) => p.account).filter((n) => !accounts.has(n));
    if (missing.length) for (const [n, a] of await this.accounts.existing(em, missing)) accounts.set(n, a);
    const absent = entry.postings.map((p) => p.account).filter((n) => !accounts.has(n));
    if (absent.length) throw new PaymentEntryError(`account ${absent.join(', ')} does not exist`);
    const inserted = await this.posting.insert(em, [entry], accounts, currentCorrelationId());
    if (inserted.has(entry.id)) return entry;
    this.logger.debug({ eventId: entry.eventId, kind: m.kind }, 'payment entry already posted by another event');
    return null;
  }

  /** Posts what waited for the entries just posted (and what waited for those), removing each from the waiting list. */
  private async releaseWaiting(
    em: Queryable,
    source: string,
    fresh: string[],
    accounts: Map<string, Account>,
  ): Promise<JournalEntry[]> {
    const out: JournalEntry[] = [];
    let keys = fresh;
    while (keys.length) {
      const rows = (await em.query(
        `SELECT entry_key, movement FROM ledger.payment_waiting WHERE source = $1 AND waits_for && $2::text[] ORDER BY since FOR UPDATE`,
        [source, keys],
      )) as Array<Narrow<Pick<LedgerPaymentWaiting, 'entry_key' | 'movement'>, { movement: Movement }>>;
      keys = [];
      for (const r of rows.sort((a, b) => ORDER[a.movement.kind] - ORDER[b.movement.kind])) {
        const entry = await this.tryPost(em, source, r.movement, accounts);
        if (entry === 'waiting') continue;
        await em.query(`DELETE FROM ledger.payment_waiting WHERE entry_key = $1`, [r.entry_key]);
        if (entry) {
          out.push(entry);
          keys.push(entry.eventId);
        }
      }
    }
    return out;
  }

  private async postedByKey(em: Queryable, keys: string[]): Promise<Map<string, PostedOriginal>> {
    if (keys.length === 0) return new Map();
    const rows = (await em.query(
      `SELECT t.id, t.event_id, t.experiment_id AS "experimentId", t.variant_key AS "variantKey", t.unit_id AS "unitId", t.goal_id AS "goalId",
              t.opportunity_id AS "opportunityId", t.customer_ref AS "customerRef",
              (SELECT json_agg(json_build_object('account', a.name, 'currency', p.currency, 'amountMinor', p.amount_minor) ORDER BY p.id)
               FROM ledger.postings p JOIN ledger.accounts a ON a.id = p.account_id WHERE p.transaction_id = t.id) AS postings
       FROM ledger.transactions t WHERE t.event_id = ANY($1::text[])`,
      [keys],
    )) as PostedRow[];
    return new Map(
      rows.map((r) => {
        const original: PostedOriginal = {
          id: r.id,
          eventId: r.event_id,
          postings: (r.postings ?? []).map((p) => ({ ...p, amountMinor: Number(p.amountMinor) })),
        };
        for (const f of ATTRIBUTION_FIELDS) if (typeof r[f] === 'string') original[f] = r[f] as string;
        return [r.event_id, original];
      }),
    );
  }

  /** The accounts a movement's entry may name that it can say itself (a refund's revenue account is its payment's, already there). */
  private accountsNamed(source: string, m: Movement): string[] {
    switch (m.kind) {
      case 'payment':
        return [
          paymentAccounts.clearing(source),
          paymentAccounts.revenue(source, m.product),
          ...(m.settlement ? [paymentAccounts.exchange] : []),
        ];
      case 'fee':
        return [paymentAccounts.clearing(source), paymentAccounts.fees(source)];
      case 'refund':
        return [paymentAccounts.clearing(source), paymentAccounts.exchange];
      case 'dispute_lost':
        return [paymentAccounts.clearing(source), paymentAccounts.exchange, paymentAccounts.disputes(source)];
      case 'dispute_opened':
      case 'dispute_won':
        return [paymentAccounts.clearing(source), paymentAccounts.disputes(source)];
      case 'payout':
      case 'payout_failed':
        return [paymentAccounts.clearing(source), this.config.PAYMENTS_BANK_ACCOUNT];
    }
  }
}

/** Postgres refusals caused by the entry itself (constraints, triggers, bad values), as opposed to outages. */
function isEntryError(e: unknown): boolean {
  const code =
    (e as { code?: unknown; driverError?: { code?: unknown } })?.driverError?.code ?? (e as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('23') || code.startsWith('22') || code === 'P0001');
}
