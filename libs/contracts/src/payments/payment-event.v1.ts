import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO4217CurrencyCode,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { MAX_MINOR, MAX_NAME, MAX_TEXT } from '../common/validation';

/**
 * What a payment provider's event does to the money, in the ledger's words:
 * - `payment`: a customer paid (revenue, into the provider's clearing account);
 * - `fee`: the provider kept a fee (an expense, out of clearing);
 * - `refund`: money given back for a payment (revenue reversed, for the refunded amount);
 * - `dispute_opened` / `dispute_won` / `dispute_lost`: a chargeback holds the money, gives it back, or takes it for good;
 * - `payout` / `payout_failed`: the provider sent the balance to the bank (or it came back).
 */
export const PAYMENT_MOVEMENT_KINDS = [
  'payment',
  'fee',
  'refund',
  'dispute_opened',
  'dispute_won',
  'dispute_lost',
  'payout',
  'payout_failed',
] as const;
export type PaymentMovementKind = (typeof PAYMENT_MOVEMENT_KINDS)[number];

/** A payment source's name: `stripe`, or a generic webhook source (`gumroad`, `my-shop`). */
export const PAYMENT_SOURCE_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;

/** One money movement a provider reported, normalised (a generic webhook source's mapping makes these). */
export class PaymentMovementV1 {
  @ApiProperty({ enum: PAYMENT_MOVEMENT_KINDS })
  @IsIn(PAYMENT_MOVEMENT_KINDS)
  kind!: PaymentMovementKind;

  @ApiProperty({ description: "The provider's id of the object that moved the money (a sale, a refund, a payout)." })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  ref!: string;

  @ApiPropertyOptional({ description: 'For a refund, fee or dispute: the `ref` of the payment it belongs to.' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  paymentRef?: string;

  @ApiProperty({ description: 'Positive integer minor units.', minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR)
  amountMinor!: number;

  @ApiProperty({ example: 'USD' })
  @IsISO4217CurrencyCode()
  currency!: string;

  @ApiProperty()
  @IsISO8601({ strict: true })
  occurredAt!: string;

  @ApiPropertyOptional({ description: 'Product: the revenue goes to `revenue:<source>:<product>`.' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  product?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_NAME) experimentId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_NAME) variantKey?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_NAME) unitId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_NAME) goalId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_NAME) opportunityId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_NAME) customerRef?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_TEXT) description?: string;
}

/**
 * `juggernaut.payment.event.v1`: a payment provider's event, accepted by governance-api's webhook
 * after its signature was verified, captured by JetStream before the provider got its 2xx, and
 * turned into ledger entries once per `source` and `eventId` by revenue-ledger. Stripe events come
 * as Stripe sent them (`stripe`: the ledger reads them); a generic source's come mapped (`movement`).
 */
export class PaymentEventV1 {
  @ApiProperty({ example: 'stripe' })
  @IsString()
  @Matches(PAYMENT_SOURCE_PATTERN)
  source!: string;

  @ApiProperty({
    example: 'evt_1Q2w3E4r5T6y7U8i',
    description: "The provider's event id: the event is applied once per source and id.",
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  eventId!: string;

  @ApiProperty({ example: 'charge.succeeded' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  eventType!: string;

  @ApiProperty()
  @IsISO8601()
  receivedAt!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'The Stripe event object as Stripe signed it (source `stripe`).',
  })
  @IsOptional()
  @IsObject()
  stripe?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: PaymentMovementV1,
    description: "A generic source's event, mapped by the source's configuration.",
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PaymentMovementV1)
  movement?: PaymentMovementV1;
}
