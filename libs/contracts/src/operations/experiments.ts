import { ExperimentAllocationV1 } from '../experiments/experiment-allocation.v1';
import { ExperimentResultsV1 } from '../experiments/experiment-results.v1';
import {
  AssignmentV1,
  AssignUnitV1,
  CreateExperimentDto,
  DecisionV1,
  ExperimentActionV1,
  ExperimentIdV1,
  ExperimentPageV1,
  ExperimentV1,
  ExperimentWithDecisionsV1,
  ListExperimentsV1,
  SampleSizeQueryV1,
  SampleSizeV1,
} from '../experiments/experiment.v1';
import { Empty } from '../tasks/dispatch.v1';
import { ANY_ROLE, operation, replyOf, WRITER_ROLES } from './operation';
import { AssignmentQueryDto, StopExperimentDto } from './responses';

const EXPERIMENTS = { resource: 'experiments', tag: 'experiments' } as const;

/**
 * Revenue experiments, owned by experiment-tracker. In REST, fixed paths (allocation, sample-size)
 * are declared before `:id`, so that they are never read as an id.
 */
export const ExperimentOperations = {
  // GET /experiments/allocation is governance-api's own route (a 404 when none has been computed).
  experimentAllocationGet: operation({
    subject: 'juggernaut.experiment.allocation.get.v1',
    request: Empty,
    reply: replyOf<ExperimentAllocationV1 | null>(),
    description: 'The latest allocation of the budget pool across running experiments (null before the first).',
  }),
  experimentAllocate: operation({
    subject: 'juggernaut.experiment.allocate.v1',
    request: Empty,
    reply: ExperimentAllocationV1,
    description: 'Recompute the allocation of the budget pool now and publish it.',
    timeoutMs: 15_000,
    rest: {
      ...EXPERIMENTS,
      method: 'POST',
      path: 'allocation',
      handler: 'allocate',
      roles: ['admin', 'operator'],
      audited: true,
      status: 200,
      summary: 'Recompute the allocation now (it is also recomputed on every rules pass) and publish it',
    },
  }),
  experimentSampleSize: operation({
    subject: 'juggernaut.experiment.samplesize.v1',
    request: SampleSizeQueryV1,
    reply: SampleSizeV1,
    description: 'Units per variant needed to detect an effect.',
    rest: {
      ...EXPERIMENTS,
      method: 'GET',
      path: 'sample-size',
      handler: 'sampleSize',
      roles: ANY_ROLE,
      audited: false,
      summary:
        'Units per variant needed to detect an effect (conversion: baselineRate + relativeLift; revenue_per_unit: standardDeviation + minimumDetectableDifference), shrunk by a CUPED varianceReduction when given',
      query: SampleSizeQueryV1,
    },
  }),
  experimentCreate: operation({
    subject: 'juggernaut.experiment.create.v1',
    request: CreateExperimentDto,
    reply: ExperimentV1,
    description: 'Create an experiment as a draft.',
    rest: {
      ...EXPERIMENTS,
      method: 'POST',
      path: '',
      handler: 'create',
      roles: WRITER_ROLES,
      audited: true,
      body: CreateExperimentDto,
      caller: 'createdBy',
      response: { description: 'A draft; start it to assign units and collect data.' },
      errors: {
        badRequest:
          'A field is invalid, or holds text that cannot be stored (NUL, a lone UTF-16 surrogate); the message names it.',
      },
    },
  }),
  experimentList: operation({
    subject: 'juggernaut.experiment.list.v1',
    request: ListExperimentsV1,
    reply: ExperimentPageV1,
    description: 'Experiments, filtered, newest first, a page at a time.',
    rest: {
      ...EXPERIMENTS,
      method: 'GET',
      path: '',
      handler: 'list',
      roles: ANY_ROLE,
      audited: false,
      query: ListExperimentsV1,
      cursor: 'uuid',
      errors: { badRequest: 'A filter is invalid, or the cursor is not one this list returned.' },
    },
  }),
  experimentGet: operation({
    subject: 'juggernaut.experiment.get.v1',
    request: ExperimentIdV1,
    reply: ExperimentWithDecisionsV1,
    description: 'An experiment with its latest decisions.',
    rest: {
      ...EXPERIMENTS,
      method: 'GET',
      path: ':id',
      handler: 'get',
      roles: ANY_ROLE,
      audited: false,
      params: { id: { check: 'uuid' } },
      response: { description: 'The experiment with its latest decisions.' },
    },
  }),
  experimentStart: operation({
    subject: 'juggernaut.experiment.start.v1',
    request: ExperimentActionV1,
    reply: ExperimentV1,
    description: 'Start a draft experiment.',
    rest: {
      ...EXPERIMENTS,
      method: 'POST',
      path: ':id/start',
      handler: 'start',
      roles: ['admin', 'operator'],
      audited: true,
      status: 200,
      params: { id: { check: 'uuid' } },
      caller: 'by',
      response: { description: '409 unless the experiment is a draft.' },
    },
  }),
  experimentStop: operation({
    subject: 'juggernaut.experiment.stop.v1',
    request: ExperimentActionV1,
    reply: ExperimentV1,
    description: 'Stop a running experiment.',
    rest: {
      ...EXPERIMENTS,
      method: 'POST',
      path: ':id/stop',
      handler: 'stop',
      roles: ['admin', 'operator'],
      audited: true,
      status: 200,
      params: { id: { check: 'uuid' } },
      body: StopExperimentDto,
      omitEmptyBodyFields: true,
      caller: 'by',
      response: { description: '409 unless the experiment is running.' },
    },
  }),
  experimentResults: operation({
    subject: 'juggernaut.experiment.results.v1',
    request: ExperimentIdV1,
    reply: ExperimentResultsV1,
    description: 'Every statistic of an experiment now, for every metric, and what the rules would decide.',
    timeoutMs: 15_000,
    rest: {
      ...EXPERIMENTS,
      method: 'GET',
      path: ':id/results',
      handler: 'results',
      roles: ANY_ROLE,
      audited: false,
      summary:
        'Every statistic now, for every metric: capped and CUPED-adjusted, post-stratified estimates; z/Welch tests corrected across variants and metrics; ' +
        "confidence sequences and always-valid p-values; lift posteriors with the metric's prior; power at the planned end; posteriors, chance to beat control and to be best, " +
        "expected loss; guardrails; SRM and covariate balance; a bandit's weights; and what the rules would decide",
      params: { id: { check: 'uuid' } },
    },
  }),
  experimentEvaluate: operation({
    subject: 'juggernaut.experiment.evaluate.v1',
    request: ExperimentIdV1,
    reply: DecisionV1,
    description: 'Run the rules on an experiment now and store the decision.',
    timeoutMs: 15_000,
    rest: {
      ...EXPERIMENTS,
      method: 'POST',
      path: ':id/evaluate',
      handler: 'evaluate',
      roles: ['admin', 'operator'],
      audited: true,
      status: 200,
      summary: 'Run the rules now and store the decision (conclusion and stop-loss take effect at once)',
      params: { id: { check: 'uuid' } },
    },
  }),
  experimentAssign: operation({
    subject: 'juggernaut.experiment.assign.v1',
    request: AssignUnitV1,
    reply: AssignmentV1,
    description: 'The variant for a unit: the same unit always gets the same variant.',
    rest: {
      ...EXPERIMENTS,
      method: 'GET',
      path: ':id/assignment',
      handler: 'assign',
      roles: ANY_ROLE,
      audited: false,
      summary: 'The variant for a unit: the same unit always gets the same variant',
      params: { id: { check: 'uuid', field: 'experimentId' } },
      query: AssignmentQueryDto,
    },
  }),
} as const;
