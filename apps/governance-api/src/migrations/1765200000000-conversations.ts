import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Conversations with Juggernaut: every question and answer kept in full (an answer is written by a
 * `conversation.reply` task and stored here when it is done), and the summaries the runtime writes
 * when a conversation outgrows the model's context — a summary stands for earlier messages in what
 * the model is sent, it never replaces them here.
 */
export class Conversations1765200000000 implements MigrationInterface {
  name = 'Conversations1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE governance.conversations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      title text,
      goal_id uuid REFERENCES governance.goals (id),
      budget_minor bigint CHECK (budget_minor >= 0),
      -- the API key that started it (only it may continue it) and its role then (what the tools may show)
      created_by text NOT NULL,
      created_by_key_id uuid NOT NULL,
      role text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer', 'agent')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX conversations_created_idx ON governance.conversations (created_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX conversations_key_idx ON governance.conversations (created_by_key_id, created_at DESC, id DESC)`,
    );
    await q.query(`CREATE TABLE governance.conversation_messages (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      conversation_id uuid NOT NULL REFERENCES governance.conversations (id),
      seq integer NOT NULL CHECK (seq >= 1),
      author text NOT NULL CHECK (author IN ('user', 'assistant')),
      content text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'completed', 'stopped', 'failed')),
      stop_reason text,
      -- the conversation.reply task writing the answer
      task_id uuid UNIQUE,
      citations jsonb NOT NULL DEFAULT '[]',
      tool_calls jsonb NOT NULL DEFAULT '[]',
      -- numbers and ids the answer's tools returned: later answers may rest on them
      evidence jsonb NOT NULL DEFAULT '{"numbers": [], "refs": []}',
      cost_minor bigint CHECK (cost_minor >= 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz,
      UNIQUE (conversation_id, seq)
    )`);
    // One answer at a time per conversation.
    await q.query(
      `CREATE UNIQUE INDEX conversation_messages_one_pending ON governance.conversation_messages (conversation_id) WHERE status = 'pending'`,
    );
    await q.query(`CREATE TABLE governance.conversation_summaries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      conversation_id uuid NOT NULL REFERENCES governance.conversations (id),
      through_seq integer NOT NULL CHECK (through_seq >= 1),
      content text NOT NULL,
      task_id uuid NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(
      `CREATE INDEX conversation_summaries_conversation_idx ON governance.conversation_summaries (conversation_id, through_seq)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE governance.conversation_summaries, governance.conversation_messages, governance.conversations`,
    );
  }
}
