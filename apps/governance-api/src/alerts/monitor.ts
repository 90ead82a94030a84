import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ALERT_KINDS, type AlertRaisedV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { Metrics } from '@juggernaut/observability';
import { enqueueEvent, type Queryable } from '@juggernaut/persistence';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { GovernanceEnv } from '../config';
import { PoliciesService } from '../policies/policies.service';
import { WorkersRepository } from '../workers/workers.repository';
import { type AlertRow, AlertsRepository } from './alerts.repository';
import { evaluate, type MonitorInputs, type MonitorThresholds } from './conditions';
import { MonitorSamplesRepository } from './monitor-samples.repository';

/** Ledger conflicts alerted at once, the most recent first; every one of them is in the dead letters. */
const MAX_LEDGER_CONFLICT_ALERTS = 100;
/** How long a provider's latest reconciliation stands (reconciliations run daily; a week covers an outage). */
const RECONCILIATION_WINDOW_S = 7 * 86_400;

export function toAlertEvent(r: AlertRow): AlertRaisedV1 {
  return {
    alertId: r.id,
    kind: r.kind,
    severity: r.severity,
    message: r.message,
    ...(r.details ? { details: r.details } : {}),
    at: r.raised_at.toISOString(),
  };
}

/**
 * Self-monitoring: every interval one replica (an advisory lock) reads the dispatcher's queue
 * report, the worker registry, the policy and the sample windows, applies the rules in
 * `conditions.ts`, raises new alerts (`alert.raised`) and resolves cleared ones (`alert.resolved`).
 */
@Injectable()
export class Monitor implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly thresholds: MonitorThresholds;

  constructor(
    private readonly db: DataSource,
    private readonly bus: Bus,
    private readonly alerts: AlertsRepository,
    private readonly samples: MonitorSamplesRepository,
    private readonly workers: WorkersRepository,
    private readonly policies: PoliciesService,
    metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: GovernanceEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.thresholds = {
      queueAgeSeconds: config.JUGGERNAUT_ALERT_QUEUE_AGE_S,
      workerFailures: config.JUGGERNAUT_ALERT_WORKER_FAILURES,
      deadLetters: config.JUGGERNAUT_ALERT_DEAD_LETTERS,
      errorRatePct: config.JUGGERNAUT_ALERT_ERROR_RATE_PCT,
      errorMinTasks: config.JUGGERNAUT_ALERT_ERROR_MIN_TASKS,
      spendBurnPct: config.JUGGERNAUT_ALERT_SPEND_BURN_PCT,
    };
    const store = this.alerts;
    metrics.gauge('juggernaut_alerts_active', 'Active alerts by kind', ['kind'], async function () {
      const counts = await store.activeByKind();
      for (const kind of ALERT_KINDS) this.set({ kind }, counts[kind] ?? 0);
    });
  }

  onApplicationBootstrap(): void {
    // the first evaluation waits one interval, so workers have time to announce themselves
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.tick().finally(() => (this.running = undefined));
    }, this.config.JUGGERNAUT_MONITOR_INTERVAL_MS);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One evaluation; exposed so tests and operators can run it at once. */
  async tick(): Promise<void> {
    try {
      const inputs = await this.observe();
      const { findings, evaluated } = evaluate(inputs, this.thresholds);
      await this.db.transaction(async (tx) => {
        const [{ mine }] = (await tx.query(
          `SELECT pg_try_advisory_xact_lock(hashtext('juggernaut:monitor')) AS mine`,
        )) as Array<{ mine: boolean }>;
        if (!mine) return; // another replica is evaluating right now
        for (const f of findings) {
          const { row, raised } = await this.alerts.upsert(f, tx);
          if (raised) await this.announce(tx, row, 'raised');
        }
        for (const row of await this.alerts.resolveCleared(evaluated, findings, tx))
          await this.announce(tx, row, 'resolved');
      });
      const keepS = Math.max(
        2 * this.config.JUGGERNAUT_ALERT_WINDOW_S,
        2 * 86_400,
        this.config.JUGGERNAUT_ALERT_LEDGER_CONFLICT_S,
        RECONCILIATION_WINDOW_S,
      );
      await this.samples.prune(new Date(Date.now() - keepS * 1000));
    } catch (e) {
      this.logger.warn({ err: e }, 'monitor evaluation failed; will retry');
    }
  }

  private async announce(tx: Queryable, row: AlertRow, what: 'raised' | 'resolved'): Promise<void> {
    const log = { kind: row.kind, key: row.key, severity: row.severity };
    if (what === 'raised') {
      this.logger.warn(log, `alert raised: ${row.message}`);
      await enqueueEvent(tx, 'governance', Subjects.alertRaised, toAlertEvent(row));
    } else {
      this.logger.info(log, `alert resolved: ${row.message}`);
      await enqueueEvent(tx, 'governance', Subjects.alertResolved, {
        ...toAlertEvent(row),
        resolvedAt: row.resolved_at!.toISOString(),
      });
    }
  }

  private async observe(): Promise<MonitorInputs> {
    const now = new Date();
    const windowStart = new Date(now.getTime() - this.config.JUGGERNAUT_ALERT_WINDOW_S * 1000);
    const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const dispatch = await this.bus
      .request(Subjects.dispatchHealth, { stuckAfterSeconds: this.config.JUGGERNAUT_ALERT_STUCK_AFTER_S }, 3_000)
      .catch((e: unknown) => {
        this.logger.warn({ err: e }, 'the dispatcher did not report its queue; queue alerts are not judged this time');
        return undefined;
      });
    const outcomes = await this.samples.sumByKey('task_outcome', windowStart);
    const policy = await this.policies.current();
    const cap = policy.budgets.globalDailyCapMinor;
    const spent =
      cap !== undefined ? ((await this.samples.sumByKey('spend', dayStart))[policy.budgets.currency] ?? 0) : 0;
    const conflictsSince = new Date(now.getTime() - this.config.JUGGERNAUT_ALERT_LEDGER_CONFLICT_S * 1000);
    const conflicts = await this.samples.latestByKey('ledger_conflict', conflictsSince, MAX_LEDGER_CONFLICT_ALERTS);
    const reconciled = await this.samples.latestByKey(
      'reconciliation',
      new Date(now.getTime() - RECONCILIATION_WINDOW_S * 1000),
      100,
    );
    return {
      now,
      ...(dispatch ? { dispatch } : {}),
      workersOnline: await this.workers.countOnline(),
      failuresByWorker: await this.samples.sumByKey('worker_failure', windowStart),
      outcomes: { succeeded: outcomes['succeeded'] ?? 0, failed: outcomes['failed'] ?? 0 },
      deadLettersBySubject: await this.samples.sumByKey('dead_letter', windowStart),
      ledgerConflicts: conflicts.map((c) => ({
        eventId: c.key,
        transactionId: String(c.detail?.['transactionId'] ?? ''),
        subject: String(c.detail?.['subject'] ?? ''),
        reason: String(c.detail?.['reason'] ?? ''),
        deadLetters: c.count,
        lastAt: c.at.toISOString(),
      })),
      reconciliations: reconciled.map((r) => ({
        source: r.key,
        reconciliationId: String(r.detail?.['reconciliationId'] ?? ''),
        from: String(r.detail?.['from'] ?? ''),
        to: String(r.detail?.['to'] ?? ''),
        missing: Number(r.detail?.['missing'] ?? 0),
        extra: Number(r.detail?.['extra'] ?? 0),
        mismatched: Number(r.detail?.['mismatched'] ?? 0),
      })),
      ...(cap !== undefined
        ? { spendToday: { currency: policy.budgets.currency, spentMinor: spent, capMinor: cap } }
        : {}),
    };
  }
}
