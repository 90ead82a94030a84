import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Every version of the policy is kept; the highest is in force. Version 1 caps nothing and needs no approvals. */
export class Policies1764300100000 implements MigrationInterface {
  name = 'Policies1764300100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE governance.policy_versions (
      version integer PRIMARY KEY CHECK (version >= 1),
      document jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by text NOT NULL
    )`);
    const initial = {
      killSwitch: { engaged: false },
      budgets: { currency: 'USD' },
      permissions: { taskTypes: {}, tools: {} },
      approvals: { toolsRequiringApproval: [], ttlSeconds: 86_400 },
    };
    await q.query(
      `INSERT INTO governance.policy_versions (version, document, created_by) VALUES (1, $1::jsonb, 'system:initial')`,
      [JSON.stringify(initial)],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE governance.policy_versions`);
  }
}
