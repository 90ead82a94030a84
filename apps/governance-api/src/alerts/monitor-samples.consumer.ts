import { Injectable } from '@nestjs/common';
import {
  type CostRecordedV1,
  type DeadLetterV1,
  type LedgerReconciledV1,
  parseLedgerConflict,
  Subjects,
  type TaskEventV1,
} from '@juggernaut/contracts';
import { Consume } from '@juggernaut/messaging';
import { createHash } from 'node:crypto';
import { MonitorSamplesRepository } from './monitor-samples.repository';

/** The ledger's inbound subjects: a dead letter from one of them may be a ledger conflict. */
const LEDGER_INBOUND: ReadonlySet<string> = new Set([
  Subjects.revenueRecorded,
  Subjects.costRecorded,
  Subjects.paymentEvent,
]);

/**
 * Feeds the monitor: task outcomes, spend and dead letters arrive on durable consumers (each
 * validated, invalid ones dead-lettered by the bus) and are kept as samples for its windows. A dead
 * letter the ledger wrote for an event id posted with other content is also kept as a ledger conflict,
 * and each reconciliation of a payment provider with the ledger as the latest word on that provider.
 */
@Injectable()
export class MonitorSamplesConsumer {
  constructor(private readonly samples: MonitorSamplesRepository) {}

  @Consume(Subjects.taskSucceeded, { durable: 'governance-monitor-succeeded', concurrency: 4 })
  succeeded(e: TaskEventV1): Promise<void> {
    return this.outcome(e, false);
  }

  @Consume(Subjects.taskFailed, { durable: 'governance-monitor-failed', concurrency: 4 })
  failed(e: TaskEventV1): Promise<void> {
    return this.outcome(e, true);
  }

  @Consume(Subjects.taskDead, { durable: 'governance-monitor-dead', concurrency: 4 })
  dead(e: TaskEventV1): Promise<void> {
    return this.outcome(e, true);
  }

  @Consume(Subjects.costRecorded, { durable: 'governance-monitor-cost', concurrency: 4 })
  async cost(c: CostRecordedV1): Promise<void> {
    await this.samples.add('spend', c.currency, c.amountMinor, new Date(c.occurredAt), `cost:${c.eventId}`);
  }

  @Consume(Subjects.ledgerReconciled, { durable: 'governance-monitor-reconciled', concurrency: 2 })
  async reconciled(r: LedgerReconciledV1): Promise<void> {
    await this.samples.add(
      'reconciliation',
      r.source,
      r.missing + r.extra + r.mismatched,
      new Date(r.at),
      `rec:${r.reconciliationId}`,
      {
        reconciliationId: r.reconciliationId,
        from: r.from,
        to: r.to,
        missing: r.missing,
        extra: r.extra,
        mismatched: r.mismatched,
      },
    );
  }

  @Consume(Subjects.deadLetter, { durable: 'governance-monitor-deadletters', concurrency: 4 })
  async deadLetter(d: DeadLetterV1): Promise<void> {
    const digest = createHash('sha256')
      .update(JSON.stringify([d.subject, d.at, d.consumer, d.data]))
      .digest('hex');
    await this.samples.add('dead_letter', d.subject, 1, new Date(d.at), `dl:${digest}`);
    const conflict = LEDGER_INBOUND.has(d.subject) ? parseLedgerConflict(d.reason) : null;
    if (conflict) {
      await this.samples.add('ledger_conflict', conflict.eventId, 1, new Date(d.at), `lc:${digest}`, {
        transactionId: conflict.transactionId,
        subject: d.subject,
        reason: conflict.reason,
      });
    }
  }

  private async outcome(e: TaskEventV1, failed: boolean): Promise<void> {
    const at = new Date(e.at);
    const id = `task:${e.taskId}:${e.attempt}:${e.status}`;
    await this.samples.add('task_outcome', failed ? 'failed' : 'succeeded', 1, at, id);
    if (failed && e.workerId) await this.samples.add('worker_failure', e.workerId, 1, at, `worker:${id}`);
  }
}
