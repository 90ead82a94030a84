import { Injectable } from '@nestjs/common';
import {
  type AssignUnitV1,
  type CreateExperimentDto,
  type ExperimentActionV1,
  type ExperimentIdV1,
  type ListExperimentsV1,
  type SampleSizeQueryV1,
  type SampleSizeV1,
  Subjects,
} from '@juggernaut/contracts';
import { Respond } from '@juggernaut/messaging';
import { Allocator } from './allocation/allocator';
import { ExperimentError } from './experiments/experiment-errors';
import { ExperimentsService } from './experiments/experiments.service';
import { RulesEvaluator } from './rules/rules-evaluator';
import { sampleSizeForMeans, sampleSizeForProportions } from './stats/sample-size';

/** Every experiment operation on NATS request/reply, in the `experiment-tracker` queue group. */
@Injectable()
export class ExperimentsMessaging {
  constructor(
    private readonly experiments: ExperimentsService,
    private readonly rules: RulesEvaluator,
    private readonly allocator: Allocator,
  ) {}

  @Respond(Subjects.experimentCreate)
  create(dto: CreateExperimentDto) {
    return this.experiments.create(dto);
  }

  @Respond(Subjects.experimentGet)
  get(req: ExperimentIdV1) {
    return this.experiments.get(req.id);
  }

  @Respond(Subjects.experimentList)
  list(req: ListExperimentsV1) {
    return this.experiments.list(req);
  }

  @Respond(Subjects.experimentStart)
  start(req: ExperimentActionV1) {
    return this.experiments.start(req.id, req.by ?? 'a caller');
  }

  @Respond(Subjects.experimentStop)
  stop(req: ExperimentActionV1) {
    return this.experiments.stop(req.id, req.by ?? 'a caller', req.reason);
  }

  @Respond(Subjects.experimentResults)
  results(req: ExperimentIdV1) {
    return this.experiments.results(req.id);
  }

  @Respond(Subjects.experimentEvaluate)
  async evaluate(req: ExperimentIdV1) {
    return (await this.rules.evaluate(req.id, 'rules (on demand)'))!;
  }

  @Respond(Subjects.experimentAssign)
  assign(req: AssignUnitV1) {
    return this.experiments.assign(req.experimentId, req.unitId);
  }

  @Respond(Subjects.experimentAllocate)
  allocate() {
    return this.allocator.allocate();
  }

  @Respond(Subjects.experimentAllocationGet)
  latestAllocation() {
    return this.allocator.latest();
  }

  @Respond(Subjects.experimentSampleSize)
  sampleSize(q: SampleSizeQueryV1) {
    return sampleSize(q);
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
