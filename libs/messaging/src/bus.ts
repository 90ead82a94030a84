import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamConfig,
} from '@nats-io/jetstream';
import {
  connect,
  credsAuthenticator,
  headers as natsHeaders,
  RequestError,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import {
  PayloadClasses,
  Streams,
  Subjects,
  type DeadLetterV1,
  type RequestSubject,
  type RequestSubjectMap,
  type SignalSubject,
  type SignalSubjectMap,
  type StreamDefinition,
  type StreamSubject,
  type StreamSubjectMap,
} from '@juggernaut/contracts';
import {
  CORRELATION_HEADER,
  currentCorrelationId,
  LATENCY_BUCKETS,
  Metrics,
  redactString,
  withCorrelation,
} from '@juggernaut/observability';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { RpcError, type RpcReply } from './rpc';
import { validateFlatPayload, validatePayload } from './validate-payload';

export interface BusOptions {
  servers: string | string[];
  user?: string;
  pass?: string;
  creds?: string;
  /** Prefix for subjects and stream names; empty in production, unique per test suite. */
  namespace?: string;
  /** Service name: the queue group of its responders and the prefix of its durable consumers. */
  service: string;
  logger: Logger;
  metrics: Metrics;
}

export interface MessageContext {
  subject: string;
  correlationId: string;
  deliveries: number;
  headers?: MsgHdrs;
}

export interface ConsumeOptions {
  /** Durable consumer name (without namespace); replicas with the same name share the work. */
  durable: string;
  /** Deliveries before a message whose handler keeps failing is dead-lettered. */
  maxDeliver?: number;
  ackWaitMs?: number;
  /** Messages handled at once by this process. */
  concurrency?: number;
  /** Where a new consumer starts; `all` replays the stream. */
  deliverPolicy?: 'all' | 'new';
  /** The payload class has no class-transformer decorators: validate with the cheaper `validateFlatPayload`. */
  flatPayload?: boolean;
}

export interface RespondOptions {
  /** The request class has no class-transformer decorators: validate with the cheaper `validateFlatPayload`. */
  flatPayload?: boolean;
}

export interface ConsumerHandle {
  stop(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NANOS_PER_MS = 1_000_000;

/**
 * Typed access to NATS and JetStream. Subjects and payload types come from one map in
 * `@juggernaut/contracts`, so a publish with the wrong payload does not compile; every consumer
 * validates what arrives and dead-letters what it cannot use.
 */
export class Bus {
  private readonly consumers = new Set<ConsumerMessages>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly deadLettered;
  private readonly handled;
  private readonly okCounters = new Map<string, { inc: () => void }>();
  private readonly published;
  private readonly handlerSeconds;
  private readonly connectionListeners = new Set<(connected: boolean) => void>();
  /** False from a `disconnect` status until the next `reconnect`. */
  private connected = true;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    private readonly options: BusOptions,
  ) {
    const m = options.metrics;
    this.deadLettered = m.counter(
      'juggernaut_messages_dead_lettered_total',
      'Messages sent to the dead-letter subject',
      ['subject', 'reason'],
    );
    this.handled = m.counter('juggernaut_messages_handled_total', 'Messages handled by consumers and responders', [
      'subject',
      'outcome',
    ]);
    this.published = m.counter('juggernaut_messages_published_total', 'Messages published', ['subject']);
    this.handlerSeconds = m.histogram(
      'juggernaut_request_handler_duration_seconds',
      'Time to answer a NATS request',
      ['subject'],
      LATENCY_BUCKETS,
    );
  }

  static async connect(options: BusOptions): Promise<Bus> {
    const servers = Array.isArray(options.servers) ? options.servers : options.servers.split(',').map((s) => s.trim());
    const nc = await connect({
      servers,
      name: options.service,
      // Replies come back on the service's own inbox, so a server can let each service read only
      // its own replies (see deploy/nats/nats-server.conf).
      inboxPrefix: inboxPrefixOf(options.service),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      ...(options.user ? { user: options.user, pass: options.pass } : {}),
      ...(options.creds ? { authenticator: credsAuthenticator(encoder.encode(options.creds)) } : {}),
    });
    const jsm = await jetstreamManager(nc);
    const bus = new Bus(nc, jetstream(nc), jsm, options);
    void bus.watchStatus();
    return bus;
  }

  get service(): string {
    return this.options.service;
  }

  /** The subject as it is on the wire (namespaced). */
  wire(subject: string): string {
    return this.options.namespace ? `${this.options.namespace}.${subject}` : subject;
  }

  /** The contract subject of a wire subject. */
  unwire(subject: string): string {
    const prefix = this.options.namespace ? `${this.options.namespace}.` : '';
    return prefix && subject.startsWith(prefix) ? subject.slice(prefix.length) : subject;
  }

  streamName(name: string): string {
    return this.options.namespace ? `${this.options.namespace}_${name}` : name;
  }

  /**
   * Creates the streams that do not exist yet; safe to call from every replica at every boot. With
   * `update` (the stream administrator: governance-api), a stream that lacks subjects of the contract
   * gets them; otherwise that is left to the administrator and logged, because a NATS user allowed to
   * update a stream could also shrink or empty it (deploy/nats/nats-server.conf allows it one service).
   */
  async ensureStreams(
    definitions: readonly StreamDefinition[] = Object.values(Streams),
    opts: { update?: boolean } = {},
  ): Promise<void> {
    for (const def of definitions) {
      const config: Partial<StreamConfig> & { name: string; subjects: string[] } = {
        name: this.streamName(def.name),
        description: def.description,
        subjects: def.subjects.map((s) => this.wire(s)),
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        max_age: 14 * 24 * 3600 * 1_000_000_000,
        duplicate_window: 2 * 60 * 1_000_000_000,
      };
      try {
        const info = await this.jsm.streams.info(config.name);
        const missing = config.subjects.filter((s) => !info.config.subjects?.includes(s));
        if (missing.length > 0 && opts.update) {
          await this.jsm.streams.update(config.name, {
            ...info.config,
            subjects: [...(info.config.subjects ?? []), ...missing],
          });
        } else if (missing.length > 0) {
          this.options.logger.warn(
            { stream: config.name, missing },
            'stream lacks subjects; the stream administrator (governance-api) adds them at its start',
          );
        }
      } catch (err) {
        if (!isNotFound(err)) throw err;
        try {
          await this.jsm.streams.add(config);
        } catch (addErr) {
          // Another replica created it between our look and our add.
          if (!(addErr instanceof JetStreamApiError) || !/already in use/i.test(addErr.message)) throw addErr;
        }
      }
    }
  }

  /** Publishes an event to JetStream and waits for the stream's acknowledgement. */
  async publish<S extends StreamSubject>(
    subject: S,
    payload: StreamSubjectMap[S],
    opts: { msgId?: string } = {},
  ): Promise<{ duplicate: boolean }> {
    const ack = await this.js.publish(this.wire(subject), encoder.encode(JSON.stringify(payload)), {
      headers: this.outgoingHeaders(),
      ...(opts.msgId ? { msgID: opts.msgId } : {}),
    });
    this.published.inc({ subject });
    return { duplicate: ack.duplicate };
  }

  /**
   * Publishes many events to JetStream with their acknowledgements pipelined: every event goes out at
   * once, in the given order, each with a reply subject of its own on one inbox, and the acks are
   * gathered together, so a batch costs about one round trip. Each event's outcome is returned in the
   * same order: an event the stream refused (too large for its max_msg_size, a limit with discard new,
   * no stream) or whose ack did not come within `ackTimeoutMs` is `rejected` alone, and the caller
   * keeps it to send again; the others are stored. Each carries its message id, so an event sent again
   * within the duplicate window is dropped by the stream. Events come already serialised (`data`, the
   * payload's JSON text), as an outbox stores them.
   *
   * While the connection is down nothing is sent and every event is rejected at once, and a connection
   * lost during the wait rejects the events not yet acknowledged at once: the client discards what it
   * buffered while disconnected when it dials again, so those acks can never come, and a caller (the
   * outbox relay, inside a transaction on a pooled connection) must not sit out the timeout for them.
   */
  async publishBatch(
    events: Array<{ subject: StreamSubject; data: string; msgId: string; correlationId?: string | null }>,
    ackTimeoutMs = 5_000,
  ): Promise<Array<PromiseSettledResult<{ duplicate: boolean }>>> {
    if (events.length === 0) return [];
    if (!this.connected || this.nc.isClosed()) {
      const reason = new Error('NATS connection down: not published');
      return events.map(() => ({ status: 'rejected', reason }));
    }
    // One subscription for the batch rather than a request per event: js.publish per event costs a
    // timer, a stack trace and a mux entry each, and took about three times as long for 500 events.
    const inbox = `${inboxPrefixOf(this.options.service)}.${randomUUID()}`;
    const outcomes = new Array<PromiseSettledResult<{ duplicate: boolean }> | undefined>(events.length);
    let pending = events.length;
    let allIn!: () => void;
    const complete = new Promise<void>((resolve) => (allIn = resolve));
    const settle = (i: number, outcome: PromiseSettledResult<{ duplicate: boolean }>) => {
      if (outcomes[i]) return;
      outcomes[i] = outcome;
      if (--pending === 0) allIn();
    };
    const sub = this.nc.subscribe(`${inbox}.*`, {
      callback: (err, msg) => {
        if (err) return;
        const i = Number(msg.subject.slice(inbox.length + 1));
        if (Number.isInteger(i) && i >= 0 && i < events.length) settle(i, this.pubAckOf(msg, events[i]!.subject));
      },
    });
    events.forEach((e, i) => {
      const h = natsHeaders();
      h.set(CORRELATION_HEADER, e.correlationId ?? currentCorrelationId() ?? randomUUID());
      h.set('Nats-Msg-Id', e.msgId);
      try {
        this.nc.publish(this.wire(e.subject), encoder.encode(e.data), { headers: h, reply: `${inbox}.${i}` });
      } catch (err) {
        settle(i, { status: 'rejected', reason: err }); // over the server's max_payload, or the connection closed
      }
    });
    let timer: NodeJS.Timeout | undefined;
    let lost = false;
    const loss = this.nextLoss();
    await Promise.race([
      complete,
      loss.lost.then(() => {
        lost = true;
      }),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, ackTimeoutMs))),
    ]);
    clearTimeout(timer);
    loss.stop();
    sub.unsubscribe();
    const counts = new Map<StreamSubject, number>();
    const result = events.map((e, i): PromiseSettledResult<{ duplicate: boolean }> => {
      const outcome = outcomes[i] ?? {
        status: 'rejected',
        reason: new Error(
          lost || !this.connected
            ? 'NATS connection lost before the JetStream acknowledgement'
            : `no JetStream acknowledgement within ${ackTimeoutMs} ms`,
        ),
      };
      if (outcome.status === 'fulfilled') counts.set(e.subject, (counts.get(e.subject) ?? 0) + 1);
      return outcome;
    });
    for (const [subject, n] of counts) this.published.inc({ subject }, n);
    return result;
  }

  /** A JetStream publish acknowledgement as an outcome: stored (perhaps as a duplicate) or refused with the reason. */
  private pubAckOf(msg: Msg, subject: StreamSubject): PromiseSettledResult<{ duplicate: boolean }> {
    // A 503 status without a body: nothing listens on the subject, so no stream captures it.
    if (msg.headers?.code === 503) return { status: 'rejected', reason: new Error(`no stream captures ${subject}`) };
    try {
      const ack = JSON.parse(decoder.decode(msg.data)) as {
        stream?: string;
        duplicate?: boolean;
        error?: ConstructorParameters<typeof JetStreamApiError>[0];
      };
      if (ack.error) return { status: 'rejected', reason: new JetStreamApiError(ack.error) };
      if (!ack.stream) return { status: 'rejected', reason: new Error('invalid JetStream acknowledgement') };
      return { status: 'fulfilled', value: { duplicate: ack.duplicate === true } };
    } catch (e) {
      return { status: 'rejected', reason: e };
    }
  }

  /** Fire-and-forget on core NATS (wake-ups and notifications that may be lost without harm). */
  signal<S extends SignalSubject>(subject: S, payload: SignalSubjectMap[S]): void {
    this.nc.publish(this.wire(subject), encoder.encode(JSON.stringify(payload)), { headers: this.outgoingHeaders() });
  }

  /** Listens on a core subject; every replica of this service receives each message. */
  listen<S extends SignalSubject>(
    subject: S,
    handler: (payload: Partial<SignalSubjectMap[S]>, msg: Msg) => void | Promise<void>,
  ): Subscription {
    return this.nc.subscribe(this.wire(subject), {
      callback: (err, msg) => {
        if (err) return;
        let body: Partial<SignalSubjectMap[S]> = {};
        try {
          const parsed: unknown = msg.data.length ? JSON.parse(decoder.decode(msg.data)) : {};
          if (parsed && typeof parsed === 'object') body = parsed as Partial<SignalSubjectMap[S]>;
        } catch {
          // a malformed signal is treated as empty: signals only prompt work that is checked anyway
        }
        this.track(Promise.resolve().then(() => handler(body, msg))).catch((e: unknown) =>
          this.options.logger.warn({ err: e, subject }, 'listener failed'),
        );
      },
    });
  }

  /**
   * Sends a request and returns the typed reply; an error reply becomes an RpcError. While the
   * connection is down it fails at once with a RequestError: the client would only buffer the request
   * and discard it when it dials again, so the caller would wait out the whole timeout for nothing.
   * A request still waiting for its answer when the connection drops fails at once too (a
   * RequestError, not "no responders": it may have been handled): its answer could only have come
   * on the connection that is gone.
   */
  async request<S extends RequestSubject>(
    subject: S,
    payload: RequestSubjectMap[S]['request'],
    timeoutMs = 5_000,
  ): Promise<RequestSubjectMap[S]['reply']> {
    if (!this.connected) throw new RequestError(`NATS connection down: ${subject} not sent`);
    const loss = this.nextLoss();
    let reply: Msg;
    try {
      reply = await Promise.race([
        this.nc.request(this.wire(subject), encoder.encode(JSON.stringify(payload)), {
          timeout: timeoutMs,
          headers: this.outgoingHeaders(),
        }),
        loss.lost.then((): never => {
          throw new RequestError(`NATS connection lost while waiting for the answer to ${subject}`);
        }),
      ]);
    } finally {
      loss.stop();
    }
    const envelope = JSON.parse(decoder.decode(reply.data)) as RpcReply<RequestSubjectMap[S]['reply']>;
    if (!envelope.ok) throw new RpcError(envelope.error.status, envelope.error.message);
    return envelope.data;
  }

  /**
   * Answers requests on a subject, in this service's queue group so replicas share the load.
   * The payload is validated first; an invalid one is answered with 400 and the reasons.
   */
  respond<S extends RequestSubject>(
    subject: S,
    handler: (payload: RequestSubjectMap[S]['request'], ctx: MessageContext) => Promise<RequestSubjectMap[S]['reply']>,
    options: RespondOptions = {},
  ): Subscription {
    const cls = PayloadClasses[subject] as unknown as new () => RequestSubjectMap[S]['request'] & object;
    const validate = options.flatPayload ? validateFlatPayload : validatePayload;
    return this.nc.subscribe(this.wire(subject), {
      queue: this.options.service,
      callback: (err, msg) => {
        if (err) return;
        const correlationId = msg.headers?.get(CORRELATION_HEADER) || undefined;
        const work = withCorrelation(correlationId, async () => {
          const stopTimer = this.handlerSeconds.startTimer({ subject });
          const checked = validate(cls, msg.data);
          let reply: RpcReply<unknown>;
          if (!checked.ok) {
            reply = { ok: false, error: { status: 400, message: checked.reason } };
            this.handled.inc({ subject, outcome: 'invalid' });
          } else {
            try {
              const data = await handler(checked.value, {
                subject,
                correlationId: currentCorrelationId()!,
                deliveries: 1,
                ...(msg.headers ? { headers: msg.headers } : {}),
              });
              reply = { ok: true, data };
              this.handled.inc({ subject, outcome: 'ok' });
            } catch (e) {
              const status =
                typeof (e as { status?: unknown }).status === 'number'
                  ? (e as { status: number }).status
                  : typeof (e as { getStatus?: unknown }).getStatus === 'function'
                    ? (e as { getStatus(): number }).getStatus()
                    : isDataException(e)
                      ? 400
                      : 500;
              const message = isDataException(e)
                ? 'a value in the request is malformed or out of range'
                : status >= 500
                  ? 'internal error'
                  : (e as Error).message;
              if (status >= 500) this.options.logger.error({ err: e, subject }, 'request handler failed');
              reply = { ok: false, error: { status, message } };
              this.handled.inc({ subject, outcome: status >= 500 ? 'error' : 'rejected' });
            }
          }
          if (msg.reply) msg.respond(encoder.encode(JSON.stringify(reply)));
          stopTimer();
        });
        this.track(work).catch(() => undefined);
      },
    });
  }

  /**
   * Runs a durable JetStream consumer with explicit acks. Each message is validated against its
   * payload class: an invalid one goes to the dead-letter subject with the reason and is acked;
   * a handler error is retried with backoff and dead-lettered after `maxDeliver` deliveries.
   * A message is acked only after its handler has completed, so handlers must be idempotent.
   */
  async consume<S extends StreamSubject>(
    subject: S,
    options: ConsumeOptions,
    handler: (payload: StreamSubjectMap[S], ctx: MessageContext) => Promise<void>,
  ): Promise<ConsumerHandle> {
    const stream = this.streamOf(subject);
    const durable = this.options.namespace ? `${this.options.namespace}_${options.durable}` : options.durable;
    const maxDeliver = options.maxDeliver ?? 5;
    const config = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: options.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      filter_subject: this.wire(subject),
      ack_wait: (options.ackWaitMs ?? 30_000) * NANOS_PER_MS,
      max_ack_pending: Math.max(1000, (options.concurrency ?? 1) * 4),
    };
    try {
      await this.jsm.consumers.info(stream, durable);
      await this.jsm.consumers.update(stream, durable, {
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.jsm.consumers.add(stream, config).catch((e: unknown) => {
        if (!(e instanceof JetStreamApiError) || !/already/i.test(e.message)) throw e;
      });
    }
    const consumer = await this.js.consumers.get(stream, durable);
    // Twice the handlers' concurrency is buffered: enough to keep them fed, and a larger buffer only
    // keeps more messages alive long enough to be copied by the garbage collector (measured slower).
    const messages = await consumer.consume({ max_messages: Math.max(64, (options.concurrency ?? 1) * 2) });
    this.consumers.add(messages);
    const cls = PayloadClasses[subject] as unknown as new () => StreamSubjectMap[S] & object;
    const limit = Math.max(1, options.concurrency ?? 1);
    // A counting gate, not a race over the running handlers: at a limit in the thousands, racing
    // them all for every message was quadratic work. The loop (tracked below) ends only when every
    // handler has, so a shutdown waits for them.
    let active = 0;
    let wake: (() => void) | undefined;
    const finished = () => {
      active--;
      const w = wake;
      wake = undefined;
      w?.();
    };
    const failed = (e: unknown) => {
      this.options.logger.error({ err: e, subject }, 'message handling failed');
      finished();
    };
    const loop = (async () => {
      for await (const m of messages) {
        active++;
        this.handleJsMessage(m, subject, cls, maxDeliver, durable, handler, options.flatPayload === true).then(
          finished,
          failed,
        );
        while (active >= limit) await new Promise<void>((resolve) => (wake = resolve));
      }
      while (active > 0) await new Promise<void>((resolve) => (wake = resolve));
    })();
    this.track(loop).catch((e: unknown) => this.options.logger.error({ err: e, subject }, 'consumer loop ended'));

    return {
      stop: async () => {
        await messages.close().catch(() => undefined);
        this.consumers.delete(messages);
        await loop.catch(() => undefined);
      },
    };
  }

  private async handleJsMessage<S extends StreamSubject>(
    m: JsMsg,
    subject: S,
    cls: new () => StreamSubjectMap[S] & object,
    maxDeliver: number,
    durable: string,
    handler: (payload: StreamSubjectMap[S], ctx: MessageContext) => Promise<void>,
    flat = false,
  ): Promise<void> {
    const correlationId = m.headers?.get(CORRELATION_HEADER) || undefined;
    await withCorrelation(correlationId, async () => {
      const checked = flat ? validateFlatPayload(cls, m.data) : validatePayload(cls, m.data);
      if (!checked.ok) {
        try {
          await this.deadLetter(subject, m.data, `invalid payload: ${checked.reason}`, {
            consumer: durable,
            deliveries: m.info.deliveryCount,
          });
          m.ack();
          this.handled.inc({ subject, outcome: 'invalid' });
        } catch (e) {
          this.options.logger.error({ err: e, subject }, 'could not dead-letter an invalid message; will retry');
          m.nak(1_000);
        }
        return;
      }
      try {
        await handler(checked.value, {
          subject,
          correlationId: currentCorrelationId()!,
          // read on demand: it parses the delivery's reply subject, and most handlers never ask
          get deliveries() {
            return m.info.deliveryCount;
          },
          ...(m.headers ? { headers: m.headers } : {}),
        });
        m.ack();
        this.handledOk(subject).inc();
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        if (isPermanent(e) || m.info.deliveryCount >= maxDeliver) {
          try {
            const why = isPermanent(e)
              ? `rejected: ${reason}`
              : `handler failed ${m.info.deliveryCount} times: ${reason}`;
            await this.deadLetter(subject, m.data, why, { consumer: durable, deliveries: m.info.deliveryCount });
            // No reason on the TERM: nats-server 2.9 does not parse "+TERM <reason>" and would leave the
            // message pending (redelivered after ack_wait); the reason is in the dead letter.
            m.term();
            this.handled.inc({ subject, outcome: 'dead-lettered' });
          } catch {
            m.nak(5_000);
          }
        } else {
          const delay = Math.min(30_000, 250 * 2 ** (m.info.deliveryCount - 1)) * (0.5 + Math.random() / 2);
          this.options.logger.warn(
            { err: e, subject, deliveries: m.info.deliveryCount },
            'handler failed; message will be redelivered',
          );
          m.nak(Math.round(delay));
          this.handled.inc({ subject, outcome: 'retry' });
        }
      }
    });
  }

  /** Sends a message that cannot be processed to `juggernaut.deadletter.v1`, with its reason. */
  async deadLetter(
    subject: string,
    data: Uint8Array | string,
    reason: string,
    extra: Partial<DeadLetterV1> = {},
  ): Promise<void> {
    const text = typeof data === 'string' ? data : decoder.decode(data);
    const letter: DeadLetterV1 = {
      subject,
      reason: redactString(reason).slice(0, 2_000),
      data: text.slice(0, 256 * 1024),
      service: this.options.service,
      at: new Date().toISOString(),
      ...(currentCorrelationId() ? { correlationId: currentCorrelationId()! } : {}),
      ...extra,
    };
    await this.publish(Subjects.deadLetter, letter);
    this.deadLettered.inc({ subject, reason: reason.startsWith('invalid') ? 'invalid' : 'failed' });
    this.options.logger.warn({ subject, reason: letter.reason }, 'message dead-lettered');
  }

  /** True when the server answers a round trip within the timeout. */
  async healthy(timeoutMs = 1_000): Promise<boolean> {
    if (this.nc.isClosed()) return false;
    try {
      await Promise.race([
        this.nc.flush(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
      ]);
      return true;
    } catch {
      return false;
    }
  }

  /** Stops consumers, waits for in-flight handlers, drains and closes the connection. */
  async close(): Promise<void> {
    for (const c of this.consumers) await c.close().catch(() => undefined);
    this.consumers.clear();
    await Promise.allSettled([...this.inflight]);
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }

  private streamOf(subject: StreamSubject): string {
    for (const def of Object.values(Streams) as StreamDefinition[]) {
      if (def.subjects.includes(subject)) return this.streamName(def.name);
    }
    throw new Error(`no stream captures ${subject}`);
  }

  private outgoingHeaders(): MsgHdrs {
    const h = natsHeaders();
    h.set(CORRELATION_HEADER, currentCorrelationId() ?? randomUUID());
    return h;
  }

  /** The `ok` child of the handled counter per subject, looked up once (it is hit per message). */
  private handledOk(subject: string): { inc: () => void } {
    let child = this.okCounters.get(subject);
    if (!child) {
      child = this.handled.labels({ subject, outcome: 'ok' });
      this.okCounters.set(subject, child);
    }
    return child;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  /** Hears every loss (false) and return (true) of the NATS connection. */
  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  /** Settles when the connection is next lost (what waits for an answer on it can stop); `stop()` lets go of the watch. */
  private nextLoss(): { lost: Promise<void>; stop: () => void } {
    let stop!: () => void;
    const lost = new Promise<void>((resolve) => {
      stop = this.onConnectionChange((up) => {
        if (!up) resolve();
      });
    });
    return { lost, stop };
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect') {
        this.connected = s.type === 'reconnect';
        this.options.logger.warn({ status: s.type }, `NATS ${s.type}`);
        for (const l of this.connectionListeners) l(s.type === 'reconnect');
      }
    }
  }
}

/** The reply inbox prefix of a service: `_INBOX.<service>`. */
export function inboxPrefixOf(service: string): string {
  return `_INBOX.${service}`;
}

/** A handler throws this when a message can never succeed (it is dead-lettered at once, not retried). */
export class PermanentMessageError extends Error {
  readonly permanent = true;
}

function isPermanent(e: unknown): boolean {
  return (e as { permanent?: unknown })?.permanent === true || isDataException(e);
}

/**
 * Postgres refused a value the message carried (SQLSTATE class 22: a NUL character, a malformed
 * time, a number out of range). Retrying cannot help, and it is the sender's fault, not ours.
 */
export function isDataException(e: unknown): boolean {
  const code =
    (e as { driverError?: { code?: unknown }; code?: unknown } | null)?.driverError?.code ??
    (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

function isNotFound(err: unknown): boolean {
  return (
    err instanceof Error &&
    (/not found/i.test(err.message) ||
      (err as { code?: unknown }).code === 404 ||
      err.name === 'StreamNotFoundError' ||
      err.name === 'ConsumerNotFoundError')
  );
}
