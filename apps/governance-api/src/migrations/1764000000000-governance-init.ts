import { outboxTableSql } from '@juggernaut/persistence';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class GovernanceInit1764000000000 implements MigrationInterface {
  name = 'GovernanceInit1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE governance.api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      role text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer', 'agent')),
      key_hash bytea NOT NULL UNIQUE,
      key_prefix text NOT NULL,
      created_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz,
      revoked_at timestamptz,
      last_used_at timestamptz
    )`);
    await q.query(`CREATE TABLE governance.execution_logs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      log_id text UNIQUE,
      worker_id text NOT NULL,
      task_id uuid,
      step integer,
      action text NOT NULL,
      level text NOT NULL DEFAULT 'info' CHECK (level IN ('debug', 'info', 'warn', 'error')),
      message text NOT NULL,
      output_data jsonb,
      duration_ms bigint,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX execution_logs_created_idx ON governance.execution_logs (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX execution_logs_worker_idx ON governance.execution_logs (worker_id, created_at DESC)`);
    await q.query(`CREATE INDEX execution_logs_task_idx ON governance.execution_logs (task_id, step)`);
    await q.query(`CREATE TABLE governance.opportunities (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      opportunity_type text NOT NULL,
      category text NOT NULL,
      description text NOT NULL,
      estimated_value_minor bigint NOT NULL CHECK (estimated_value_minor >= 0),
      currency char(3) NOT NULL DEFAULT 'USD',
      confidence_score numeric(5,4) NOT NULL CHECK (confidence_score BETWEEN 0 AND 1),
      source text,
      dedupe_key text UNIQUE,
      worker_id text,
      task_id uuid,
      status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'evaluating', 'pursuing', 'rejected', 'won', 'lost')),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX opportunities_created_idx ON governance.opportunities (created_at DESC, id DESC)`);
    await q.query(outboxTableSql('governance'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE governance.outbox, governance.opportunities, governance.execution_logs, governance.api_keys`,
    );
  }
}
