import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Generic payment webhook sources (docs/payments.md): how each signs and where its events keep the
 * fields the ledger needs. The signing secret is needed to check signatures, so it cannot be kept
 * as a hash: it is stored encrypted (AES-256-GCM under JUGGERNAUT_WEBHOOK_KEY) and never returned.
 */
export class WebhookSources1765100000000 implements MigrationInterface {
  name = 'WebhookSources1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE governance.webhook_sources (
      name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]{0,39}$' AND name <> 'stripe'),
      scheme text NOT NULL CHECK (scheme IN ('juggernaut', 'paddle')),
      tolerance_seconds integer NOT NULL CHECK (tolerance_seconds BETWEEN 10 AND 3600),
      mapping jsonb NOT NULL,
      secret_ciphertext bytea NOT NULL,
      secret_prefix text NOT NULL,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE governance.webhook_sources`);
  }
}
