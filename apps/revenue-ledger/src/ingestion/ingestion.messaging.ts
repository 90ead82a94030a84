import { GroupCommit } from '@juggernaut/persistence';
import { Inject, Injectable } from '@nestjs/common';
import { type CostRecordedV1, type RevenueRecordedV1, Subjects } from '@juggernaut/contracts';
import { Consume, type ConsumeOptions, PermanentMessageError } from '@juggernaut/messaging';
import { APP_CONFIG } from '@juggernaut/service-kit';
import type { LedgerEnv } from '../config';
import { costEntry, type JournalEntry, revenueEntry } from '../posting/journal-entry';
import { type PostOutcome, PostingService } from '../posting/posting.service';

/**
 * Revenue and cost events from other systems, through durable JetStream consumers. Each message
 * waits for the batch it joined to commit before it is acknowledged; an event already posted is
 * acknowledged without change; one the ledger refuses (e.g. it would overdraw a protected account,
 * or its event id was posted with other content) is dead-lettered with the reason and not retried.
 * Invalid payloads are dead-lettered by the bus before they get here.
 */
@Injectable()
export class IngestionMessaging {
  private readonly batcher: GroupCommit<JournalEntry, PostOutcome>;

  constructor(
    posting: PostingService,
    @Inject(APP_CONFIG) private readonly config: LedgerEnv,
  ) {
    this.batcher = new GroupCommit(
      (entries) => posting.post(entries),
      config.LEDGER_BATCH_MAX,
      config.LEDGER_FLUSH_CONCURRENCY,
    );
  }

  @Consume(Subjects.revenueRecorded, (self: IngestionMessaging) => ({
    durable: 'revenue-ledger-revenue',
    ...self.consumer(),
  }))
  revenue(e: RevenueRecordedV1): Promise<void> {
    return this.apply(revenueEntry(e));
  }

  @Consume(Subjects.costRecorded, (self: IngestionMessaging) => ({
    durable: 'revenue-ledger-cost',
    ...self.consumer(),
  }))
  cost(e: CostRecordedV1): Promise<void> {
    return this.apply(costEntry(e));
  }

  /** The revenue and cost payloads are flat classes, so the cheaper validator applies (same rules). */
  private consumer(): Omit<ConsumeOptions, 'durable'> {
    return {
      concurrency: this.config.LEDGER_CONSUMER_CONCURRENCY,
      ackWaitMs: 60_000,
      maxDeliver: 10,
      flatPayload: true,
    };
  }

  private async apply(entry: JournalEntry): Promise<void> {
    const outcome = await this.batcher.submit(entry);
    if (outcome.status === 'rejected' || outcome.status === 'conflict')
      throw new PermanentMessageError(outcome.error.message);
  }
}
