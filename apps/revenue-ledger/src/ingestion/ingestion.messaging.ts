import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Bus, type ConsumerHandle, PermanentMessageError } from '@juggernaut/messaging';
import { APP_CONFIG } from '@juggernaut/service-kit';
import type { LedgerEnv } from '../config';
import { costEntry, type JournalEntry, revenueEntry } from '../posting/journal-entry';
import { type PostOutcome, PostingService } from '../posting/posting.service';
import { GroupCommit } from './group-commit';

/**
 * Revenue and cost events from other systems, through durable JetStream consumers. Each message
 * waits for the batch it joined to commit before it is acknowledged; an event already posted is
 * acknowledged without change; one the ledger refuses (e.g. it would overdraw a protected account,
 * or its event id was posted with other content) is dead-lettered with the reason and not retried.
 * Invalid payloads are dead-lettered by the bus before they get here.
 */
@Injectable()
export class IngestionMessaging implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly consumers: ConsumerHandle[] = [];
  private readonly batcher: GroupCommit<JournalEntry, PostOutcome>;

  constructor(
    private readonly bus: Bus,
    posting: PostingService,
    @Inject(APP_CONFIG) private readonly config: LedgerEnv,
  ) {
    this.batcher = new GroupCommit(
      (entries) => posting.post(entries),
      config.LEDGER_BATCH_MAX,
      config.LEDGER_FLUSH_CONCURRENCY,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    // The revenue and cost payloads are flat classes, so the cheaper validator applies (same rules).
    const options = {
      concurrency: this.config.LEDGER_CONSUMER_CONCURRENCY,
      ackWaitMs: 60_000,
      maxDeliver: 10,
      flatPayload: true,
    };
    this.consumers.push(
      await this.bus.consume(Subjects.revenueRecorded, { ...options, durable: 'revenue-ledger-revenue' }, (e) =>
        this.apply(revenueEntry(e)),
      ),
      await this.bus.consume(Subjects.costRecorded, { ...options, durable: 'revenue-ledger-cost' }, (e) =>
        this.apply(costEntry(e)),
      ),
    );
  }

  private async apply(entry: JournalEntry): Promise<void> {
    const outcome = await this.batcher.submit(entry);
    if (outcome.status === 'rejected' || outcome.status === 'conflict')
      throw new PermanentMessageError(outcome.error.message);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }
}
