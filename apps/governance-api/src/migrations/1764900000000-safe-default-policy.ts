import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A fresh install starts from the safe policy, not from one that caps nothing: daily spending caps
 * (globally, per worker, per task) and an approval for any action that commits more than $100.
 * Written as version 2 only where nobody has changed the seeded version 1 yet; an install whose
 * operators already set a policy keeps theirs. Every figure is changeable with PUT /api/v1/policies.
 */
export const SAFE_DEFAULT_BUDGETS = {
  currency: 'USD',
  globalDailyCapMinor: 5_000,
  perWorkerDailyCapMinor: 1_000,
  perTaskCapMinor: 200,
};
export const SAFE_DEFAULT_SPEND_APPROVAL_MINOR = 10_000;

export class SafeDefaultPolicy1764900000000 implements MigrationInterface {
  name = 'SafeDefaultPolicy1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `INSERT INTO governance.policy_versions (version, document, created_by)
       SELECT 2, v.document
         || jsonb_build_object('budgets', coalesce(v.document->'budgets', '{}'::jsonb) || $1::jsonb)
         || jsonb_build_object('approvals', coalesce(v.document->'approvals', '{}'::jsonb) || jsonb_build_object('spendAboveMinor', $2::int)),
         'system:safe-defaults'
       FROM governance.policy_versions v
       WHERE v.version = 1 AND v.created_by = 'system:initial'
         AND NOT EXISTS (SELECT 1 FROM governance.policy_versions w WHERE w.version > 1)`,
      [JSON.stringify(SAFE_DEFAULT_BUDGETS), SAFE_DEFAULT_SPEND_APPROVAL_MINOR],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM governance.policy_versions WHERE version = 2 AND created_by = 'system:safe-defaults'`);
  }
}
