import type { StreamSubject, StreamSubjectMap } from '@juggernaut/contracts';
import { quoteIdent } from './data-source';

/** Anything that can run a parameterised query: an EntityManager, a QueryRunner or a DataSource. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * DDL for a service's transactional outbox. Events are written in the same transaction as the
 * change they announce and published by the relay after commit: none is lost, none is sent for a
 * transaction that rolled back.
 */
export function outboxTableSql(schema: string): string {
  const s = quoteIdent(schema);
  return `CREATE TABLE ${s}.outbox (
    id bigserial PRIMARY KEY,
    subject text NOT NULL,
    payload jsonb NOT NULL,
    correlation_id text,
    created_at timestamptz NOT NULL DEFAULT now()
  )`;
}

export function outboxChannel(schema: string): string {
  return `${schema}_outbox`;
}

/** Adds an event to the outbox inside the caller's transaction and wakes the relay at commit. */
export async function enqueueEvent<S extends StreamSubject>(
  db: Queryable,
  schema: string,
  subject: S,
  payload: StreamSubjectMap[S],
  correlationId?: string,
): Promise<void> {
  await db.query(
    `WITH ins AS (INSERT INTO ${quoteIdent(schema)}.outbox (subject, payload, correlation_id) VALUES ($1, $2, $3) RETURNING 1)
     SELECT pg_notify($4, '') FROM ins`,
    [subject, JSON.stringify(payload), correlationId ?? null, outboxChannel(schema)],
  );
}

/** Adds many events in one statement. */
export async function enqueueEvents(
  db: Queryable,
  schema: string,
  events: Array<{ subject: StreamSubject; payload: unknown; correlationId?: string }>,
): Promise<void> {
  if (events.length === 0) return;
  // One JSON array for the whole batch: cheaper to send and to read than an array literal of JSON
  // texts, each escaped element by element. Rows keep the events' order.
  await db.query(
    `WITH ins AS (
       INSERT INTO ${quoteIdent(schema)}.outbox (subject, payload, correlation_id)
       SELECT e->>'s', e->'p', e->>'c' FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY n RETURNING 1)
     SELECT pg_notify($2, '') FROM (SELECT 1 FROM ins LIMIT 1) x`,
    [
      JSON.stringify(events.map((e) => ({ s: e.subject, p: e.payload, c: e.correlationId ?? null }))),
      outboxChannel(schema),
    ],
  );
}
