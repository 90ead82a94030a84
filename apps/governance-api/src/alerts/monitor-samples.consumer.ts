import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { parseLedgerConflict, Subjects, type TaskEventV1 } from '@juggernaut/contracts';
import { Bus, type ConsumerHandle } from '@juggernaut/messaging';
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
export class MonitorSamplesConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private consumers: ConsumerHandle[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly samples: MonitorSamplesRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const outcome = (failed: boolean) => async (e: TaskEventV1) => {
      const at = new Date(e.at);
      const id = `task:${e.taskId}:${e.attempt}:${e.status}`;
      await this.samples.add('task_outcome', failed ? 'failed' : 'succeeded', 1, at, id);
      if (failed && e.workerId) await this.samples.add('worker_failure', e.workerId, 1, at, `worker:${id}`);
    };
    this.consumers.push(
      await this.bus.consume(
        Subjects.taskSucceeded,
        { durable: 'governance-monitor-succeeded', concurrency: 4 },
        outcome(false),
      ),
      await this.bus.consume(
        Subjects.taskFailed,
        { durable: 'governance-monitor-failed', concurrency: 4 },
        outcome(true),
      ),
      await this.bus.consume(Subjects.taskDead, { durable: 'governance-monitor-dead', concurrency: 4 }, outcome(true)),
      await this.bus.consume(
        Subjects.costRecorded,
        { durable: 'governance-monitor-cost', concurrency: 4 },
        async (c) => {
          await this.samples.add('spend', c.currency, c.amountMinor, new Date(c.occurredAt), `cost:${c.eventId}`);
        },
      ),
      await this.bus.consume(
        Subjects.ledgerReconciled,
        { durable: 'governance-monitor-reconciled', concurrency: 2 },
        async (r) => {
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
        },
      ),
      await this.bus.consume(
        Subjects.deadLetter,
        { durable: 'governance-monitor-deadletters', concurrency: 4 },
        async (d) => {
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
        },
      ),
    );
  }

  async onModuleDestroy(): Promise<void> {
    for (const c of this.consumers) await c.stop();
  }
}
