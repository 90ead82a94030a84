import { PageQuery } from '../common/pagination';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Min } from 'class-validator';
import { PAYMENT_SOURCE_PATTERN } from './payment-event.v1';

export const RECONCILE_TASK = 'ledger.reconcile';
export const RECONCILIATION_STATUSES = ['clean', 'differences'] as const;
export type ReconciliationStatus = (typeof RECONCILIATION_STATUSES)[number];
export const ADJUSTMENT_STATUSES = ['none', 'awaiting_approval', 'posted', 'rejected'] as const;
export type AdjustmentStatus = (typeof ADJUSTMENT_STATUSES)[number];

/**
 * The payload of a `ledger.reconcile` task: which provider, and which period of its balance
 * transactions (by their creation time). Without a period: the previous UTC day.
 */
export class ReconcileTaskPayloadV1 {
  @ApiPropertyOptional({ example: 'stripe', default: 'stripe' })
  @IsOptional()
  @IsIn(['stripe'])
  source?: 'stripe';

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-02T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class ReconciliationPostingV1 {
  @ApiProperty() account!: string;
  @ApiProperty() amountMinor!: number;
  @ApiProperty() currency!: string;
}

/** One difference between the provider's balance and the ledger's clearing account. */
export class ReconciliationItemV1 {
  @ApiPropertyOptional({ description: "The provider's balance transaction (missing, mismatched)." })
  balanceTransactionId?: string;
  @ApiProperty({
    example: 'charge',
    description: 'The balance transaction type, or the ledger kind for an extra entry.',
  })
  type!: string;
  @ApiPropertyOptional({ description: 'What moved the money at the provider: a charge, refund, payout or dispute id.' })
  ref?: string;
  @ApiProperty() currency!: string;
  @ApiPropertyOptional({ description: "Net effect on the provider's balance, minor units." }) providerNetMinor?: number;
  @ApiPropertyOptional({ description: "Net effect on the ledger's clearing account, minor units." })
  ledgerNetMinor?: number;
  @ApiProperty({ type: [String], description: 'The ledger event ids this item is about.' }) eventIds!: string[];
  @ApiPropertyOptional() occurredAt?: string;
  @ApiPropertyOptional({
    type: [ReconciliationPostingV1],
    description: 'For a missing item: the adjusting entry offered for approval.',
  })
  suggestedPostings?: ReconciliationPostingV1[];
}

export class ReconciliationAdjustmentV1 {
  @ApiProperty({ enum: ADJUSTMENT_STATUSES }) status!: AdjustmentStatus;
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The approval an admin or operator decides (`POST /approvals/:id/approve`).',
  })
  approvalId?: string;
  @ApiPropertyOptional({ type: [String], description: 'Transactions posted once it was approved.' })
  transactionIds?: string[];
}

export class ReconciliationV1 {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'stripe' }) source!: string;
  @ApiPropertyOptional({ format: 'uuid' }) taskId?: string;
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ enum: RECONCILIATION_STATUSES }) status!: ReconciliationStatus;
  @ApiProperty({ description: 'Balance transactions the provider listed for the period.' })
  balanceTransactions!: number;
  @ApiProperty({ type: [ReconciliationItemV1], description: 'At the provider, not in the ledger.' })
  missing!: ReconciliationItemV1[];
  @ApiProperty({ type: [ReconciliationItemV1], description: 'In the ledger, not at the provider.' })
  extra!: ReconciliationItemV1[];
  @ApiProperty({ type: [ReconciliationItemV1], description: 'In both, for different amounts.' })
  mismatched!: ReconciliationItemV1[];
  @ApiProperty({ type: ReconciliationAdjustmentV1 }) adjustment!: ReconciliationAdjustmentV1;
  @ApiProperty() createdAt!: string;
}

export class ReconciliationIdV1 {
  @IsUUID() id!: string;
}

export class ListReconciliationsV1 extends PageQuery {
  @ApiPropertyOptional({ example: 'stripe' })
  @IsOptional()
  @IsString()
  @Matches(PAYMENT_SOURCE_PATTERN)
  source?: string;

  @ApiPropertyOptional({ enum: RECONCILIATION_STATUSES })
  @IsOptional()
  @IsIn(RECONCILIATION_STATUSES)
  status?: ReconciliationStatus;
}

export class ReconciliationPageV1 {
  @ApiProperty({ type: [ReconciliationV1] }) items!: ReconciliationV1[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

/** `juggernaut.ledger.reconciled.v1`: a reconciliation finished; the governance monitor alerts on differences. */
export class LedgerReconciledV1 {
  @ApiProperty({ format: 'uuid' }) @IsUUID() reconciliationId!: string;
  @ApiProperty() @IsString() @Matches(PAYMENT_SOURCE_PATTERN) source!: string;
  @ApiProperty({ enum: RECONCILIATION_STATUSES }) @IsIn(RECONCILIATION_STATUSES) status!: ReconciliationStatus;
  @ApiProperty() @IsISO8601() from!: string;
  @ApiProperty() @IsISO8601() to!: string;
  @ApiProperty() @IsInt() @Min(0) missing!: number;
  @ApiProperty() @IsInt() @Min(0) extra!: number;
  @ApiProperty() @IsInt() @Min(0) mismatched!: number;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() approvalId?: string;
  @ApiProperty() @IsISO8601() at!: string;
}
