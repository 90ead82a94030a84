import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type SampleSizeQueryV1, type SampleSizeV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import type { Subscription } from '@nats-io/transport-node';
import { Allocator } from './allocation/allocator';
import { ExperimentError } from './experiments/experiment-errors';
import { ExperimentsService } from './experiments/experiments.service';
import { RulesEvaluator } from './rules/rules-evaluator';
import { sampleSizeForMeans, sampleSizeForProportions } from './stats/sample-size';

/** Every experiment operation on NATS request/reply, in the `experiment-tracker` queue group. */
@Injectable()
export class ExperimentsMessaging implements OnApplicationBootstrap, OnModuleDestroy {
  private subs: Subscription[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly experiments: ExperimentsService,
    private readonly rules: RulesEvaluator,
    private readonly allocator: Allocator,
  ) {}

  onApplicationBootstrap(): void {
    const b = this.bus;
    this.subs = [
      b.respond(Subjects.experimentCreate, (dto) => this.experiments.create(dto)),
      b.respond(Subjects.experimentGet, (req) => this.experiments.get(req.id)),
      b.respond(Subjects.experimentList, (req) => this.experiments.list(req)),
      b.respond(Subjects.experimentStart, (req) => this.experiments.start(req.id, req.by ?? 'a caller')),
      b.respond(Subjects.experimentStop, (req) => this.experiments.stop(req.id, req.by ?? 'a caller', req.reason)),
      b.respond(Subjects.experimentResults, (req) => this.experiments.results(req.id)),
      b.respond(Subjects.experimentEvaluate, async (req) => (await this.rules.evaluate(req.id, 'rules (on demand)'))!),
      b.respond(Subjects.experimentAssign, (req) => this.experiments.assign(req.experimentId, req.unitId)),
      b.respond(Subjects.experimentAllocate, () => this.allocator.allocate()),
      b.respond(Subjects.experimentAllocationGet, () => this.allocator.latest()),
      b.respond(Subjects.experimentSampleSize, async (q) => sampleSize(q)),
    ];
  }

  onModuleDestroy(): void {
    for (const s of this.subs) s.unsubscribe();
  }
}

function sampleSize(q: SampleSizeQueryV1): SampleSizeV1 {
  const alpha = q.alpha ?? 0.05;
  const power = q.power ?? 0.8;
  const variants = q.variants ?? 2;
  const varianceReduction = q.varianceReduction ?? 0;
  let perVariant: number;
  let formula: string;
  try {
    if (q.metric === 'conversion') {
      if (q.baselineRate === undefined || q.relativeLift === undefined)
        throw new ExperimentError(400, 'baselineRate and relativeLift are required for conversion');
      perVariant = sampleSizeForProportions(q.baselineRate, q.relativeLift, alpha, power, varianceReduction);
      formula = `Fleiss: (z₁₋α/₂√(2p̄q̄) + z₁₋β√(p₁q₁ + p₂q₂))² / (p₂ − p₁)²${varianceReduction > 0 ? ' × (1 − r), r the CUPED variance reduction' : ''}`;
    } else {
      if (q.standardDeviation === undefined || q.minimumDetectableDifference === undefined) {
        throw new ExperimentError(
          400,
          'standardDeviation and minimumDetectableDifference are required for revenue_per_unit',
        );
      }
      perVariant = sampleSizeForMeans(
        q.standardDeviation,
        q.minimumDetectableDifference,
        alpha,
        power,
        varianceReduction,
      );
      formula = `2(z₁₋α/₂ + z₁₋β)²σ²${varianceReduction > 0 ? '(1 − r)' : ''} / δ²`;
    }
  } catch (e) {
    if (e instanceof RangeError) throw new ExperimentError(400, e.message);
    throw e;
  }
  return { unitsPerVariant: perVariant, totalUnits: perVariant * variants, alpha, power, varianceReduction, formula };
}
