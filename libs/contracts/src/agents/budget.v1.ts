import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsISO4217CurrencyCode,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { MAX_MINOR, MAX_NAME } from '../common/validation';

/**
 * A runner asking to hold money before a model call. Granted only if the amount fits under every
 * cap (per task, per worker per day, per level per day, global per day) counting what is already
 * reserved or spent. The same `reservationId` returns the first answer (idempotent).
 */
export class ReserveBudgetV1 {
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  reservationId!: string;

  @IsUUID()
  taskId!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  workerId!: string;

  @IsInt()
  @Min(1)
  @Max(5)
  level!: number;

  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  amountMinor!: number;

  @IsISO4217CurrencyCode()
  currency!: string;

  /** The task's own cap (`budgetMinor` of the task), applied besides the policy's per-task cap. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  taskBudgetMinor?: number;
}

export class BudgetReservationV1 {
  @ApiProperty() reservationId!: string;
  @ApiProperty() granted!: boolean;
  @ApiPropertyOptional({ description: 'Which cap refused the reservation.' }) reason?: string;
  @ApiProperty({ description: 'What the task has spent or holds, including this reservation if granted.' })
  taskSpentMinor!: number;
}

/** The actual cost of a reserved call, from the provider's reported usage; frees the difference. */
export class SettleBudgetV1 {
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  reservationId!: string;

  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  actualMinor!: number;
}

export class BudgetSettlementV1 {
  @ApiProperty() reservationId!: string;
  @ApiProperty() actualMinor!: number;
}

/** Spend per scope for today (UTC), as the budgets endpoint reports it. */
export class BudgetUsageV1 {
  @ApiProperty() currency!: string;
  @ApiProperty() day!: string;
  @ApiProperty({ description: 'Settled spend plus open reservations, all workers.' }) globalMinor!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) byLevelMinor!: Record<string, number>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) byWorkerMinor!: Record<string, number>;
  @ApiProperty() openReservations!: number;
}
