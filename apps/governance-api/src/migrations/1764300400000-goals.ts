import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Goals1764300400000 implements MigrationInterface {
  name = 'Goals1764300400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE governance.goals (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      title text NOT NULL,
      description text,
      success_criteria jsonb NOT NULL DEFAULT '[]',
      budget_minor bigint CHECK (budget_minor >= 0),
      currency char(3) NOT NULL DEFAULT 'USD',
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'achieved', 'abandoned')),
      due_at timestamptz,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX goals_created_idx ON governance.goals (created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE governance.goals`);
  }
}
