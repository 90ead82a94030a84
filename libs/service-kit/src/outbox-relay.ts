import { type StreamSubject } from '@juggernaut/contracts';
import type { Bus } from '@juggernaut/messaging';
import { outboxChannel, quoteIdent } from '@juggernaut/persistence';
import { Client } from 'pg';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';

const BATCH = 500;

/**
 * Publishes outbox rows to JetStream after their transaction commits. Woken by LISTEN/NOTIFY,
 * with a timer as the fallback. Rows are locked with SKIP LOCKED so several replicas share the
 * work, published with the row id as the JetStream message id (a crash between publish and
 * delete re-publishes a duplicate the stream drops), then deleted.
 */
export class OutboxRelay {
  private listener?: Client;
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly ds: DataSource,
    private readonly url: string,
    private readonly schema: string,
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly fallbackMs = 1_000,
  ) {}

  async start(): Promise<void> {
    await this.listen();
    this.timer = setInterval(() => this.kick(), this.fallbackMs);
    this.timer.unref();
    this.kick();
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.url, application_name: `juggernaut-outbox-${this.schema}` });
    client.on('error', (e) => {
      this.logger.warn({ err: e }, 'outbox listener lost its connection; reconnecting');
      this.listener = undefined;
      setTimeout(() => void this.listen().catch(() => undefined), 1_000).unref();
    });
    try {
      await client.connect();
      client.on('notification', () => this.kick());
      await client.query(`LISTEN ${quoteIdent(outboxChannel(this.schema))}`);
      this.listener = client;
    } catch (e) {
      this.logger.warn({ err: e }, 'outbox listener could not connect; polling until it can');
      await client.end().catch(() => undefined);
      setTimeout(() => void this.listen().catch(() => undefined), 1_000).unref();
    }
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
    const table = `${quoteIdent(this.schema)}.outbox`;
    for (;;) {
      const published = await this.ds.transaction(async (em) => {
        // The payload is read as text and sent as it is: no parse and re-serialise per event.
        const rows: Array<{ id: string; subject: StreamSubject; data: string; correlation_id: string | null }> = await em.query(
          `SELECT id, subject, payload::text AS data, correlation_id FROM ${table} ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
        );
        if (rows.length === 0) return 0;
        await this.bus.publishBatch(rows.map((r) => ({
          subject: r.subject, data: r.data, msgId: `${this.schema}:outbox:${r.id}`, correlationId: r.correlation_id,
        })));
        await em.query(`DELETE FROM ${table} WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
        return rows.length;
      });
      if (published < BATCH || this.stopped) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.current.catch(() => undefined);
    await this.listener?.end().catch(() => undefined);
  }
}
