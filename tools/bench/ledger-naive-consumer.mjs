// The peer of the ledger benchmark: the usual way to apply events exactly once. A durable JetStream
// consumer hands each message to a worker that checks it and INSERTs it in its own transaction with
// ON CONFLICT DO NOTHING, then acks; invalid ones are stored as dead letters. It writes one row per
// event (no postings, balances or outbox), so it does less work per event than the ledger.
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';

const NS = process.env.NATS_NAMESPACE;
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL ?? 8) });
await pool.query(
  `CREATE TABLE IF NOT EXISTS naive_events (event_id text PRIMARY KEY, kind text NOT NULL, amount_minor bigint NOT NULL, currency text NOT NULL, occurred_at timestamptz NOT NULL)`,
);
await pool.query(
  `CREATE TABLE IF NOT EXISTS naive_dead_letters (id bigserial PRIMARY KEY, reason text NOT NULL, data text NOT NULL)`,
);

const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
const jsm = await jetstreamManager(nc);
const stream = `${NS}_JUGGERNAUT_INBOUND`;
await jsm.consumers.add(stream, {
  durable_name: 'naive',
  ack_policy: AckPolicy.Explicit,
  deliver_policy: DeliverPolicy.All,
  max_ack_pending: CONCURRENCY * 4,
});
const consumer = await jetstream(nc).consumers.get(stream, 'naive');
const messages = await consumer.consume({ max_messages: CONCURRENCY * 8 });
process.send?.({ ready: true });

function check(e, kind) {
  if (!e || typeof e !== 'object') return 'body must be an object';
  if (typeof e.eventId !== 'string' || !e.eventId) return 'eventId';
  if (!Number.isSafeInteger(e.amountMinor) || e.amountMinor < 1) return 'amountMinor';
  if (typeof e.currency !== 'string' || !/^[A-Z]{3}$/.test(e.currency)) return 'currency';
  if (typeof e.occurredAt !== 'string' || Number.isNaN(Date.parse(e.occurredAt))) return 'occurredAt';
  if (kind === 'cost' ? typeof e.category !== 'string' : typeof e.source !== 'string')
    return kind === 'cost' ? 'category' : 'source';
  return null;
}

async function handle(m) {
  const kind = m.subject.endsWith('cost.recorded.v1') ? 'cost' : 'revenue';
  let e;
  try {
    e = JSON.parse(m.string());
  } catch {
    e = undefined;
  }
  const problem = check(e, kind);
  if (problem) {
    await pool.query(`INSERT INTO naive_dead_letters (reason, data) VALUES ($1, $2)`, [
      `invalid ${problem}`,
      m.string(),
    ]);
    m.ack();
    return;
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO naive_events (event_id, kind, amount_minor, currency, occurred_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING`,
      [e.eventId, kind, e.amountMinor, e.currency, e.occurredAt],
    );
    await client.query('COMMIT');
    m.ack();
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    m.nak(500);
  } finally {
    client.release();
  }
}

const running = new Set();
process.on('SIGTERM', async () => {
  await messages.close();
});
for await (const m of messages) {
  const p = handle(m).finally(() => running.delete(p));
  running.add(p);
  if (running.size >= CONCURRENCY) await Promise.race(running);
}
await Promise.all(running);
await pool.end();
await nc.close();
process.exit(0);
