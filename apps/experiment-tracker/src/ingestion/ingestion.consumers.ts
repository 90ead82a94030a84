import { GroupCommit } from '@juggernaut/persistence';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type ExperimentConversionV1, type ExperimentExposureV1, Subjects } from '@juggernaut/contracts';
import { Bus, type ConsumerHandle, PermanentMessageError } from '@juggernaut/messaging';
import { APP_CONFIG } from '@juggernaut/service-kit';
import type { ExperimentsEnv } from '../config';
import { ExperimentMetrics } from '../experiment-metrics';
import { type BatchOutcome, IngestionRepository } from './ingestion.repository';

/**
 * Durable JetStream consumers: exposures and conversions from other systems, and the ledger's
 * postings for revenue and cost attribution. Validation and dead-lettering of malformed payloads
 * happen in the Bus. Exposures and conversions are written in groups: each message joins the next
 * batch (one multi-row statement) and is acknowledged once that batch has committed; a message that
 * can never apply (unknown experiment or variant, wrong status) is dead-lettered with the reason.
 * The repository's unique keys make redelivery harmless.
 */
@Injectable()
export class IngestionConsumers implements OnApplicationBootstrap, OnApplicationShutdown {
  private handles: ConsumerHandle[] = [];
  private readonly exposures: GroupCommit<ExperimentExposureV1, string | null>;
  private readonly conversions: GroupCommit<ExperimentConversionV1, string | null>;

  constructor(
    private readonly bus: Bus,
    private readonly ingestion: IngestionRepository,
    private readonly metrics: ExperimentMetrics,
    @Inject(APP_CONFIG) private readonly config: ExperimentsEnv,
  ) {
    const batched = <T>(write: (items: T[]) => Promise<BatchOutcome>, counted: { inc(n: number): void }) =>
      new GroupCommit<T, string | null>(
        async (items) => {
          const outcome = await write(items);
          if (outcome.inserted > 0) counted.inc(outcome.inserted);
          return outcome.errors;
        },
        config.EXPERIMENTS_INGEST_BATCH_MAX,
        config.EXPERIMENTS_INGEST_FLUSH_CONCURRENCY,
      );
    this.exposures = batched((b) => this.ingestion.recordExposures(b), metrics.exposures);
    this.conversions = batched((b) => this.ingestion.recordConversions(b), metrics.conversions);
  }

  async onApplicationBootstrap(): Promise<void> {
    const options = { concurrency: this.config.EXPERIMENTS_INGEST_CONCURRENCY, ackWaitMs: 60_000 };
    this.handles = await Promise.all([
      this.bus.consume(Subjects.experimentExposure, { ...options, durable: 'experiment-tracker-exposures' }, (e) =>
        applied(this.exposures.submit(e)),
      ),
      this.bus.consume(Subjects.experimentConversion, { ...options, durable: 'experiment-tracker-conversions' }, (c) =>
        applied(this.conversions.submit(c)),
      ),
      this.bus.consume(Subjects.ledgerPosted, { durable: 'experiment-tracker-ledger', concurrency: 4 }, async (e) => {
        await this.ingestion.recordLedger(e);
      }),
    ]);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.stop()));
  }
}

/** Resolves once the message's batch committed; a message that can never apply becomes a permanent error. */
async function applied(outcome: Promise<string | null>): Promise<void> {
  const error = await outcome;
  if (error !== null) throw new PermanentMessageError(error);
}
