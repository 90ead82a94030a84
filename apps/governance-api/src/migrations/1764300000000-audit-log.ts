import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log is append-only in the database itself: a trigger refuses UPDATE, DELETE and
 * TRUNCATE for every role (the table owner included), and the privileges to do them are revoked.
 */
export class AuditLog1764300000000 implements MigrationInterface {
  name = 'AuditLog1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE governance.audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT clock_timestamp(),
      actor text NOT NULL,
      actor_key_id uuid,
      actor_role text,
      action text NOT NULL,
      resource_type text NOT NULL,
      resource_id text,
      before jsonb,
      after jsonb,
      details jsonb,
      correlation_id text
    )`);
    await q.query(`CREATE INDEX audit_log_at_idx ON governance.audit_log (at DESC, id DESC)`);
    await q.query(`CREATE INDEX audit_log_resource_idx ON governance.audit_log (resource_type, resource_id, at DESC)`);
    await q.query(`CREATE INDEX audit_log_actor_idx ON governance.audit_log (actor, at DESC)`);
    await q.query(`CREATE FUNCTION governance.audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'governance.audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON governance.audit_log
      FOR EACH ROW EXECUTE FUNCTION governance.audit_log_is_append_only()`);
    await q.query(`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON governance.audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION governance.audit_log_is_append_only()`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON governance.audit_log FROM PUBLIC`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE governance.audit_log`);
    await q.query(`DROP FUNCTION governance.audit_log_is_append_only()`);
  }
}
