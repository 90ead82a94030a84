import { Inject, Injectable } from '@nestjs/common';
import { LOGGER } from '@juggernaut/service-kit';
import { currentCorrelationId } from '@juggernaut/observability';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { type Account, AccountsRepository } from '../accounts/accounts.repository';
import { LedgerMetrics } from '../ledger-metrics';
import { LedgerError } from '../ledger-errors';
import { conflictError, entryDifferences } from './entry-conflict';
import { assertBalanced, type JournalEntry } from './journal-entry';
import { PostingRepository } from './posting.repository';

export type PostOutcome =
  | { status: 'posted' }
  | { status: 'duplicate' }
  | { status: 'conflict'; transactionId: string; error: LedgerError }
  | { status: 'rejected'; error: LedgerError };

/**
 * Posts journal entries exactly once. A batch is written in one database transaction; an entry that
 * cannot be posted (unknown account, currency mismatch, overdraft) is rejected on its own without
 * holding up the rest. An entry whose event id is already posted is a `duplicate` when it is the
 * same entry and a `conflict` (naming the posted transaction and each differing field) when it is
 * not. Errors that are not the entry's fault (the database is down) are thrown, so the caller
 * retries and nothing is acknowledged.
 */
@Injectable()
export class PostingService {
  constructor(
    private readonly db: DataSource,
    private readonly accounts: AccountsRepository,
    private readonly repo: PostingRepository,
    private readonly metrics: LedgerMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async post(entries: JournalEntry[]): Promise<PostOutcome[]> {
    // Entries on no-overdraft accounts are applied in the order their batches were handed in, even
    // when batches are written concurrently: each batch takes its place in this lane now and posts
    // its guarded entries only after the batch before it is done.
    const previous = this.guardedLane;
    let done!: () => void;
    this.guardedLane = new Promise<void>((resolve) => (done = resolve));
    try {
      const outcomes = await this.postInLane(entries, previous);
      this.metrics.duplicate(outcomes.filter((o) => o.status === 'duplicate').length);
      this.metrics.conflicts(entries.filter((_, i) => outcomes[i]!.status === 'conflict'));
      return outcomes;
    } finally {
      done();
    }
  }

  private guardedLane: Promise<void> = Promise.resolve();

  private async postInLane(entries: JournalEntry[], previous: Promise<void>): Promise<PostOutcome[]> {
    const outcomes: PostOutcome[] = new Array(entries.length);
    // The first entry with an event id wins; later ones in the same batch are duplicates.
    const firstIndex = new Map<string, number>();
    entries.forEach((e, i) => {
      if (firstIndex.has(e.eventId)) outcomes[i] = { status: 'duplicate' };
      else firstIndex.set(e.eventId, i);
    });
    const accounts = await this.resolveAccounts(entries, outcomes);
    const fast: number[] = [];
    const guarded: number[] = [];
    for (const i of firstIndex.values()) {
      if (outcomes[i]) continue;
      const problem = checkEntry(entries[i]!, accounts);
      if (problem) outcomes[i] = { status: 'rejected', error: problem };
      else if (entries[i]!.postings.some((p) => accounts.get(p.account)!.noOverdraft)) guarded.push(i);
      else fast.push(i);
    }
    if (fast.length > 0) {
      try {
        await this.write(
          fast.map((i) => entries[i]!),
          accounts,
          fast,
          outcomes,
        );
      } catch (e) {
        if (!isEntryError(e)) throw e;
        // Something in the batch the checks above did not catch: find it by posting one at a time.
        guarded.unshift(...fast);
      }
    }
    // Entries on no-overdraft accounts go one per transaction, so each sees the balance the last one left.
    if (guarded.length > 0) await previous;
    for (const i of guarded) {
      try {
        await this.write([entries[i]!], accounts, [i], outcomes);
      } catch (e) {
        if (!isEntryError(e)) throw e;
        outcomes[i] = { status: 'rejected', error: toLedgerError(e, entries[i]!, accounts) };
      }
    }
    await this.settleRepeats(entries, outcomes, previous);
    return outcomes;
  }

  /**
   * Entries whose event id the insert found taken: each is compared with the transaction posted
   * under it (one query for all of them, and none for a batch without repeats) and stays a
   * `duplicate` only when it is the same entry. An id with no transaction was taken by an earlier
   * entry of this batch that was refused, so its repeats are posted in a round of their own.
   */
  private async settleRepeats(
    entries: JournalEntry[],
    outcomes: PostOutcome[],
    previous: Promise<void>,
  ): Promise<void> {
    const repeats: number[] = [];
    outcomes.forEach((o, i) => {
      if (o.status === 'duplicate') repeats.push(i);
    });
    if (repeats.length === 0) return;
    const posted = await this.repo.posted(this.db, [...new Set(repeats.map((i) => entries[i]!.eventId))]);
    const unposted: number[] = [];
    for (const i of repeats) {
      const original = posted.get(entries[i]!.eventId);
      if (!original) {
        unposted.push(i);
        continue;
      }
      const differences = entryDifferences(original, entries[i]!);
      if (differences.length > 0)
        outcomes[i] = {
          status: 'conflict',
          transactionId: original.id,
          error: conflictError(original, entries[i]!, differences),
        };
    }
    if (unposted.length === 0) return;
    const again = await this.postInLane(
      unposted.map((i) => entries[i]!),
      previous,
    );
    unposted.forEach((i, k) => (outcomes[i] = again[k]!));
  }

  private async write(
    batch: JournalEntry[],
    accounts: Map<string, Account>,
    indexes: number[],
    outcomes: PostOutcome[],
  ): Promise<void> {
    const correlationId = currentCorrelationId();
    const stopTimer = this.metrics.batchSeconds.startTimer();
    const inserted = await this.db.transaction((em) => this.repo.insert(em, batch, accounts, correlationId));
    stopTimer();
    this.metrics.batchSize.observe(batch.length);
    this.metrics.posted(batch.filter((e) => inserted.has(e.id)));
    batch.forEach((e, k) => {
      outcomes[indexes[k]!] = inserted.has(e.id) ? { status: 'posted' } : { status: 'duplicate' };
    });
  }

  /** All accounts the entries name; when one is refused, each entry is resolved alone to find whose it is. */
  private async resolveAccounts(entries: JournalEntry[], outcomes: PostOutcome[]): Promise<Map<string, Account>> {
    const names = entries.flatMap((e, i) => (outcomes[i] ? [] : e.postings.map((p) => p.account)));
    try {
      return await this.accounts.resolve(names);
    } catch (e) {
      if (!(e instanceof LedgerError)) throw e;
    }
    const all = new Map<string, Account>();
    for (let i = 0; i < entries.length; i++) {
      if (outcomes[i]) continue;
      try {
        for (const [k, v] of await this.accounts.resolve(entries[i]!.postings.map((p) => p.account))) all.set(k, v);
      } catch (e) {
        if (!(e instanceof LedgerError)) throw e;
        outcomes[i] = { status: 'rejected', error: e };
      }
    }
    return all;
  }
}

/** What is wrong with an entry before it reaches the database, or null. */
function checkEntry(e: JournalEntry, accounts: Map<string, Account>): LedgerError | null {
  try {
    assertBalanced(e.postings);
  } catch (err) {
    return err as LedgerError;
  }
  for (const p of e.postings) {
    const a = accounts.get(p.account)!;
    if (a.currency && a.currency !== p.currency) {
      return new LedgerError(409, `currency mismatch: account ${a.name} holds only ${a.currency}, not ${p.currency}`);
    }
  }
  return null;
}

/** Postgres refusals caused by the entry itself (constraint and trigger checks), as opposed to outages. */
function isEntryError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('23') || code.startsWith('22') || code === 'P0001');
}

function toLedgerError(e: unknown, entry: JournalEntry, accounts: Map<string, Account>): LedgerError {
  const err = e as { code?: string; constraint?: string; message?: string };
  if (err.constraint === 'balances_no_overdraft') {
    const guarded = [
      ...new Set(
        entry.postings
          .map((p) => accounts.get(p.account)!)
          .filter((a) => a.noOverdraft)
          .map((a) => a.name),
      ),
    ];
    return new LedgerError(
      409,
      `insufficient funds: posting would overdraw no-overdraft account ${guarded.join(', ')}`,
    );
  }
  if (err.code === '23505' && err.constraint === 'transactions_reverses_key') {
    return new LedgerError(409, 'transaction is already reversed');
  }
  return new LedgerError(409, `refused by the ledger: ${err.message ?? 'constraint violated'}`);
}
