import { Injectable } from '@nestjs/common';
import type {
  LedgerTransactionViewV1,
  PostLedgerTransactionV1,
  ReverseLedgerTransactionV1,
} from '@juggernaut/contracts';
import { LedgerError } from '../ledger-errors';
import { type JournalEntry, manualEntry, reversalEntry } from '../posting/journal-entry';
import { PostingService } from '../posting/posting.service';
import { TransactionsRepository } from './transactions.repository';

/** Manual adjusting entries and reversals: the two ways a person changes the ledger. */
@Injectable()
export class LedgerService {
  constructor(
    private readonly posting: PostingService,
    private readonly transactions: TransactionsRepository,
  ) {}

  /**
   * Posts an adjusting entry. The same idempotency key with the same entry returns the one posted
   * first; with other postings or attribution it is a 409 naming what differs.
   */
  async postManual(dto: PostLedgerTransactionV1): Promise<LedgerTransactionViewV1> {
    return this.postOne(manualEntry(dto));
  }

  /** Posts the reversal of a transaction. A transaction is reversed at most once; a reversal is not reversed. */
  async reverse(req: ReverseLedgerTransactionV1): Promise<LedgerTransactionViewV1> {
    const original = await this.get(req.id);
    if (original.kind === 'reversal')
      throw new LedgerError(409, `transaction ${req.id} is itself a reversal; post an adjusting entry instead`);
    if (original.reversedBy)
      throw new LedgerError(409, `transaction ${req.id} is already reversed by ${original.reversedBy}`);
    const entry = reversalEntry(original, req.reason, req.createdBy ?? null);
    const [outcome] = await this.posting.post([entry]);
    if (outcome!.status === 'rejected') throw outcome!.error;
    if (outcome!.status === 'duplicate' || outcome!.status === 'conflict')
      throw new LedgerError(409, `transaction ${req.id} is already reversed`);
    return this.get(entry.id);
  }

  async get(id: string): Promise<LedgerTransactionViewV1> {
    const t = await this.transactions.get(id);
    if (!t) throw new LedgerError(404, `ledger transaction ${id} not found`);
    return t;
  }

  private async postOne(entry: JournalEntry): Promise<LedgerTransactionViewV1> {
    const [outcome] = await this.posting.post([entry]);
    if (outcome!.status === 'rejected' || outcome!.status === 'conflict') throw outcome!.error;
    const stored = await this.transactions.getByEventId(entry.eventId);
    if (!stored) throw new Error(`posted entry ${entry.eventId} not found`);
    return stored;
  }
}
