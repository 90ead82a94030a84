import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  type DeadLetterV1,
  type RevenueRecordedV1,
  type ScheduleNameV1,
  Streams,
  Subjects,
} from '@juggernaut/contracts';
import { Bus, Consume, Respond, type RpcReply, type RunningHandlers } from '@juggernaut/messaging';
import { createLogger, Metrics } from '@juggernaut/observability';
import { randomBytes } from 'node:crypto';
import { startDeclaredHandlers } from './declared-handlers';

const NATS_URL = process.env['TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** A gate the test opens when it wants the held requests answered. */
class Gate {
  private open?: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  entered = 0;
  async pass(): Promise<void> {
    this.entered++;
    await this.opened;
  }
  release(): void {
    this.open?.();
  }
}

@Injectable()
class Schedules {
  readonly gate = new Gate();
  hold = false;
  calls: string[] = [];
  events: RevenueRecordedV1[] = [];

  @Respond(Subjects.scheduleDelete)
  async remove(req: ScheduleNameV1) {
    this.calls.push(req.name);
    if (this.hold) await this.gate.pass();
    if (req.name === 'missing') throw Object.assign(new Error('no schedule named missing'), { status: 404 });
    if (req.name === 'broken') throw new Error('a secret detail of the failure');
    return { deleted: true };
  }

  @Consume(Subjects.revenueRecorded, { durable: 'declared-handlers-revenue', concurrency: 2 })
  async revenue(e: RevenueRecordedV1): Promise<void> {
    this.events.push(e);
  }
}

@Module({ providers: [Schedules] })
class FeatureModule {}

@Module({ imports: [DiscoveryModule, FeatureModule] })
class RootModule {}

/** Not run: it only has to compile, or fail to, as marked. */
export class WrongTypes {
  // @ts-expect-error the request of schedule.delete is ScheduleNameV1, not a number
  @Respond(Subjects.scheduleDelete)
  wrongRequest(req: { name: number }) {
    return { deleted: req.name > 0 };
  }

  // @ts-expect-error the reply of schedule.delete is { deleted: boolean }
  @Respond(Subjects.scheduleDelete)
  wrongReply(req: ScheduleNameV1) {
    return { removed: req.name };
  }

  // @ts-expect-error revenue.recorded carries a RevenueRecordedV1, which has no name
  @Consume(Subjects.revenueRecorded, { durable: 'never-started' })
  wrongEvent(e: ScheduleNameV1): Promise<void> {
    return Promise.resolve(void e.name);
  }
}

describe('@Respond and @Consume, found by the service kit (real NATS)', () => {
  const namespace = `t${randomBytes(5).toString('hex')}`;
  const wire = (subject: string) => `${namespace}.${subject}`;
  let nc: NatsConnection;
  let bus: Bus;
  let app: INestApplicationContext;
  let handlers: RunningHandlers;
  let schedules: Schedules;

  const ask = async (payload: unknown, timeout = 5_000): Promise<RpcReply<{ deleted: boolean }>> =>
    (await nc.request(wire(Subjects.scheduleDelete), JSON.stringify(payload), { timeout })).json();

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    bus = await Bus.connect({
      servers: NATS_URL,
      service: 'declared-handlers-test',
      namespace,
      logger: createLogger({ service: 'declared-handlers-test', level: 'silent', pretty: false }),
      metrics: new Metrics('declared-handlers-test'),
    });
    await bus.ensureStreams([Streams.inbound, Streams.deadLetter]);
    app = await NestFactory.createApplicationContext(RootModule, { logger: false });
    schedules = app.get(Schedules);
    handlers = await startDeclaredHandlers(app, bus);
  });

  afterAll(async () => {
    await handlers?.stop();
    await app?.close();
    await bus?.close();
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(`${namespace}_`)) await jsm.streams.delete(name).catch(() => undefined);
    }
    await nc?.close();
  });

  it('finds each declared method of a provider and starts it', () => {
    expect(handlers.count).toBe(2);
  });

  it('a @Respond method answers in the envelope Bus.respond uses, errors with their status', async () => {
    expect(await ask({ name: 'nightly' })).toEqual({ ok: true, data: { deleted: true } });
    expect(await ask({ name: 'missing' })).toEqual({
      ok: false,
      error: { status: 404, message: 'no schedule named missing' },
    });
    // A failure without a status is a 500 whose details stay in the log.
    expect(await ask({ name: 'broken' })).toEqual({ ok: false, error: { status: 500, message: 'internal error' } });
  });

  it('an invalid request is answered with 400 and the reasons, and never reaches the method', async () => {
    const before = schedules.calls.length;
    const reply = await ask({ name: '' });
    expect(reply.ok).toBe(false);
    expect(!reply.ok && reply.error.status).toBe(400);
    expect(!reply.ok && String(reply.error.message)).toMatch(/name/);
    expect(schedules.calls.length).toBe(before);
  });

  it('a @Consume method gets valid events; an invalid one is dead-lettered with the reason', async () => {
    const event: RevenueRecordedV1 = {
      eventId: `ev-${namespace}`,
      amountMinor: 1250,
      currency: 'USD',
      source: 'stripe',
      occurredAt: '2026-12-01T10:00:00Z',
    };
    await bus.publish(Subjects.revenueRecorded, event);
    const js = jetstream(nc);
    await js.publish(wire(Subjects.revenueRecorded), JSON.stringify({ eventId: 'bad', amountMinor: -5 }));
    const deadline = Date.now() + 10_000;
    let letters: DeadLetterV1[] = [];
    while (Date.now() < deadline && (schedules.events.length === 0 || letters.length === 0)) {
      await new Promise((r) => setTimeout(r, 100));
      letters = await readDeadLetters(nc, `${namespace}_${Streams.deadLetter.name}`);
    }
    expect(schedules.events).toEqual([event]);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ subject: Subjects.revenueRecorded, service: 'declared-handlers-test' });
    expect(letters[0]!.reason).toMatch(/^invalid payload: .*amountMinor/);
  });

  it('stopping answers every request already received (drain), and takes no new ones', async () => {
    schedules.hold = true;
    const before = schedules.gate.entered;
    const pending = Array.from({ length: 20 }, (_, i) => ask({ name: `held-${i}` }, 10_000));
    while (schedules.gate.entered < before + 20) await new Promise((r) => setTimeout(r, 10));
    const stopped = handlers.stop();
    // The drain waits for the held handlers' answers: open the gate only once it has begun.
    await new Promise((r) => setTimeout(r, 100));
    schedules.gate.release();
    await stopped;
    const replies = await Promise.all(pending);
    expect(replies.every((r) => r.ok)).toBe(true);
    await expect(ask({ name: 'late' }, 1_000)).rejects.toThrow();
  });
});

async function readDeadLetters(nc: NatsConnection, stream: string): Promise<DeadLetterV1[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream).catch(() => undefined);
  if (!info) return [];
  const out: DeadLetterV1[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    if (m) out.push(m.json<DeadLetterV1>());
  }
  return out;
}
