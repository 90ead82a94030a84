import { type StreamSubject } from '@juggernaut/contracts';
import type { Bus } from '@juggernaut/messaging';
import type { Metrics } from '@juggernaut/observability';
import { type Narrow, type Outbox, outboxChannel, quoteIdent } from '@juggernaut/persistence';
import { Client } from 'pg';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';

export interface OutboxRelayOptions {
  /** How often to drain without a NOTIFY: the fallback for notifications missed. */
  fallbackMs?: number;
  /** Rows published per transaction. */
  batchSize?: number;
  /** First pause before the listener reconnects; doubled per failed attempt, up to `reconnectMaxMs`. */
  reconnectMs?: number;
  reconnectMaxMs?: number;
  /** Where `juggernaut_outbox_publish_failures_total` is counted. */
  metrics?: Metrics;
}

/** An outbox row as the relay reads it: the payload as the JSON text it publishes. */
type OutboxRow = Narrow<Pick<Outbox, 'id' | 'subject' | 'correlation_id'>, { subject: StreamSubject }> & {
  data: string;
};

/** node-postgres's client on the simple protocol: a text of several statements answers one result each. */
interface SimpleQueryClient {
  query(text: string): Promise<Array<{ rows: Array<Record<string, unknown>> }>>;
}

/** The delete of the rows the stream acknowledged (none: nothing), ending in `; ` for the commit after it. */
function deleteAcked(table: string, ids: string[]): string {
  return ids.length > 0 ? `DELETE FROM ${table} WHERE id = ANY('{${ids.map(digits).join(',')}}'::bigint[]); ` : '';
}

/** An outbox id as it may stand in a statement's text: the digits of a bigint, nothing else. */
function digits(id: string): string {
  if (!/^[0-9]{1,19}$/.test(id)) throw new Error(`not an outbox id: ${id}`);
  return id;
}

/**
 * Publishes outbox rows to JetStream after their transaction commits. Woken by LISTEN/NOTIFY,
 * with a timer as the fallback. One relay per schema drains at a time (an advisory lock), so events
 * reach the stream in outbox order; rows are published with the row id as the JetStream message id
 * (a crash between publish and delete re-publishes a duplicate the stream drops), and each row is
 * deleted only once the stream has acknowledged it: a row the stream refuses stays and is retried.
 * While NATS is down a drain is refused at once (`Bus.publishBatch`), so its transaction and pooled
 * connection are not held waiting for acknowledgements that cannot come; the rows go out on reconnect.
 */
export class OutboxRelay {
  private listener?: Client;
  private supervisor: Promise<void> = Promise.resolve();
  private endPause?: () => void;
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;
  private current: Promise<void> = Promise.resolve();
  private unwatchBus?: () => void;
  private readonly fallbackMs: number;
  private readonly batchSize: number;
  private readonly reconnectMs: number;
  private readonly reconnectMaxMs: number;
  private readonly failures;
  private readonly table: string;

  constructor(
    private readonly ds: DataSource,
    private readonly url: string,
    private readonly schema: string,
    private readonly bus: Bus,
    private readonly logger: Logger,
    options: OutboxRelayOptions = {},
  ) {
    this.table = `${quoteIdent(schema)}.outbox`;
    this.fallbackMs = options.fallbackMs ?? 1_000;
    this.batchSize = options.batchSize ?? 500;
    this.reconnectMs = options.reconnectMs ?? 250;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 10_000;
    this.failures = options.metrics?.counter(
      'juggernaut_outbox_publish_failures_total',
      'Outbox rows JetStream did not acknowledge (refused or timed out); they stay in the outbox and are retried',
      ['schema', 'subject'],
    );
  }

  /** Starts the listener (returns after its first attempt, connected or not) and the fallback timer. */
  async start(): Promise<void> {
    let ready!: () => void;
    const firstAttempt = new Promise<void>((resolve) => (ready = resolve));
    this.supervisor = this.superviseListener(ready).catch((e: unknown) => {
      this.logger.error({ err: e }, 'outbox listener stopped; the timer drains alone');
      ready();
    });
    await firstAttempt;
    // Rows written while NATS was down go out as soon as it is back, not at the next timer tick.
    this.unwatchBus = this.bus.onConnectionChange((up) => {
      if (up) this.kick();
    });
    this.timer = setInterval(() => this.kick(), this.fallbackMs);
    this.timer.unref();
    this.kick();
  }

  /**
   * The one loop that owns the LISTEN connection: connect, wait until that connection is lost, end
   * it, pause (backing off while attempts fail), again. So a flapping database never sees more than
   * one listener connection from this relay, nor more than one reconnect pending.
   */
  private async superviseListener(ready: () => void): Promise<void> {
    let failed = 0;
    while (!this.stopped) {
      const connected = await this.listenUntilLost(ready);
      if (this.stopped) return;
      failed = connected ? 0 : failed + 1;
      const pause =
        Math.min(this.reconnectMaxMs, this.reconnectMs * 2 ** Math.max(0, failed - 1)) * (0.5 + Math.random() / 2);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pause);
        this.endPause = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.endPause = undefined;
    }
  }

  /** Listens on one new connection until it is lost; false when it could not connect at all. */
  private async listenUntilLost(ready: () => void): Promise<boolean> {
    const client = new Client({
      connectionString: this.url,
      application_name: `juggernaut-outbox-${this.schema}`,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
    });
    // pg reports one lost connection more than once (the server's termination message, then the
    // socket's end): the first report ends this wait, later ones change nothing. The handler stays
    // attached so an old client's late 'error' is never an unhandled event.
    let lost!: (err?: unknown) => void;
    const gone = new Promise<unknown>((resolve) => (lost = resolve));
    client.on('error', (e) => lost(e));
    client.on('end', () => lost());
    client.on('notification', () => this.kick());
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(outboxChannel(this.schema))}`);
    } catch (e) {
      if (!this.stopped)
        this.logger.warn({ err: e }, 'outbox listener could not connect; retrying (the timer drains meanwhile)');
      await client.end().catch(() => undefined);
      ready();
      return false;
    }
    ready();
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return true;
    }
    this.listener = client;
    // Notifications sent while nobody listened are gone: drain once for them.
    this.kick();
    const err = await gone;
    this.listener = undefined;
    if (!this.stopped) this.logger.warn({ err }, 'outbox listener lost its connection; reconnecting');
    await client.end().catch(() => undefined);
    return true;
  }

  /** Runs a drain now, or once more after the current one if a drain is running. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.current = this.drain()
      .catch((e: unknown) => this.logger.warn({ err: e }, 'outbox relay failed; will retry'))
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    // Rows this drain has passed (published or refused); a refused row waits for the next drain
    // instead of being selected again and again in this one.
    let after = '0';
    for (;;) {
      const batch = await this.drainBatch(after);
      if (!batch || batch.size < this.batchSize || this.stopped) return;
      after = batch.last;
    }
  }

  /**
   * One batch in one transaction of two round trips: the lock and the rows in the first, the
   * delete of what the stream acknowledged and the commit in the second (simple-protocol statements
   * carrying their values as literals: the ids the database itself returned, the batch size, the
   * schema's lock key). At a trickle of events a drain runs once or twice per task, so its round
   * trips were most of the statements a task cost the database.
   */
  private async drainBatch(after: string): Promise<{ size: number; last: string } | undefined> {
    const runner = this.ds.createQueryRunner();
    let open = false;
    try {
      const client = (await runner.connect()) as SimpleQueryClient;
      // One relay per schema at a time: two replicas publishing side by side (each its own batch)
      // would put one task's events on the stream out of order. A replica without the lock skips
      // this drain; the holder, which hears the same NOTIFY, drains again, and timers cover the rest.
      // The payload is read as text and sent as it is: no parse and re-serialise per event. No row
      // locks: the lock is what keeps a second relay off these rows (only a relay deletes outbox
      // rows), and locking each row cost a heap write per event before its delete.
      open = true;
      const [, read] = await client.query(`BEGIN; ${this.selectBatch(after)}`);
      const rows = read!.rows.filter((r) => r.id !== null) as OutboxRow[];
      if (rows.length === 0) {
        await client.query('COMMIT');
        open = false;
        return undefined;
      }
      const outcomes = await this.bus.publishBatch(
        rows.map((r) => ({
          subject: r.subject,
          data: r.data,
          msgId: `${this.schema}:outbox:${r.id}`,
          correlationId: r.correlation_id,
        })),
      );
      // Each row goes only with its own ack.
      const acked = rows.filter((_, i) => outcomes[i]!.status === 'fulfilled').map((r) => r.id);
      await client.query(`${deleteAcked(this.table, acked)}COMMIT`);
      open = false;
      if (acked.length < rows.length) this.refused(rows, outcomes);
      return { size: rows.length, last: rows[rows.length - 1]!.id };
    } finally {
      // A failed statement leaves the transaction aborted: roll it back before the connection goes
      // back to the pool (a connection that broke is dropped by the pool on its own error).
      if (open) await runner.query('ROLLBACK').catch(() => undefined);
      await runner.release();
    }
  }

  /** The lock (taken once, in a CTE) and, only when it was taken, up to a batch of rows after `after`. */
  private selectBatch(after: string): string {
    return `WITH lock AS (SELECT pg_try_advisory_xact_lock(hashtext('juggernaut:outbox:${this.schema}')) AS mine)
      SELECT o.id, o.subject, o.data, o.correlation_id FROM lock l LEFT JOIN LATERAL (
        SELECT id, subject, payload::text AS data, correlation_id FROM ${this.table}
        WHERE l.mine AND id > ${digits(after)} ORDER BY id LIMIT ${Math.floor(this.batchSize)}
      ) o ON true`;
  }

  private refused(rows: OutboxRow[], outcomes: Array<PromiseSettledResult<unknown>>): void {
    const refused: Array<{ id: string; subject: StreamSubject; reason: unknown }> = [];
    outcomes.forEach((o, i) => {
      if (o.status === 'rejected') refused.push({ id: rows[i]!.id, subject: rows[i]!.subject, reason: o.reason });
    });
    for (const r of refused) this.failures?.inc({ schema: this.schema, subject: r.subject });
    this.logger.warn(
      {
        schema: this.schema,
        refused: refused.length,
        ids: refused.slice(0, 20).map((r) => r.id),
        subjects: [...new Set(refused.map((r) => r.subject))],
        err: refused[0]!.reason,
      },
      'JetStream did not acknowledge outbox rows; they stay in the outbox and are retried on the next drain',
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatchBus?.();
    if (this.timer) clearInterval(this.timer);
    this.endPause?.();
    await this.listener?.end().catch(() => undefined);
    await this.supervisor;
    await this.current.catch(() => undefined);
  }
}
