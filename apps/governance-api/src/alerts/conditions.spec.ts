import { evaluate, type MonitorInputs, type MonitorThresholds } from './conditions';

const t: MonitorThresholds = {
  queueAgeSeconds: 300,
  workerFailures: 3,
  deadLetters: 5,
  errorRatePct: 50,
  errorMinTasks: 4,
  spendBurnPct: 150,
};
const noon = new Date('2026-03-01T12:00:00Z');
const quiet: MonitorInputs = {
  now: noon,
  dispatch: { pendingCount: 0, oldestPendingSince: null, stuckCount: 0, stuck: [] },
  workersOnline: 2,
  failuresByWorker: {},
  outcomes: { succeeded: 10, failed: 0 },
  deadLettersBySubject: {},
  ledgerConflicts: [],
};
const kinds = (i: MonitorInputs) => evaluate(i, t).findings.map((f) => `${f.kind}:${f.key}`);

describe('monitor conditions', () => {
  it('raises nothing when all is well, and judges every kind it has inputs for', () => {
    const r = evaluate(quiet, t);
    expect(r.findings).toEqual([]);
    expect(r.evaluated.sort()).toEqual([
      'dead_letters_rising',
      'error_rate_high',
      'ledger_conflict',
      'no_workers',
      'queue_stale',
      'spend_burn',
      'task_stuck',
      'worker_failing',
    ]);
  });

  it('flags tasks stuck past their lease and a queue older than the threshold', () => {
    const dispatch = { pendingCount: 3, oldestPendingSince: '2026-03-01T11:54:00Z', stuckCount: 2, stuck: [] };
    expect(kinds({ ...quiet, dispatch })).toEqual(['task_stuck:', 'queue_stale:']);
    expect(
      kinds({ ...quiet, dispatch: { ...dispatch, stuckCount: 0, oldestPendingSince: '2026-03-01T11:56:00Z' } }),
    ).toEqual([]);
  });

  it('does not judge queue kinds when the dispatcher did not answer (so their alerts are not resolved)', () => {
    const r = evaluate({ ...quiet, dispatch: undefined }, t);
    expect(r.evaluated).not.toContain('task_stuck');
    expect(r.evaluated).not.toContain('queue_stale');
  });

  it('flags no worker online as critical', () => {
    expect(evaluate({ ...quiet, workersOnline: 0 }, t).findings).toEqual([
      expect.objectContaining({ kind: 'no_workers', severity: 'critical' }),
    ]);
  });

  it('flags each worker that fails repeatedly, keyed by worker', () => {
    expect(kinds({ ...quiet, failuresByWorker: { a: 3, b: 2, c: 9 } })).toEqual([
      'worker_failing:a',
      'worker_failing:c',
    ]);
  });

  it('flags an error rate at or above the threshold only with enough finished tasks', () => {
    expect(kinds({ ...quiet, outcomes: { succeeded: 2, failed: 2 } })).toEqual(['error_rate_high:']);
    expect(kinds({ ...quiet, outcomes: { succeeded: 0, failed: 3 } })).toEqual([]);
    expect(kinds({ ...quiet, outcomes: { succeeded: 3, failed: 1 } })).toEqual([]);
  });

  it('flags dead letters rising past the threshold across subjects', () => {
    expect(kinds({ ...quiet, deadLettersBySubject: { a: 3, b: 2 } })).toEqual(['dead_letters_rising:']);
    expect(kinds({ ...quiet, deadLettersBySubject: { a: 4 } })).toEqual([]);
  });

  it('raises a critical ledger conflict per event id, naming the event, the posted transaction and what differs', () => {
    const transactionId = '0b7c3a52-5d1e-4c39-9a53-0d6f1e2b8c41';
    const seen = {
      eventId: 'rev-1',
      transactionId,
      subject: 'juggernaut.revenue.recorded.v1',
      deadLetters: 2,
      lastAt: '2026-03-01T11:59:00Z',
      reason: `conflict: eventId rev-1 was posted as transaction ${transactionId} with amountMinor 500; this event has amountMinor 700`,
    };
    const other = { ...seen, eventId: 'cost-9', subject: 'juggernaut.cost.recorded.v1', deadLetters: 1 };
    const r = evaluate({ ...quiet, ledgerConflicts: [seen, other] }, t);
    expect(r.findings.map((f) => `${f.kind}:${f.key}`)).toEqual(['ledger_conflict:rev-1', 'ledger_conflict:cost-9']);
    expect(r.findings[0]).toEqual({
      kind: 'ledger_conflict',
      key: 'rev-1',
      severity: 'critical',
      message:
        `ledger conflict: eventId rev-1 was posted as transaction ${transactionId} with amountMinor 500; this event has amountMinor 700 ` +
        '(dead-lettered from juggernaut.revenue.recorded.v1, not posted)',
      details: seen,
    });
  });

  it('does not judge ledger conflicts when their samples could not be read (so their alerts are not resolved)', () => {
    expect(evaluate({ ...quiet, ledgerConflicts: undefined }, t).evaluated).not.toContain('ledger_conflict');
  });

  it('flags spend burning faster than its pro-rata daily cap, and a reached cap as critical', () => {
    // at noon the pro-rata share of 1000 is 500; 150% of it is 750
    expect(kinds({ ...quiet, spendToday: { currency: 'USD', spentMinor: 700, capMinor: 1000 } })).toEqual([]);
    expect(
      evaluate({ ...quiet, spendToday: { currency: 'USD', spentMinor: 800, capMinor: 1000 } }, t).findings,
    ).toEqual([expect.objectContaining({ kind: 'spend_burn', key: 'USD', severity: 'warning' })]);
    expect(
      evaluate({ ...quiet, spendToday: { currency: 'USD', spentMinor: 1000, capMinor: 1000 } }, t).findings[0]!
        .severity,
    ).toBe('critical');
  });

  it('gives the first hour of a day an hour of budget rather than none', () => {
    const early = new Date('2026-03-01T00:01:00Z');
    // 1000/24 ≈ 41.7 per hour; 150% ≈ 62.5
    expect(kinds({ ...quiet, now: early, spendToday: { currency: 'USD', spentMinor: 60, capMinor: 1000 } })).toEqual(
      [],
    );
    expect(kinds({ ...quiet, now: early, spendToday: { currency: 'USD', spentMinor: 70, capMinor: 1000 } })).toEqual([
      'spend_burn:USD',
    ]);
  });

  it('raises a warning per payment provider while its latest reconciliation differs, and none once it is clean', () => {
    const rec = {
      source: 'stripe',
      reconciliationId: 'r1',
      from: '2026-02-28T00:00:00.000Z',
      to: '2026-03-01T00:00:00.000Z',
      missing: 2,
      extra: 1,
      mismatched: 0,
    };
    const r = evaluate({ ...quiet, reconciliations: [rec, { ...rec, source: 'my-shop', missing: 0, extra: 0 }] }, t);
    expect(r.evaluated).toContain('reconciliation_differences');
    expect(r.findings).toEqual([
      expect.objectContaining({
        kind: 'reconciliation_differences',
        key: 'stripe',
        severity: 'warning',
        message: expect.stringContaining('2 missing, 1 extra, 0 mismatched'),
      }),
    ]);
    expect(kinds({ ...quiet, reconciliations: [{ ...rec, missing: 0, extra: 0 }] })).toEqual([]);
    expect(evaluate(quiet, t).evaluated).not.toContain('reconciliation_differences');
  });
});
