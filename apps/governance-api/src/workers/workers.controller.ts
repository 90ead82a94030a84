import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { READERS, Roles } from '../auth/roles';
import { BudgetsService } from '../budgets/budgets.service';
import { type WorkerRow, WorkersRepository } from './workers.repository';

const STATES = ['online', 'draining', 'offline'] as const;

export class WorkerSpend {
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ description: 'Settled and held spend today (UTC), minor units.' }) spentTodayMinor!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'The per-worker daily cap of the current policy; null when none.',
  })
  dailyCapMinor!: number | null;
}

export class WorkerView {
  @ApiProperty() id!: string;
  @ApiProperty({ minimum: 1, maximum: 5 }) level!: number;
  @ApiProperty({ type: [String] }) capabilities!: string[];
  @ApiProperty() concurrency!: number;
  @ApiProperty({ enum: STATES }) status!: string;
  @ApiProperty({ type: [String], description: 'Tasks running on the worker at its last heartbeat.' })
  currentTasks!: string[];
  @ApiProperty() startedAt!: string;
  @ApiProperty() lastSeenAt!: string;
  @ApiProperty({ nullable: true, type: String }) offlineReason!: string | null;
  @ApiProperty({ type: WorkerSpend, description: 'Model spend against the per-worker daily cap.' }) spend!: WorkerSpend;
}

export class ListWorkersQuery {
  @ApiPropertyOptional({ enum: STATES })
  @IsOptional()
  @IsIn(STATES)
  status?: (typeof STATES)[number];
}

type Spend = Awaited<ReturnType<BudgetsService['workerSpend']>>;

function toView(w: WorkerRow, s: Spend): WorkerView {
  return {
    id: w.id,
    level: w.level,
    capabilities: w.capabilities,
    concurrency: w.concurrency,
    status: w.status,
    currentTasks: w.running_task_ids,
    startedAt: w.started_at.toISOString(),
    lastSeenAt: w.last_seen_at.toISOString(),
    offlineReason: w.offline_reason,
    spend: { currency: s.currency, spentTodayMinor: s.byWorkerMinor[w.id] ?? 0, dailyCapMinor: s.dailyCapMinor },
  };
}

@ApiTags('workers')
@Controller('workers')
export class WorkersController {
  constructor(
    private readonly repo: WorkersRepository,
    private readonly budgets: BudgetsService,
  ) {}

  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: [WorkerView] })
  async list(@Query() q: ListWorkersQuery): Promise<WorkerView[]> {
    const [rows, spend] = await Promise.all([this.repo.list(q.status), this.budgets.workerSpend()]);
    return rows.map((w) => toView(w, spend));
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOkResponse({ type: WorkerView })
  async get(@Param('id') id: string): Promise<WorkerView> {
    const w = await this.repo.get(id);
    if (!w) throw new NotFoundException(`worker ${id} not found`);
    return toView(w, await this.budgets.workerSpend());
  }
}
