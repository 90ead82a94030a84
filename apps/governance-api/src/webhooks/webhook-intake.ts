import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { type PaymentEventV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { Metrics } from '@juggernaut/observability';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { GovernanceEnv } from '../config';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { WebhookSourcesRepository } from './webhook-sources.repository';
import { applyMapping, MappingError, parseBody } from './webhook-mapping';
import { type RejectReason, verifyGeneric, verifyStripe, WebhookRejected } from './webhook-signature';

export interface WebhookAnswer {
  received: true;
  /** The same delivery was captured before (a provider's retry within JetStream's duplicate window). */
  duplicate: boolean;
  /** A generic source's event of a kind its mapping does not name: acknowledged and counted, not posted. */
  ignored?: boolean;
}

/**
 * Payment providers' webhooks: limited per client address, authenticated only by their signature
 * over the raw body (no API key), and put on JetStream (`juggernaut.payment.event.v1`) before they
 * are answered, so a crash after the answer loses nothing. The message id is the provider's event
 * id with a digest of the body: a provider's retry of the same delivery is dropped by the stream's
 * duplicate window, and a redelivery with other content reaches the ledger, which calls it a conflict.
 * Refused (400): unsigned, badly signed, stale or malformed deliveries, counted in
 * `juggernaut_webhooks_rejected_total{source,reason}`, never published.
 */
@Injectable()
export class WebhookIntake {
  private readonly received;
  private readonly rejected;

  constructor(
    private readonly bus: Bus,
    private readonly sources: WebhookSourcesRepository,
    private readonly limiter: RateLimiter,
    metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: GovernanceEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.received = metrics.counter(
      'juggernaut_webhooks_received_total',
      'Signed webhook deliveries accepted, by source and outcome',
      ['source', 'outcome'],
    );
    this.rejected = metrics.counter(
      'juggernaut_webhooks_rejected_total',
      'Webhook deliveries refused, by source and reason (never published)',
      ['source', 'reason'],
    );
  }

  async stripe(req: Request, res: Response): Promise<WebhookAnswer> {
    const secret = this.config.STRIPE_WEBHOOK_SECRET;
    const { address, body } = this.admit(req, res);
    if (!secret) throw new NotFoundException('no Stripe webhook is configured here (STRIPE_WEBHOOK_SECRET)');
    const event = this.checked('stripe', address, res, () =>
      verifyStripe(body, req.header('stripe-signature'), secret, this.config.STRIPE_WEBHOOK_TOLERANCE_S),
    );
    return this.capture(
      {
        source: 'stripe',
        eventId: event['id'] as string,
        eventType: event['type'] as string,
        receivedAt: new Date().toISOString(),
        stripe: event,
      },
      body,
    );
  }

  async generic(name: string, req: Request, res: Response): Promise<WebhookAnswer> {
    const { address, body } = this.admit(req, res);
    const source = await this.sources.forDelivery(name);
    if (!source) {
      this.rejected.inc({ source: 'unknown', reason: 'unknown_source' });
      this.limiter.chargeAddress(address, res);
      throw new NotFoundException(`no webhook source ${name}`);
    }
    const mapped = this.checked(name, address, res, () => {
      verifyGeneric(source.scheme, req.headers, body, source.secret, source.toleranceSeconds);
      try {
        return applyMapping(source.mapping, parseBody(body, req.header('content-type')), new Date());
      } catch (e) {
        if (e instanceof MappingError)
          throw new WebhookRejected('malformed', `signed, but not readable with the source's mapping: ${e.message}`);
        throw e;
      }
    });
    if (!mapped.movement) {
      this.received.inc({ source: name, outcome: 'ignored' });
      return { received: true, duplicate: false, ignored: true };
    }
    return this.capture(
      {
        source: name,
        eventId: mapped.eventId,
        eventType: mapped.eventType,
        receivedAt: new Date().toISOString(),
        movement: mapped.movement,
      },
      body,
    );
  }

  /** The per-address limits (429 before any work), and the raw body. */
  private admit(req: Request, res: Response): { address: string; body: Buffer } {
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    this.limiter.checkWebhook(address, res);
    // An address that spent its unauthenticated calls on bad signatures waits before it is heard again.
    this.limiter.checkAddress(address, res);
    const body = (req as Request & { body?: unknown }).body;
    return { address, body: Buffer.isBuffer(body) ? body : Buffer.alloc(0) };
  }

  private checked<T>(source: string, address: string, res: Response, verify: () => T): T {
    try {
      return verify();
    } catch (e) {
      if (!(e instanceof WebhookRejected)) throw e;
      this.rejected.inc({ source, reason: e.reason satisfies RejectReason });
      this.logger.warn({ source, reason: e.reason, address }, `webhook refused: ${e.message}`);
      this.limiter.chargeAddress(address, res);
      throw new HttpException(
        { statusCode: 400, error: 'Bad Request', message: e.message, reason: e.reason },
        HttpStatus.BAD_REQUEST,
      );
    }
  }

  /** On JetStream, acknowledged by the stream, before the provider hears back. */
  private async capture(event: PaymentEventV1, body: Buffer): Promise<WebhookAnswer> {
    const digest = createHash('sha256').update(body).digest('hex').slice(0, 32);
    let duplicate: boolean;
    try {
      ({ duplicate } = await this.bus.publish(Subjects.paymentEvent, event, {
        msgId: `${event.source}:${event.eventId}:${digest}`,
      }));
    } catch (e) {
      this.logger.error(
        { err: e, source: event.source, eventId: event.eventId },
        'could not capture a webhook event; the provider will retry',
      );
      throw new ServiceUnavailableException('the event could not be stored; retry later');
    }
    this.received.inc({ source: event.source, outcome: duplicate ? 'duplicate' : 'accepted' });
    return { received: true, duplicate };
  }
}
