import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { PAYMENT_SOURCE_PATTERN } from './payment-event.v1';

/**
 * How a generic source signs: `juggernaut` (headers `Webhook-Timestamp: <unix s>` and
 * `Webhook-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`), or `paddle`
 * (`Paddle-Signature: ts=<unix s>;h1=<hex HMAC-SHA256(secret, "<ts>:<raw body>")>`).
 */
export const WEBHOOK_SCHEMES = ['juggernaut', 'paddle'] as const;
export type WebhookScheme = (typeof WEBHOOK_SCHEMES)[number];

/**
 * Where a generic source's event keeps what the ledger needs, as JSON pointers (RFC 6901) into the
 * body (a form-encoded body is read as an object of its fields). Checked field by field at creation.
 */
export interface WebhookMappingV1 {
  /** The provider's event id (required): an event is applied once per source and id. */
  eventId: string;
  /** The event's kind; with `kinds`, its values are translated (`{"sale": "payment", "refund": "refund"}`); without, every event is a payment. */
  kind?: string;
  kinds?: Record<string, string>;
  /** The amount (required), in minor units (`amountFormat: "minor"`, default) or as a decimal in major units (`"major"`: "12.50"). */
  amount: string;
  amountFormat?: 'minor' | 'major';
  /** The ISO 4217 currency (a pointer), or `currencyConstant` when the source has one currency. */
  currency?: string;
  currencyConstant?: string;
  /** When it happened: ISO 8601 or Unix seconds; absent, the time it was received. */
  occurredAt?: string;
  /** The id of the object that moved the money (default: the event id), and for a refund the payment it refunds. */
  ref?: string;
  paymentRef?: string;
  product?: string;
  attribution?: Partial<
    Record<'experimentId' | 'variantKey' | 'unitId' | 'goalId' | 'opportunityId' | 'customerRef', string>
  >;
}

export class CreateWebhookSourceDto {
  @ApiProperty({
    example: 'my-shop',
    description: 'Lowercase letters, digits and dashes; its webhook is `POST /api/v1/webhooks/<name>`. Not `stripe`.',
  })
  @IsString()
  @Matches(PAYMENT_SOURCE_PATTERN, {
    message: 'name must be lowercase letters, digits and dashes, starting with a letter (at most 40)',
  })
  name!: string;

  @ApiPropertyOptional({ enum: WEBHOOK_SCHEMES, default: 'juggernaut' })
  @IsOptional()
  @IsIn(WEBHOOK_SCHEMES)
  scheme?: WebhookScheme;

  @ApiPropertyOptional({
    description:
      "The signing secret, when the provider chose it (Paddle's endpoint secret); absent, one is generated. Shown once.",
  })
  @IsOptional()
  @IsString()
  @MinLength(24)
  @MaxLength(512)
  secret?: string;

  @ApiPropertyOptional({ default: 300, description: 'How old a signature timestamp may be, in seconds.' })
  @IsOptional()
  @IsInt()
  @Min(10)
  @Max(3600)
  toleranceSeconds?: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: {
      eventId: '/id',
      kind: '/type',
      kinds: { 'order.paid': 'payment', 'order.refunded': 'refund' },
      amount: '/data/amount_cents',
      currency: '/data/currency',
      occurredAt: '/created_at',
      ref: '/data/order_id',
      paymentRef: '/data/order_id',
      attribution: { experimentId: '/data/meta/experiment' },
    },
  })
  @IsObject()
  mapping!: WebhookMappingV1;
}

export class WebhookSourceViewV1 {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: WEBHOOK_SCHEMES }) scheme!: WebhookScheme;
  @ApiProperty() toleranceSeconds!: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) mapping!: WebhookMappingV1;
  @ApiProperty({ description: 'The first characters of the secret, to recognise it.' }) secretPrefix!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() url!: string;
}

export class CreatedWebhookSourceV1 extends WebhookSourceViewV1 {
  @ApiProperty({ description: 'The signing secret: shown only in this answer.' }) secret!: string;
}
