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

  /**
   * Exposures in one statement: every message checked against its experiment and variant, the
   * acceptable ones inserted in key order (two batches never wait on each other in a cycle; the
   * earliest of a unit's exposures in the batch wins, as it would one message at a time). Returns,
   * in order, null for each message that applies (new or a repeat) or the reason it never can, and
   * how many units were new.
   */
  async recordExposures(batch: ExperimentExposureV1[]): Promise<BatchOutcome> {
    return this.insertBatch(
      batch,
      ['running'],
      `unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::float8[], $6::text[])
         WITH ORDINALITY AS t(experiment_id, variant_key, unit_id, occurred_at, covariate, stratum, ord)`,
      `INSERT INTO experiments.exposures (experiment_id, unit_id, variant_key, occurred_at, covariate, stratum)
       SELECT experiment_id, unit_id, variant_key, occurred_at, covariate, stratum FROM checked
       WHERE status = 'running' AND variant_ok ORDER BY experiment_id, unit_id, ord
       ON CONFLICT (experiment_id, unit_id) DO NOTHING RETURNING 1`,
      [
        batch.map((e) => e.unitId),
        batch.map((e) => e.occurredAt),
        batch.map((e) => e.covariate ?? null),
        batch.map((e) => e.stratum ?? null),
      ],
    );
  }

  /** Conversions as exposures are; accepted while running and after the end (late arrivals), never for a draft. */
  async recordConversions(batch: ExperimentConversionV1[]): Promise<BatchOutcome> {
    return this.insertBatch(
      batch,
      ['running', 'stopped', 'concluded'],
      `unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[], $7::jsonb[])
         WITH ORDINALITY AS t(experiment_id, variant_key, conversion_id, unit_id, value_minor, occurred_at, metrics, ord)`,
      `INSERT INTO experiments.conversions (experiment_id, conversion_id, unit_id, variant_key, value_minor, occurred_at, metrics)
       SELECT experiment_id, conversion_id, unit_id, variant_key, value_minor, occurred_at, metrics FROM checked
       WHERE status <> 'draft' AND variant_ok ORDER BY experiment_id, conversion_id, ord
       ON CONFLICT (experiment_id, conversion_id) DO NOTHING RETURNING 1`,
      [
        batch.map((c) => c.conversionId ?? c.unitId),
        batch.map((c) => c.unitId),
        batch.map((c) => String(c.valueMinor ?? 0)),
        batch.map((c) => c.occurredAt),
        batch.map((c) => (c.metrics ? JSON.stringify(c.metrics) : null)),
      ],
    );
  }

  /**
   * The checks and the insert of a batch in one round trip. `rows` is the unnest (with ordinality,
   * as ord) of $1 experiment ids, $2 variant keys, then `extra`; `insert` reads the CTE `checked` (those columns with ord,
   * status and variant_ok). Messages whose experiment id is not a uuid are refused before the query.
   */
  private async insertBatch(
    batch: Array<{ experimentId: string; variantKey: string }>,
    statuses: string[],
    rows: string,
    insert: string,
    extra: unknown[][],
  ): Promise<BatchOutcome> {
    const errors: Array<string | null> = batch.map((m) =>
      UUID.test(m.experimentId) ? null : `experimentId ${m.experimentId} is not an experiment id`,
    );
    // A refused id goes in as null (its row checks as an unknown experiment, and its error stands).
    const ids = batch.map((m, i) => (errors[i] === null ? m.experimentId : null));
    const [row] = (await this.db.query(
      `WITH checked AS (
         SELECT t.*, e.status,
                EXISTS (SELECT 1 FROM experiments.variants v WHERE v.experiment_id = t.experiment_id AND v.key = t.variant_key) AS variant_ok
         FROM ${rows}
         LEFT JOIN experiments.experiments e ON e.id = t.experiment_id
       ), ins AS (${insert})
       SELECT (SELECT count(*) FROM ins)::int AS inserted,
              array_agg(status ORDER BY ord) AS statuses, array_agg(variant_ok ORDER BY ord) AS variant_oks
       FROM checked`,
      [ids, batch.map((m) => m.variantKey), ...extra],
    )) as Array<{ inserted: number; statuses: Array<string | null>; variant_oks: boolean[] }>;
    batch.forEach((m, i) => {
      if (errors[i] === null)
        errors[i] = reason(m.experimentId, m.variantKey, statuses, row!.statuses[i]!, row!.variant_oks[i]!);
    });
    return { errors, inserted: row!.inserted };
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
    const why = reason(experimentId, variantKey, statuses, status, variantOk);
    if (why !== null) throw new PermanentMessageError(why);
  }
}

/** Per message of a batch, in order: null when it applies, else why it never can; and how many rows were new. */
export interface BatchOutcome {
  errors: Array<string | null>;
  inserted: number;
}

/** Why a message about this experiment and variant can never apply, or null when it can. */
function reason(
  experimentId: string,
  variantKey: string | undefined,
  statuses: string[],
  status: string | null,
  variantOk: boolean | null,
): string | null {
  if (status === null) return `experiment ${experimentId} does not exist`;
  if (!variantOk) return `experiment ${experimentId} has no variant ${variantKey}`;
  if (!statuses.includes(status)) return `experiment ${experimentId} is ${status}`;
  return null;
}
