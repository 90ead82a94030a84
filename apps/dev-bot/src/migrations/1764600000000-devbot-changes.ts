import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Repositories dev-bot develops, change requests with the data of each stage, their append-only
 * timeline, local pull requests (with the diff), reviews and merges.
 */
export class DevbotChanges1764600000000 implements MigrationInterface {
  name = 'DevbotChanges1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE devbot.repositories (
      name text PRIMARY KEY,
      clone_url text NOT NULL,
      default_branch text NOT NULL,
      checks jsonb NOT NULL DEFAULT '[]',
      gate_policy jsonb NOT NULL DEFAULT '{}',
      forge jsonb NOT NULL DEFAULT '{"kind":"local"}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE devbot.changes (
      id uuid PRIMARY KEY,
      repository text NOT NULL REFERENCES devbot.repositories (name),
      target_branch text NOT NULL,
      branch text NOT NULL UNIQUE,
      title text NOT NULL,
      goal text NOT NULL,
      status text NOT NULL CHECK (status IN ('queued', 'editing', 'checking', 'reviewing', 'awaiting_approval', 'merging',
        'verifying', 'merged', 'rejected', 'failed', 'reverted', 'cancelled')),
      requested_by text,
      task_id uuid UNIQUE,
      attempts integer NOT NULL DEFAULT 0,
      max_attempts integer NOT NULL,
      data jsonb NOT NULL DEFAULT '{}',
      approval_id uuid,
      merge_commit text,
      revert_commit text,
      reason text,
      cost_minor bigint NOT NULL DEFAULT 0,
      currency text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX changes_created_idx ON devbot.changes (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX changes_repository_idx ON devbot.changes (repository, created_at DESC)`);
    await q.query(`CREATE INDEX changes_status_idx ON devbot.changes (status, created_at DESC)`);
    await q.query(`CREATE INDEX changes_approval_idx ON devbot.changes (approval_id) WHERE approval_id IS NOT NULL`);
    await q.query(`CREATE TABLE devbot.change_steps (
      id bigserial PRIMARY KEY,
      change_id uuid NOT NULL REFERENCES devbot.changes (id),
      stage text NOT NULL,
      message text NOT NULL,
      data jsonb,
      at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX change_steps_change_idx ON devbot.change_steps (change_id, id)`);
    await q.query(`CREATE TABLE devbot.pull_requests (
      number bigserial PRIMARY KEY,
      change_id uuid NOT NULL UNIQUE REFERENCES devbot.changes (id),
      forge text NOT NULL CHECK (forge IN ('local', 'github')),
      external_number integer,
      url text,
      branch text NOT NULL,
      target_branch text NOT NULL,
      title text NOT NULL,
      body text NOT NULL,
      diff text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE devbot.reviews (
      id bigserial PRIMARY KEY,
      change_id uuid NOT NULL REFERENCES devbot.changes (id),
      approve boolean NOT NULL,
      reasons jsonb NOT NULL,
      model text NOT NULL,
      raw text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX reviews_change_idx ON devbot.reviews (change_id)`);
    await q.query(`CREATE TABLE devbot.merges (
      change_id uuid PRIMARY KEY REFERENCES devbot.changes (id),
      repository text NOT NULL,
      target_branch text NOT NULL,
      merge_commit text NOT NULL,
      merged_at timestamptz NOT NULL DEFAULT now(),
      revert_commit text,
      reverted_at timestamptz
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE devbot.merges, devbot.reviews, devbot.pull_requests, devbot.change_steps, devbot.changes, devbot.repositories`,
    );
  }
}
