import type { AlertKind, DispatchHealthV1 } from '@juggernaut/contracts';

export interface MonitorThresholds {
  queueAgeSeconds: number;
  workerFailures: number;
  deadLetters: number;
  errorRatePct: number;
  errorMinTasks: number;
  spendBurnPct: number;
}

/** What the monitor observed; a source that could not be read is undefined and its kinds are not judged. */
export interface MonitorInputs {
  now: Date;
  dispatch?: DispatchHealthV1;
  workersOnline?: number;
  /** Failed or dead tasks per worker within the window. */
  failuresByWorker?: Record<string, number>;
  outcomes?: { succeeded: number; failed: number };
  deadLettersBySubject?: Record<string, number>;
  /** Event ids the ledger refused in the conflict window because they were posted with other content. */
  ledgerConflicts?: LedgerConflictSeen[];
  /** The latest reconciliation of each payment provider with the ledger (within a week). */
  reconciliations?: ReconciliationSeen[];
  /** Spend since 00:00 UTC in the policy's currency, against the global daily cap (absent: no cap). */
  spendToday?: { currency: string; spentMinor: number; capMinor: number };
}

/** A ledger conflict as its dead letters told it: the latest reason and how many times it came. */
export interface LedgerConflictSeen {
  eventId: string;
  transactionId: string;
  /** The inbound subject the conflicting event came on. */
  subject: string;
  /** `conflict: eventId … was posted as transaction … with …; this event has …`, from the latest dead letter. */
  reason: string;
  deadLetters: number;
  lastAt: string;
}

/** A provider's latest reconciliation: how many entries differ between its balance and the ledger. */
export interface ReconciliationSeen {
  source: string;
  reconciliationId: string;
  from: string;
  to: string;
  missing: number;
  extra: number;
  mismatched: number;
}

export interface Finding {
  kind: AlertKind;
  /** Distinguishes alerts of one kind (a worker id); '' when there is one per kind. */
  key: string;
  severity: 'info' | 'warning' | 'critical';
  message: string;
  details: Record<string, unknown>;
}

const DAY_MS = 86_400_000;

/**
 * The monitor's rules, pure: given what was observed, which alerts should be active. Kinds whose
 * inputs are missing are left out of `evaluated`, so their alerts are neither raised nor resolved.
 */
export function evaluate(i: MonitorInputs, t: MonitorThresholds): { findings: Finding[]; evaluated: AlertKind[] } {
  const findings: Finding[] = [];
  const evaluated: AlertKind[] = [];

  if (i.dispatch) {
    evaluated.push('task_stuck', 'queue_stale');
    if (i.dispatch.stuckCount > 0) {
      findings.push({
        kind: 'task_stuck',
        key: '',
        severity: 'warning',
        message: `${i.dispatch.stuckCount} running task(s) past their lease and not reclaimed`,
        details: { count: i.dispatch.stuckCount, tasks: i.dispatch.stuck },
      });
    }
    if (i.dispatch.oldestPendingSince) {
      const ageSeconds = Math.floor((i.now.getTime() - Date.parse(i.dispatch.oldestPendingSince)) / 1000);
      if (ageSeconds > t.queueAgeSeconds) {
        findings.push({
          kind: 'queue_stale',
          key: '',
          severity: 'warning',
          message: `the oldest ready task has waited ${ageSeconds} s (threshold ${t.queueAgeSeconds} s)`,
          details: { ageSeconds, pendingCount: i.dispatch.pendingCount, since: i.dispatch.oldestPendingSince },
        });
      }
    }
  }

  if (i.workersOnline !== undefined) {
    evaluated.push('no_workers');
    if (i.workersOnline === 0) {
      findings.push({
        kind: 'no_workers',
        key: '',
        severity: 'critical',
        message: 'no worker is online: nothing will be executed',
        details: {},
      });
    }
  }

  if (i.failuresByWorker) {
    evaluated.push('worker_failing');
    for (const [workerId, failures] of Object.entries(i.failuresByWorker)) {
      if (failures >= t.workerFailures) {
        findings.push({
          kind: 'worker_failing',
          key: workerId,
          severity: 'warning',
          message: `worker ${workerId} failed ${failures} task(s) in the window (threshold ${t.workerFailures})`,
          details: { workerId, failures },
        });
      }
    }
  }

  if (i.outcomes) {
    evaluated.push('error_rate_high');
    const total = i.outcomes.succeeded + i.outcomes.failed;
    const pct = total === 0 ? 0 : Math.round((i.outcomes.failed / total) * 100);
    if (total >= t.errorMinTasks && pct >= t.errorRatePct) {
      findings.push({
        kind: 'error_rate_high',
        key: '',
        severity: 'critical',
        message: `${pct}% of ${total} finished tasks failed in the window (threshold ${t.errorRatePct}%)`,
        details: { ...i.outcomes, pct },
      });
    }
  }

  if (i.deadLettersBySubject) {
    evaluated.push('dead_letters_rising');
    const total = Object.values(i.deadLettersBySubject).reduce((a, b) => a + b, 0);
    if (total >= t.deadLetters) {
      findings.push({
        kind: 'dead_letters_rising',
        key: '',
        severity: 'warning',
        message: `${total} message(s) dead-lettered in the window (threshold ${t.deadLetters})`,
        details: { total, bySubject: i.deadLettersBySubject },
      });
    }
  }

  if (i.ledgerConflicts) {
    evaluated.push('ledger_conflict');
    // One per event id: money was reported twice, differently, and only the first is in the books.
    for (const c of i.ledgerConflicts) {
      findings.push({
        kind: 'ledger_conflict',
        key: c.eventId,
        severity: 'critical',
        message: `ledger ${c.reason} (dead-lettered from ${c.subject}, not posted)`,
        details: { ...c },
      });
    }
  }

  if (i.reconciliations) {
    evaluated.push('reconciliation_differences');
    // One per provider, while its latest reconciliation differs; the next clean one resolves it.
    for (const r of i.reconciliations) {
      const total = r.missing + r.extra + r.mismatched;
      if (total === 0) continue;
      findings.push({
        kind: 'reconciliation_differences',
        key: r.source,
        severity: 'warning',
        message: `${r.source} and the ledger differ for ${r.from} – ${r.to}: ${r.missing} missing, ${r.extra} extra, ${r.mismatched} mismatched (GET /api/v1/ledger/reconciliations/${r.reconciliationId})`,
        details: { ...r },
      });
    }
  }

  evaluated.push('spend_burn');
  if (i.spendToday) {
    const { spentMinor, capMinor, currency } = i.spendToday;
    const dayStart = Date.UTC(i.now.getUTCFullYear(), i.now.getUTCMonth(), i.now.getUTCDate());
    // at least an hour's share, so the first minutes of a day do not turn every cent into an alert
    const elapsed = Math.max((i.now.getTime() - dayStart) / DAY_MS, 1 / 24);
    const proRata = capMinor * elapsed;
    if (spentMinor >= capMinor || spentMinor > (proRata * t.spendBurnPct) / 100) {
      findings.push({
        kind: 'spend_burn',
        key: currency,
        severity: spentMinor >= capMinor ? 'critical' : 'warning',
        message:
          spentMinor >= capMinor
            ? `spent ${spentMinor} ${currency} minor units today: the daily cap of ${capMinor} is reached`
            : `spent ${spentMinor} of ${capMinor} ${currency} minor units by ${Math.round(elapsed * 100)}% of the day: on course to exceed the daily cap`,
        details: { spentMinor, capMinor, currency, proRataMinor: Math.round(proRata) },
      });
    }
  }
  return { findings, evaluated };
}
