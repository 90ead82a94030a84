import { Injectable } from '@nestjs/common';
import { type PaymentEventV1, Subjects } from '@juggernaut/contracts';
import { Consume, PermanentMessageError } from '@juggernaut/messaging';
import { PaymentsService } from './payments.service';

/**
 * Payment providers' events (`juggernaut.payment.event.v1`, published by governance-api's webhooks
 * once their signature checked out) through a durable JetStream consumer. A message is acknowledged
 * once its database transaction committed; an event under a known id with other content (a conflict)
 * or one that cannot be posted is dead-lettered with the reason, not retried.
 */
@Injectable()
export class PaymentsConsumer {
  constructor(private readonly payments: PaymentsService) {}

  @Consume(Subjects.paymentEvent, {
    durable: 'revenue-ledger-payments',
    concurrency: 4,
    ackWaitMs: 60_000,
    maxDeliver: 10,
  })
  async apply(e: PaymentEventV1): Promise<void> {
    const outcome = await this.payments.apply(e);
    if (outcome.status === 'conflict' || outcome.status === 'rejected') throw new PermanentMessageError(outcome.reason);
  }
}
