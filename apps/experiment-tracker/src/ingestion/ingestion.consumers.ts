import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Bus, type ConsumerHandle } from '@juggernaut/messaging';
import { ExperimentMetrics } from '../experiment-metrics';
import { IngestionRepository } from './ingestion.repository';

/**
 * Durable JetStream consumers: exposures and conversions from other systems, and the ledger's
 * postings for revenue and cost attribution. Validation and dead-lettering happen in the Bus;
 * the repository's unique keys make redelivery harmless.
 */
@Injectable()
export class IngestionConsumers implements OnApplicationBootstrap, OnApplicationShutdown {
  private handles: ConsumerHandle[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly ingestion: IngestionRepository,
    private readonly metrics: ExperimentMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.handles = await Promise.all([
      this.bus.consume(
        Subjects.experimentExposure,
        { durable: 'experiment-tracker-exposures', concurrency: 8 },
        async (e) => {
          if (await this.ingestion.recordExposure(e)) this.metrics.exposures.inc();
        },
      ),
      this.bus.consume(
        Subjects.experimentConversion,
        { durable: 'experiment-tracker-conversions', concurrency: 8 },
        async (c) => {
          if (await this.ingestion.recordConversion(c)) this.metrics.conversions.inc();
        },
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
