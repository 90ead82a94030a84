import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import {
  type ClaimedTaskV1,
  RECONCILE_TASK,
  ReconcileTaskPayloadV1,
  type ReconciliationV1,
  Subjects,
} from '@juggernaut/contracts';
import { Bus, type ConsumerHandle, validatePayload } from '@juggernaut/messaging';
import { currentCorrelationId, Metrics } from '@juggernaut/observability';
import { PolicyFollower } from '@juggernaut/policy';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import { onReconnect, type RunContext, type TaskOutcome, TaskWorker, untilAnswered } from '@juggernaut/worker';
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AccountsRepository } from '../accounts/accounts.repository';
import type { LedgerEnv } from '../config';
import { LedgerMetrics } from '../ledger-metrics';
import { paymentAccountPrefixes, paymentAccounts } from '../payments/payment-entries';
import type { JournalEntry } from '../posting/journal-entry';
import { PostingRepository } from '../posting/posting.repository';
import { type ExpectedEntry, expectedEntries, reconcile } from './reconcile';
import { ReconciliationsRepository } from './reconciliations.repository';
import { StripeBalance } from './stripe-balance';

const DAY_MS = 86_400_000;
export const RECONCILE_SCHEDULE = 'ledger-reconcile-stripe-daily';
export const ADJUST_ACTION = 'ledger:adjust';

/** The canonical hash of the entries an approval allows: the approval is for exactly these. */
export function adjustmentHash(entries: ExpectedEntry[]): string {
  const canonical = entries.map((e) => ({
    eventId: e.eventId,
    kind: e.kind,
    postings: e.postings.map((p) => [p.account, p.currency, p.amountMinor]),
  }));
  return `sha256:${createHash('sha256').update(JSON.stringify(canonical)).digest('hex')}`;
}

class TerminalError extends Error {
  readonly terminal = true;
}

/**
 * revenue-ledger as a worker of the task queue for `ledger.reconcile` (only where STRIPE_API_KEY is
 * set: the key stays in the service that owns the money). A run lists Stripe's balance transactions
 * for the period (the previous UTC day unless the task says), compares them with the clearing
 * account, stores the report (`GET /api/v1/ledger/reconciliations/:id`) and announces it (the
 * governance monitor alerts on differences). Missing entries are offered as one adjusting entry
 * set for an admin or operator to approve: the task waits blocked on that approval, and only once it
 * is approved posts exactly the entries approved (under the keys the webhooks use, so a late webhook
 * does not count them twice). Nothing is posted without approval. It also schedules one run a day.
 */
@Injectable()
export class ReconcileWorker implements OnApplicationBootstrap, BeforeApplicationShutdown, OnModuleDestroy {
  private readonly worker?: TaskWorker;
  private readonly policy?: PolicyFollower;
  private decisions?: ConsumerHandle;
  private readonly runs;

  constructor(
    private readonly bus: Bus,
    private readonly stripe: StripeBalance,
    private readonly reconciliations: ReconciliationsRepository,
    private readonly accounts: AccountsRepository,
    private readonly posting: PostingRepository,
    private readonly ledgerMetrics: LedgerMetrics,
    private readonly db: DataSource,
    metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: LedgerEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.runs = metrics.counter(
      'juggernaut_ledger_reconciliations_total',
      'Reconciliations made, by source and status',
      ['source', 'status'],
    );
    if (!stripe.configured) return;
    // Followed only where reconciliations run: a worker claims nothing until it knows the policy, and stops on the kill switch.
    this.policy = new PolicyFollower(bus, logger);
    this.worker = new TaskWorker(
      bus,
      this.policy,
      logger,
      metrics,
      { workerId: `${config.HOSTNAME ?? hostname()}:ledger`, level: 3, capabilities: ['ledger'], concurrency: 1 },
      {
        pollIntervalMs: config.LEDGER_WORKER_POLL_INTERVAL_MS,
        heartbeatMaxIntervalMs: 5_000,
        presenceIntervalMs: 5_000,
        drainMs: 10_000,
      },
      [RECONCILE_TASK],
      (task, ctx) => this.execute(task, ctx),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.worker) return;
    this.policy!.onApplicationBootstrap();
    // A rejected or expired approval ends its task (the dispatcher fails it): the report says so.
    this.decisions = await this.bus.consume(
      Subjects.approvalDecided,
      { durable: 'revenue-ledger-approval-decided', concurrency: 2, deliverPolicy: 'new' },
      async (a) => {
        if (a.action === ADJUST_ACTION && (a.status === 'rejected' || a.status === 'expired'))
          await this.reconciliations.rejectByApproval(a.id);
      },
    );
    this.worker.start();
    void this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.stop();
  }

  async onModuleDestroy(): Promise<void> {
    await this.decisions?.stop();
    this.policy?.onModuleDestroy();
  }

  /** One run a day (the dispatcher's cron: one task per tick, whatever the replicas); an existing schedule is kept as an admin left it. */
  private async schedule(): Promise<void> {
    try {
      await untilAnswered(
        () =>
          this.bus.request(Subjects.scheduleCreate, {
            name: RECONCILE_SCHEDULE,
            cron: this.config.LEDGER_RECONCILE_CRON,
            timezone: 'UTC',
            catchUp: 'latest',
            task: {
              type: RECONCILE_TASK,
              title: 'Reconcile Stripe with the ledger (previous UTC day)',
              payload: { source: 'stripe' },
              maxAttempts: 5,
            },
          }),
        { giveUp: () => false, retryNow: onReconnect(this.bus) },
      );
      this.logger.info(
        { schedule: RECONCILE_SCHEDULE, cron: this.config.LEDGER_RECONCILE_CRON },
        'daily Stripe reconciliation scheduled',
      );
    } catch (e) {
      if ((e as { status?: number }).status === 409) return; // already scheduled
      this.logger.warn({ err: e }, 'could not schedule the daily reconciliation');
    }
  }

  async execute(task: ClaimedTaskV1, ctx: RunContext): Promise<TaskOutcome> {
    const checked = validatePayload(ReconcileTaskPayloadV1, task.payload ?? {});
    if (!checked.ok)
      return { kind: 'failed', error: `invalid ledger.reconcile payload: ${checked.reason}`, retryable: false };
    const p = checked.value;
    const to = p.to ? new Date(p.to) : new Date(Math.floor(Date.parse(task.createdAt) / DAY_MS) * DAY_MS);
    const from = p.from ? new Date(p.from) : new Date(to.getTime() - DAY_MS);
    if (!(from < to)) return { kind: 'failed', error: 'from must be before to', retryable: false };
    try {
      const { view, adjustments } = await this.reconciliationOf(task, from, to);
      if (adjustments.length === 0)
        return { kind: 'succeeded', result: { reconciliationId: view.id, status: view.status } };
      return await this.adjust(task, ctx, view, adjustments);
    } catch (e) {
      if (e instanceof TerminalError) return { kind: 'failed', error: e.message, retryable: false };
      throw e;
    }
  }

  /** The task's reconciliation: the one it made before (a run after a crash or an approval), or a new one. */
  private async reconciliationOf(
    task: ClaimedTaskV1,
    from: Date,
    to: Date,
  ): Promise<{ view: ReconciliationV1; adjustments: ExpectedEntry[] }> {
    const id =
      typeof task.checkpoint?.['reconciliationId'] === 'string'
        ? (task.checkpoint['reconciliationId'] as string)
        : undefined;
    const earlier = id ? await this.reconciliations.raw(id) : undefined;
    if (earlier)
      return {
        view: await this.reconciliations.get(earlier.id),
        adjustments: await this.reconciliations.adjustmentsOf(earlier),
      };
    const margin = this.config.LEDGER_RECONCILE_MARGIN_S * 1000;
    const around = await this.stripe.list(new Date(from.getTime() - margin), new Date(to.getTime() + margin));
    const inPeriod = around.filter((bt) => bt.created * 1000 >= from.getTime() && bt.created * 1000 < to.getTime());
    const bank = this.config.PAYMENTS_BANK_ACCOUNT;
    const expected = inPeriod.flatMap((bt) => expectedEntries(bt, bank).map((e) => e.eventId));
    const ledger = await this.reconciliations.clearing(paymentAccounts.clearing('stripe'), expected, from, to);
    const report = reconcile(inPeriod, around, ledger, { from, to }, bank);
    const saved = await this.reconciliations.save('stripe', task.id, { from, to }, inPeriod.length, report);
    this.runs.inc({ source: 'stripe', status: saved.view.status });
    if (saved.view.status === 'differences') {
      this.logger.warn(
        {
          reconciliationId: saved.view.id,
          missing: report.missing.length,
          extra: report.extra.length,
          mismatched: report.mismatched.length,
        },
        'Stripe and the ledger differ',
      );
    }
    return saved;
  }

  /** Missing entries: asked for, waited on, and posted only as approved. */
  private async adjust(
    task: ClaimedTaskV1,
    ctx: RunContext,
    view: ReconciliationV1,
    entries: ExpectedEntry[],
  ): Promise<TaskOutcome> {
    if (view.adjustment.status === 'posted')
      return { kind: 'succeeded', result: { reconciliationId: view.id, posted: view.adjustment.transactionIds ?? [] } };
    const argsHash = adjustmentHash(entries);
    const approval = view.adjustment.approvalId
      ? await this.bus.request(Subjects.approvalGet, { id: view.adjustment.approvalId })
      : await this.bus.request(Subjects.approvalRequest, {
          taskId: task.id,
          workerId: this.worker!.id,
          action: ADJUST_ACTION,
          argsHash,
          args: {
            reconciliationId: view.id,
            period: { from: view.from, to: view.to },
            entries: entries.map((e) => ({
              eventId: e.eventId,
              kind: e.kind,
              occurredAt: e.occurredAt,
              description: e.description,
              postings: e.postings,
            })),
          },
          amountMinor: entries.reduce((a, e) => a + Math.abs(e.clearingMinor), 0),
          reason:
            `reconciliation ${view.id}: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} Stripe has and the ledger does not; approve to post them`.slice(
              0,
              10_000,
            ),
        });
    if (!view.adjustment.approvalId) {
      await this.reconciliations.setAdjustment(view.id, 'awaiting_approval', approval.id);
      await ctx.checkpoint({ reconciliationId: view.id });
    }
    if (approval.status === 'pending') {
      return {
        kind: 'blocked',
        blockedOn: 'approval',
        approvalId: approval.id,
        reason: `reconciliation ${view.id} waits for approval ${approval.id} of its adjusting entries`,
      };
    }
    if (approval.status !== 'approved') {
      await this.reconciliations.setAdjustment(view.id, 'rejected');
      return { kind: 'succeeded', result: { reconciliationId: view.id, adjustment: approval.status } };
    }
    if (approval.argsHash !== argsHash)
      throw new TerminalError(`approval ${approval.id} is for other entries than reconciliation ${view.id} offers`);
    const ids = await this.post(entries, approval.decidedBy ?? 'an approver', view.id);
    await this.reconciliations.setAdjustment(view.id, 'posted', undefined, ids);
    return { kind: 'succeeded', result: { reconciliationId: view.id, posted: ids } };
  }

  /** Posts the approved entries under their own keys, once (an entry a webhook posted meanwhile is left as it is). */
  private async post(entries: ExpectedEntry[], approvedBy: string, reconciliationId: string): Promise<string[]> {
    const journal: JournalEntry[] = entries.map((e) => ({
      id: randomUUID(),
      eventId: e.eventId,
      kind: e.kind,
      occurredAt: e.occurredAt,
      postings: e.postings.map((p) => ({ ...p })),
      description: `${e.description}; approved by ${approvedBy}`,
      externalRef: e.ref,
      createdBy: `reconciliation:${reconciliationId}`,
      ...(e.kind === 'revenue' ? { source: 'stripe', amountMinor: e.clearingMinor, currency: e.currency } : {}),
      ...(e.kind === 'cost'
        ? { source: 'payment-fees:stripe', amountMinor: -e.clearingMinor, currency: e.currency }
        : {}),
    }));
    const accounts = await this.accounts.resolve(
      journal.flatMap((j) => j.postings.map((p) => p.account)),
      paymentAccountPrefixes(this.config.PAYMENTS_BANK_ACCOUNT),
    );
    const inserted = await this.db.transaction((em) =>
      this.posting.insert(em, journal, accounts, currentCorrelationId()),
    );
    this.ledgerMetrics.posted(journal.filter((j) => inserted.has(j.id)));
    return journal.filter((j) => inserted.has(j.id)).map((j) => j.id);
  }
}
