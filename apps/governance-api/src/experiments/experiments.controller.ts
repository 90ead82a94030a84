import { Controller, Get, NotFoundException, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ExperimentAllocationV1, Subjects, VariantWeightsHistoryV1 } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { READERS, Roles } from '../auth/roles';

/**
 * What governance-api adds to revenue experiments (owned by experiment-tracker) beyond the routes the
 * gateway builds from libs/contracts: the allocation as a 404 until one is computed, and a bandit's
 * weights read from the experiment. Registered before the gateway, so "allocation" is never read as an id.
 */
@ApiTags('experiments')
@Controller('experiments')
export class ExperimentsController {
  constructor(private readonly bus: Bus) {}

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
