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
import { GroupCommit } from '@juggernaut/persistence';
import { createHash } from 'node:crypto';
import { MonitorSamplesRepository, type Sample } from './monitor-samples.repository';

/** The ledger's inbound subjects: a dead letter from one of them may be a ledger conflict. */
const LEDGER_INBOUND: ReadonlySet<string> = new Set([
  Subjects.revenueRecorded,
  Subjects.costRecorded,
  Subjects.paymentEvent,
]);

/** Task outcome events handled at once per consumer: enough for a busy queue's events to share a write. */
const OUTCOME_CONCURRENCY = 128;
/** Samples written by one statement at most. */
const MAX_BATCH = 1_000;

/**
 * Feeds the monitor: task outcomes, spend and dead letters arrive on durable consumers (each
 * validated, invalid ones dead-lettered by the bus) and are kept as samples for its windows. A dead
 * letter the ledger wrote for an event id posted with other content is also kept as a ledger conflict,
 * and each reconciliation of a payment provider with the ledger as the latest word on that provider.
 * Samples are written in groups: the events that arrive while a write commits go together in the next
 * one (one statement for all), and each event is acknowledged once the write holding it has committed,
 * so a drain of thousands of tasks a second costs the monitor a few statements a second, not one each.
 */
@Injectable()
export class MonitorSamplesConsumer {
  private readonly writes = new GroupCommit<Sample[], void>(async (groups) => {
    await this.samples.addMany(groups.flat());
    return groups.map(() => undefined);
  }, MAX_BATCH);

  constructor(private readonly samples: MonitorSamplesRepository) {}

  @Consume(Subjects.taskSucceeded, {
    durable: 'governance-monitor-succeeded',
    concurrency: OUTCOME_CONCURRENCY,
    flatPayload: true,
  })
  succeeded(e: TaskEventV1): Promise<void> {
    return this.outcome(e, false);
  }

  @Consume(Subjects.taskFailed, {
    durable: 'governance-monitor-failed',
    concurrency: OUTCOME_CONCURRENCY,
    flatPayload: true,
  })
  failed(e: TaskEventV1): Promise<void> {
    return this.outcome(e, true);
  }

  @Consume(Subjects.taskDead, {
    durable: 'governance-monitor-dead',
    concurrency: OUTCOME_CONCURRENCY,
    flatPayload: true,
  })
  dead(e: TaskEventV1): Promise<void> {
    return this.outcome(e, true);
  }

  @Consume(Subjects.costRecorded, { durable: 'governance-monitor-cost', concurrency: 4 })
  async cost(c: CostRecordedV1): Promise<void> {
    await this.record({
      kind: 'spend',
      key: c.currency,
      amount: c.amountMinor,
      at: new Date(c.occurredAt),
      dedupe: `cost:${c.eventId}`,
    });
  }

  @Consume(Subjects.ledgerReconciled, { durable: 'governance-monitor-reconciled', concurrency: 2 })
  async reconciled(r: LedgerReconciledV1): Promise<void> {
    await this.record({
      kind: 'reconciliation',
      key: r.source,
      amount: r.missing + r.extra + r.mismatched,
      at: new Date(r.at),
      dedupe: `rec:${r.reconciliationId}`,
      detail: {
        reconciliationId: r.reconciliationId,
        from: r.from,
        to: r.to,
        missing: r.missing,
        extra: r.extra,
        mismatched: r.mismatched,
      },
    });
  }

  @Consume(Subjects.deadLetter, { durable: 'governance-monitor-deadletters', concurrency: 4 })
  async deadLetter(d: DeadLetterV1): Promise<void> {
    const digest = createHash('sha256')
      .update(JSON.stringify([d.subject, d.at, d.consumer, d.data]))
      .digest('hex');
    const at = new Date(d.at);
    const conflict = LEDGER_INBOUND.has(d.subject) ? parseLedgerConflict(d.reason) : null;
    await this.record(
      { kind: 'dead_letter', key: d.subject, amount: 1, at, dedupe: `dl:${digest}` },
      ...(conflict
        ? [
            {
              kind: 'ledger_conflict' as const,
              key: conflict.eventId,
              amount: 1,
              at,
              dedupe: `lc:${digest}`,
              detail: { transactionId: conflict.transactionId, subject: d.subject, reason: conflict.reason },
            },
          ]
        : []),
    );
  }

  private outcome(e: TaskEventV1, failed: boolean): Promise<void> {
    const at = new Date(e.at);
    const id = `task:${e.taskId}:${e.attempt}:${e.status}`;
    const outcome: Sample = { kind: 'task_outcome', key: failed ? 'failed' : 'succeeded', amount: 1, at, dedupe: id };
    return failed && e.workerId
      ? this.record(outcome, { kind: 'worker_failure', key: e.workerId, amount: 1, at, dedupe: `worker:${id}` })
      : this.record(outcome);
  }

  /** Resolves once the samples' group has committed (the event is acknowledged after that). */
  private record(...samples: Sample[]): Promise<void> {
    return this.writes.submit(samples);
  }
}
