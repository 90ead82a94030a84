import { Module } from '@nestjs/common';
import { Allocator } from './allocation/allocator';
import { VariantStatsRepository } from './analysis/variant-stats.repository';
import { ExperimentMetrics } from './experiment-metrics';
import { ExperimentsMessaging } from './experiments.messaging';
import { ExperimentsRepository } from './experiments/experiments.repository';
import { ExperimentsService } from './experiments/experiments.service';
import { IngestionConsumers } from './ingestion/ingestion.consumers';
import { IngestionRepository } from './ingestion/ingestion.repository';
import { RulesEvaluator } from './rules/rules-evaluator';

@Module({
  providers: [
    ExperimentMetrics,
    ExperimentsRepository,
    VariantStatsRepository,
    IngestionRepository,
    ExperimentsService,
    Allocator,
    RulesEvaluator,
    IngestionConsumers,
    ExperimentsMessaging,
  ],
  exports: [ExperimentsService, RulesEvaluator, Allocator],
})
export class ExperimentTrackerModule {}
