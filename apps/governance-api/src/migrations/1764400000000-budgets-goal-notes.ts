import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Budget reservations (reserved before each model call, settled after) and goals' shared memory. */
export class BudgetsGoalNotes1764400000000 implements MigrationInterface {
  name = 'BudgetsGoalNotes1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE governance.budget_reservations (
      id text PRIMARY KEY,
      task_id uuid NOT NULL,
      worker_id text NOT NULL,
      level smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
      currency char(3) NOT NULL,
      reserved_minor bigint NOT NULL CHECK (reserved_minor >= 0),
      -- NULL until settled; an unsettled reservation counts in full against every cap.
      actual_minor bigint CHECK (actual_minor >= 0),
      day date NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')::date,
      created_at timestamptz NOT NULL DEFAULT now(),
      settled_at timestamptz
    )`);
    await q.query(`CREATE INDEX budget_reservations_day_idx ON governance.budget_reservations (day, currency)`);
    await q.query(`CREATE INDEX budget_reservations_task_idx ON governance.budget_reservations (task_id)`);
    await q.query(`CREATE TABLE governance.goal_notes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      note_id text UNIQUE,
      goal_id uuid NOT NULL,
      task_id uuid,
      author text NOT NULL,
      key text,
      content text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX goal_notes_goal_idx ON governance.goal_notes (goal_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE governance.goal_notes, governance.budget_reservations`);
  }
}
