import { Body, Controller, Get, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPropertyOptional,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  AssignmentV1,
  CreateExperimentDto,
  DecisionV1,
  ExperimentAllocationV1,
  ExperimentPageV1,
  ExperimentResultsV1,
  ExperimentV1,
  ExperimentWithDecisionsV1,
  ListExperimentsV1,
  MAX_NAME,
  MAX_TEXT,
  SampleSizeQueryV1,
  SampleSizeV1,
  Subjects,
  VariantWeightsHistoryV1,
} from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { AuditedInHandler } from '../audit/audited.decorator';
import { type AuditTrail, Trail } from '../audit/audit-trail';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, READERS, Roles, WRITERS } from '../auth/roles';
import { checkedCursor } from '../http/checked-cursor';

export class StopExperimentDto {
  @ApiPropertyOptional({ example: 'the offer was withdrawn' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  reason?: string;
}

export class AssignmentQueryDto {
  @ApiProperty({ example: 'visitor-42', description: 'The unit (user, visitor, account) to assign.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  unitId!: string;
}

/** Revenue experiments, owned by experiment-tracker and reached over NATS. Every change is audited, intent first. */
@ApiTags('experiments')
@Controller('experiments')
@AuditedInHandler()
export class ExperimentsController {
  constructor(private readonly bus: Bus) {}

  // Fixed paths come before `:id`, so "allocation" is never read as an id.
  @Get('allocation')
  @Roles(...READERS)
  @ApiOperation({ summary: 'The latest Thompson sampling allocation of the budget pool across running experiments' })
  @ApiOkResponse({ type: ExperimentAllocationV1 })
  @ApiNotFoundResponse({ description: 'No allocation has been computed yet.' })
  async allocation(): Promise<ExperimentAllocationV1> {
    const latest = await this.bus.request(Subjects.experimentAllocationGet, {});
    if (!latest)
      throw new NotFoundException('no allocation has been computed yet; POST /experiments/allocation computes one');
    return latest;
  }

  @Post('allocation')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOperation({ summary: 'Recompute the allocation now (it is also recomputed on every rules pass) and publish it' })
  @ApiOkResponse({ type: ExperimentAllocationV1 })
  @ApiServiceUnavailableResponse({
    description:
      'The audit entry of the intent could not be written, so the request was not sent; or the service that owns this did not answer.',
  })
  allocate(@Trail() trail: AuditTrail): Promise<ExperimentAllocationV1> {
    return trail.forward(() => this.bus.request(Subjects.experimentAllocate, {}, 15_000));
  }

  @Get('sample-size')
  @Roles(...READERS)
  @ApiOperation({
    summary:
      'Units per variant needed to detect an effect (conversion: baselineRate + relativeLift; revenue_per_unit: standardDeviation + minimumDetectableDifference), shrunk by a CUPED varianceReduction when given',
  })
  @ApiOkResponse({ type: SampleSizeV1 })
  sampleSize(@Query() q: SampleSizeQueryV1): Promise<SampleSizeV1> {
    return this.bus.request(Subjects.experimentSampleSize, q);
  }

  @Post()
  @Roles(...WRITERS)
  @ApiCreatedResponse({ type: ExperimentV1, description: 'A draft; start it to assign units and collect data.' })
  @ApiBadRequestResponse({
    description:
      'A field is invalid, or holds text that cannot be stored (NUL, a lone UTF-16 surrogate); the message names it.',
  })
  @ApiServiceUnavailableResponse({
    description:
      'The audit entry of the intent could not be written, so the request was not sent; or the service that owns this did not answer.',
  })
  create(
    @Body() body: CreateExperimentDto,
    @CurrentCaller() caller: Caller,
    @Trail() trail: AuditTrail,
  ): Promise<ExperimentV1> {
    return trail.forward(() => this.bus.request(Subjects.experimentCreate, { ...body, createdBy: caller.name }));
  }

  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: ExperimentPageV1 })
  @ApiBadRequestResponse({ description: 'A filter is invalid, or the cursor is not one this list returned.' })
  list(@Query() q: ListExperimentsV1): Promise<ExperimentPageV1> {
    checkedCursor(q.cursor, 'uuid');
    return this.bus.request(Subjects.experimentList, q);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOkResponse({ type: ExperimentWithDecisionsV1, description: 'The experiment with its latest decisions.' })
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<ExperimentWithDecisionsV1> {
    return this.bus.request(Subjects.experimentGet, { id });
  }

  @Post(':id/start')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOkResponse({ type: ExperimentV1, description: '409 unless the experiment is a draft.' })
  @ApiServiceUnavailableResponse({
    description:
      'The audit entry of the intent could not be written, so the request was not sent; or the service that owns this did not answer.',
  })
  start(
    @Param('id', new ParseUUIDPipe()) id: string,
    @CurrentCaller() caller: Caller,
    @Trail() trail: AuditTrail,
  ): Promise<ExperimentV1> {
    return trail.forward(() => this.bus.request(Subjects.experimentStart, { id, by: caller.name }));
  }

  @Post(':id/stop')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOkResponse({ type: ExperimentV1, description: '409 unless the experiment is running.' })
  @ApiServiceUnavailableResponse({
    description:
      'The audit entry of the intent could not be written, so the request was not sent; or the service that owns this did not answer.',
  })
  stop(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: StopExperimentDto,
    @CurrentCaller() caller: Caller,
    @Trail() trail: AuditTrail,
  ): Promise<ExperimentV1> {
    return trail.forward(() =>
      this.bus.request(Subjects.experimentStop, {
        id,
        by: caller.name,
        ...(body.reason ? { reason: body.reason } : {}),
      }),
    );
  }

  @Get(':id/results')
  @Roles(...READERS)
  @ApiOperation({
    summary:
      'Every statistic now, for every metric: capped and CUPED-adjusted, post-stratified estimates; z/Welch tests corrected across variants and metrics; ' +
      "confidence sequences and always-valid p-values; lift posteriors with the metric's prior; power at the planned end; posteriors, chance to beat control and to be best, " +
      "expected loss; guardrails; SRM and covariate balance; a bandit's weights; and what the rules would decide",
  })
  @ApiOkResponse({ type: ExperimentResultsV1 })
  results(@Param('id', new ParseUUIDPipe()) id: string): Promise<ExperimentResultsV1> {
    return this.bus.request(Subjects.experimentResults, { id }, 15_000);
  }

  @Post(':id/evaluate')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOperation({ summary: 'Run the rules now and store the decision (conclusion and stop-loss take effect at once)' })
  @ApiOkResponse({ type: DecisionV1 })
  @ApiServiceUnavailableResponse({
    description:
      'The audit entry of the intent could not be written, so the request was not sent; or the service that owns this did not answer.',
  })
  evaluate(@Param('id', new ParseUUIDPipe()) id: string, @Trail() trail: AuditTrail): Promise<DecisionV1> {
    return trail.forward(() => this.bus.request(Subjects.experimentEvaluate, { id }, 15_000));
  }

  @Get(':id/assignment')
  @Roles(...READERS)
  @ApiOperation({ summary: 'The variant for a unit: the same unit always gets the same variant' })
  @ApiOkResponse({ type: AssignmentV1 })
  assign(@Param('id', new ParseUUIDPipe()) id: string, @Query() q: AssignmentQueryDto): Promise<AssignmentV1> {
    return this.bus.request(Subjects.experimentAssign, { experimentId: id, unitId: q.unitId });
  }

  @Get(':id/weights')
  @Roles(...READERS)
  @ApiOperation({
    summary:
      'Traffic weights now and their history: the configured weights, then each reweighting of a bandit (top-two Thompson sampling)',
  })
  @ApiOkResponse({ type: VariantWeightsHistoryV1 })
  @ApiNotFoundResponse({
    description: 'No such experiment, or it has not started (weights are stored from the start).',
  })
  async weights(@Param('id', new ParseUUIDPipe()) id: string): Promise<VariantWeightsHistoryV1> {
    const experiment = await this.bus.request(Subjects.experimentGet, { id });
    const [current] = experiment.weights;
    if (!current) throw new NotFoundException(`experiment ${id} has no weights yet: they are stored when it starts`);
    return { experimentId: id, bandit: experiment.bandit !== null, current, history: experiment.weights };
  }
}
