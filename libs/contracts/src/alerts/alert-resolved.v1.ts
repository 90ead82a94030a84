import { ApiProperty } from '@nestjs/swagger';
import { IsISO8601 } from 'class-validator';
import { AlertRaisedV1 } from './alert-raised.v1';

/** The condition behind an alert cleared; carries the alert as raised plus when it resolved. */
export class AlertResolvedV1 extends AlertRaisedV1 {
  @ApiProperty()
  @IsISO8601()
  resolvedAt!: string;
}

/** The conditions the governance monitor watches (the `kind` of an alert). */
export const ALERT_KINDS = [
  'task_stuck',
  'queue_stale',
  'no_workers',
  'worker_failing',
  'spend_burn',
  'dead_letters_rising',
  'error_rate_high',
  'ledger_conflict',
  'reconciliation_differences',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
