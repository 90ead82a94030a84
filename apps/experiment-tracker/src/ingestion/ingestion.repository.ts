import { Injectable } from '@nestjs/common';
import type { ExperimentConversionV1, ExperimentExposureV1, LedgerPostedV1 } from '@juggernaut/contracts';
import { PermanentMessageError } from '@juggernaut/messaging';
import { DataSource } from 'typeorm';
import { ledgerAmounts } from './ledger-attribution';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Exposures, conversions and ledger attributions, each stored exactly once: the primary keys
 * (experiment, unit), (experiment, conversion id) and (ledger transaction, kind, currency) absorb
 * redeliveries. A message about an unknown experiment or variant, or an exposure to an experiment
 * that is not running, can never succeed: it is rejected to the dead-letter subject with the reason.
 */
@Injectable()
export class IngestionRepository {
  constructor(private readonly db: DataSource) {}

  /** Returns true when the exposure is new, false for a repeat of a unit already exposed. */
  async recordExposure(e: ExperimentExposureV1): Promise<boolean> {
    return this.insertChecked(
      e.experimentId,
      e.variantKey,
      ['running'],
      `INSERT INTO experiments.exposures (experiment_id, unit_id, variant_key, occurred_at, covariate, stratum)
       SELECT $1::uuid, $3::text, $2::text, $4::timestamptz, $5::float8, $6::text FROM target WHERE status = 'running' AND variant_ok
       ON CONFLICT (experiment_id, unit_id) DO NOTHING RETURNING 1`,
      [e.unitId, e.occurredAt, e.covariate ?? null, e.stratum ?? null],
    );
  }

  /** Conversions are accepted while running and after the end (late arrivals), never for a draft. */
  async recordConversion(c: ExperimentConversionV1): Promise<boolean> {
    return this.insertChecked(
      c.experimentId,
      c.variantKey,
      ['running', 'stopped', 'concluded'],
      `INSERT INTO experiments.conversions (experiment_id, conversion_id, unit_id, variant_key, value_minor, occurred_at, metrics)
       SELECT $1::uuid, $3::text, $4::text, $2::text, $5::bigint, $6::timestamptz, $7::jsonb FROM target WHERE status <> 'draft' AND variant_ok
       ON CONFLICT (experiment_id, conversion_id) DO NOTHING RETURNING 1`,
      [
        c.conversionId ?? c.unitId,
        c.unitId,
        c.valueMinor ?? 0,
        c.occurredAt,
        c.metrics ? JSON.stringify(c.metrics) : null,
      ],
    );
  }

  /**
   * The check and the insert in one round trip (the hot path: one statement per message). `insert`
   * reads the CTE `target` (status, variant_ok) and takes $1 experiment id, $2 variant key, then `extra`.
   */
  private async insertChecked(
    experimentId: string,
    variantKey: string,
    statuses: string[],
    insert: string,
    extra: unknown[],
  ): Promise<boolean> {
    if (!UUID.test(experimentId))
      throw new PermanentMessageError(`experimentId ${experimentId} is not an experiment id`);
    const [row] = (await this.db.query(
      `WITH target AS (
         SELECT e.status, EXISTS (SELECT 1 FROM experiments.variants v WHERE v.experiment_id = e.id AND v.key = $2::text) AS variant_ok
         FROM experiments.experiments e WHERE e.id = $1::uuid
       ), ins AS (${insert})
       SELECT (SELECT status FROM target) AS status, (SELECT variant_ok FROM target) AS variant_ok, (SELECT count(*) FROM ins)::int AS inserted`,
      [experimentId, variantKey, ...extra],
    )) as Array<{ status: string | null; variant_ok: boolean | null; inserted: number }>;
    this.explain(experimentId, variantKey, statuses, row!.status, row!.variant_ok);
    return row!.inserted > 0;
  }

  /**
   * Revenue and cost of a ledger transaction that names an experiment. Money counts whatever the
   * experiment's status (revenue earned after a stop is still earned). Revenue for a unit is also
   * kept per unit whatever the experiment (or none): a unit's revenue before its first exposure is
   * its CUPED covariate in every experiment it later joins. Returns how many amounts were new.
   */
  async recordLedger(e: LedgerPostedV1): Promise<number> {
    if (!e.experimentId && !e.unitId) return 0;
    for (const p of e.postings as unknown[]) {
      const posting = p as { account?: unknown; amountMinor?: unknown; currency?: unknown };
      if (
        typeof posting?.account !== 'string' ||
        !Number.isSafeInteger(posting.amountMinor) ||
        typeof posting.currency !== 'string' ||
        !/^[A-Z]{3}$/.test(posting.currency)
      ) {
        throw new PermanentMessageError('postings: each needs an account, an integer amountMinor and a currency code');
      }
    }
    const amounts = ledgerAmounts(e);
    const revenue = amounts.filter((a) => a.kind === 'revenue');
    if (e.unitId && revenue.length > 0) {
      await this.db.query(
        `INSERT INTO experiments.unit_revenue (transaction_id, currency, unit_id, amount_minor, occurred_at)
         SELECT $1, c, $2, a, $3 FROM unnest($4::text[], $5::bigint[]) AS t(c, a)
         ON CONFLICT (transaction_id, currency) DO NOTHING`,
        [
          e.transactionId,
          e.unitId,
          e.occurredAt,
          revenue.map((a) => a.currency),
          revenue.map((a) => String(a.amountMinor)),
        ],
      );
    }
    if (!e.experimentId) return 0;
    await this.check(e.experimentId, e.variantKey, ['running', 'stopped', 'concluded', 'draft']);
    if (amounts.length === 0) return 0;
    const rows = (await this.db.query(
      `INSERT INTO experiments.ledger_attributions (transaction_id, kind, currency, experiment_id, variant_key, unit_id, amount_minor, occurred_at)
       SELECT $1, k, c, $2, $3, $4, a, $5 FROM unnest($6::text[], $7::text[], $8::bigint[]) AS t(k, c, a)
       ON CONFLICT (transaction_id, kind, currency) DO NOTHING RETURNING 1`,
      [
        e.transactionId,
        e.experimentId,
        e.variantKey ?? null,
        e.unitId ?? null,
        e.occurredAt,
        amounts.map((a) => a.kind),
        amounts.map((a) => a.currency),
        amounts.map((a) => String(a.amountMinor)),
      ],
    )) as unknown[];
    return rows.length;
  }

  private async check(experimentId: string, variantKey: string | undefined, statuses: string[]): Promise<void> {
    if (!UUID.test(experimentId))
      throw new PermanentMessageError(`experimentId ${experimentId} is not an experiment id`);
    const rows = (await this.db.query(
      `SELECT e.status, ($2::text IS NULL OR EXISTS (SELECT 1 FROM experiments.variants v WHERE v.experiment_id = e.id AND v.key = $2)) AS variant_ok
       FROM experiments.experiments e WHERE e.id = $1`,
      [experimentId, variantKey ?? null],
    )) as Array<{ status: string; variant_ok: boolean }>;
    this.explain(experimentId, variantKey, statuses, rows[0]?.status ?? null, rows[0]?.variant_ok ?? null);
  }

  /** Why a message can never apply, as a permanent error (dead-lettered with this reason). */
  private explain(
    experimentId: string,
    variantKey: string | undefined,
    statuses: string[],
    status: string | null,
    variantOk: boolean | null,
  ): void {
    if (status === null) throw new PermanentMessageError(`experiment ${experimentId} does not exist`);
    if (!variantOk) throw new PermanentMessageError(`experiment ${experimentId} has no variant ${variantKey}`);
    if (!statuses.includes(status)) throw new PermanentMessageError(`experiment ${experimentId} is ${status}`);
  }
}
