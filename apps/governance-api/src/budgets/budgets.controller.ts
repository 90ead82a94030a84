import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { BudgetUsageV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { READERS, Roles } from '../auth/roles';
import { BudgetsService } from './budgets.service';

/** Today's spend against the caps the policy sets (caps themselves are edited under policies). */
@ApiTags('budgets')
@Controller('budgets')
export class BudgetsController {
  constructor(
    private readonly budgets: BudgetsService,
    private readonly bus: Bus,
  ) {}

  @Get('usage')
  @Roles(...READERS)
  @ApiOkResponse({ type: BudgetUsageV1, description: 'Settled spend plus open reservations today (UTC), globally, by level and by worker.' })
  usage(): Promise<BudgetUsageV1> {
    return this.budgets.usage();
  }

  @Post('release')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @ApiOkResponse({ description: 'Tasks that waited blocked for budget go back to the queue (their next call is checked against the caps again).' })
  release(): Promise<{ unblocked: string[] }> {
    return this.bus.request(Subjects.taskUnblock, { blockedOn: 'budget' });
  }
}
