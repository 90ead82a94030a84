import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { BudgetUsageV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { AuditedInHandler } from '../audit/audited.decorator';
import { type AuditTrail, Trail } from '../audit/audit-trail';
import { READERS, Roles } from '../auth/roles';
import { UnblockedResponse } from '../http/response-types';
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
  @ApiOkResponse({
    type: BudgetUsageV1,
    description: 'Settled spend plus open reservations today (UTC), globally, by level and by worker.',
  })
  usage(): Promise<BudgetUsageV1> {
    return this.budgets.usage();
  }

  @Post('release')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @AuditedInHandler()
  @ApiOkResponse({
    type: UnblockedResponse,
    description:
      'Tasks that waited blocked for budget go back to the queue (their next call is checked against the caps again).',
  })
  @ApiServiceUnavailableResponse({
    description:
      'The audit entry of the intent could not be written, so the request was not sent; or the service that owns this did not answer.',
  })
  release(@Trail() trail: AuditTrail): Promise<{ unblocked: string[] }> {
    return trail.forward(() => this.bus.request(Subjects.taskUnblock, { blockedOn: 'budget' }));
  }
}
