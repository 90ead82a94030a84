import { Controller, HttpCode, Param, Post, Req, Res, SetMetadata } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiExtension,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { PUBLIC_ROUTE } from '@juggernaut/service-kit';
import type { Request, Response } from 'express';
import { WebhookAnswerResponse } from '../http/response-types';
import { SourceNamePipe } from './source-name.pipe';
import { type WebhookAnswer, WebhookIntake } from './webhook-intake';

/** Marks a route reachable without an API key because a signature authenticates it; route-auth.int.spec.ts lists every one. */
export const PUBLIC_SIGNED = 'x-juggernaut-public';

/**
 * Payment providers' webhooks. No API key: each delivery is authenticated by its signature over the
 * raw body (the body reaches these handlers as bytes, see configure-http.ts), limited per address.
 */
@ApiTags('webhooks')
@Controller('webhooks')
@SetMetadata(PUBLIC_ROUTE, true)
export class WebhooksController {
  constructor(private readonly intake: WebhookIntake) {}

  @Post('stripe')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Stripe's webhook: payments, refunds, disputes and payouts into the ledger, once per event (docs/payments.md)",
  })
  @ApiExtension(
    PUBLIC_SIGNED,
    'Stripe-Signature over the raw body, checked against STRIPE_WEBHOOK_SECRET with its timestamp tolerance',
  )
  @ApiHeader({
    name: 'Stripe-Signature',
    required: true,
    description: 'Set by Stripe: `t=<unix s>,v1=<hex HMAC-SHA256>`.',
  })
  @ApiBody({
    schema: { type: 'object', additionalProperties: true, description: 'A Stripe event, exactly as Stripe sent it.' },
  })
  @ApiOkResponse({
    type: WebhookAnswerResponse,
    description: 'Captured by JetStream before this answer (`duplicate`: the same delivery was captured before).',
  })
  @ApiBadRequestResponse({ description: 'Unsigned, badly signed, stale or not a Stripe event; nothing was captured.' })
  @ApiNotFoundResponse({ description: 'STRIPE_WEBHOOK_SECRET is not set.' })
  @ApiPayloadTooLargeResponse({ description: 'Over JUGGERNAUT_WEBHOOK_MAX_BYTES.' })
  @ApiTooManyRequestsResponse({
    description: 'Over the per-address webhook limit, or this address sent too many bad signatures; see Retry-After.',
  })
  @ApiServiceUnavailableResponse({ description: 'The event could not be stored; the provider retries.' })
  stripe(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<WebhookAnswer> {
    return this.intake.stripe(req, res);
  }

  @Post(':source')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'A generic payment source (see /webhook-sources): HMAC-SHA256 over the timestamp and the raw body, read through its mapping',
  })
  @ApiExtension(PUBLIC_SIGNED, "HMAC-SHA256 with the source's secret over the timestamp and the raw body")
  @ApiHeader({
    name: 'Webhook-Signature',
    required: false,
    description: '`v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>` (scheme `juggernaut`).',
  })
  @ApiHeader({ name: 'Webhook-Timestamp', required: false, description: 'Unix seconds (scheme `juggernaut`).' })
  @ApiHeader({ name: 'Paddle-Signature', required: false, description: '`ts=<unix s>;h1=<hex>` (scheme `paddle`).' })
  @ApiBody({
    schema: { type: 'object', additionalProperties: true, description: "The provider's event, JSON or form-encoded." },
  })
  @ApiOkResponse({
    type: WebhookAnswerResponse,
    description: 'Captured by JetStream before this answer; `ignored` for a kind the mapping does not name.',
  })
  @ApiBadRequestResponse({
    description: 'Unsigned, badly signed, stale, or not readable with the mapping; nothing was captured.',
  })
  @ApiNotFoundResponse({ description: 'No such source.' })
  @ApiTooManyRequestsResponse({
    description: 'Over the per-address webhook limit, or this address sent too many bad signatures; see Retry-After.',
  })
  @ApiServiceUnavailableResponse({ description: 'The event could not be stored; the provider retries.' })
  generic(
    @Param('source', SourceNamePipe) source: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<WebhookAnswer> {
    return this.intake.generic(source, req, res);
  }
}
