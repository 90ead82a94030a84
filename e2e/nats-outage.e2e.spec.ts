import { type PolicyDocumentV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { mayHaveBeenHandled } from '@juggernaut/worker';
import { createLogger, Metrics } from '@juggernaut/observability';
import { eventually, LogCapture, NatsServerProcess, testNamespace } from '@juggernaut/testing';
import { RequestError } from '@nats-io/transport-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The bus while its NATS connection is down, on a nats-server of its own (stopped and started again;
 * never the shared one). The NATS client keeps what is published while it is disconnected only until
 * it dials again, and then discards it: a request sent meanwhile is never delivered. So the bus fails
 * it at once instead of letting its caller wait out the timeout (a runner's result report waited
 * ten seconds after NATS was back before it was sent again); likewise a request already waiting for
 * its answer when the connection drops (a runner's claim held at the dispatcher waited out its 5 s).
 */
describe('the bus while NATS is down', () => {
  const logger = createLogger({
    service: 'nats-outage-test',
    level: 'warn',
    destination: new LogCapture(),
    pretty: false,
  });
  let store: string;
  let nats: NatsServerProcess;
  const buses: Bus[] = [];

  beforeAll(async () => {
    store = mkdtempSync(join(tmpdir(), 'jg-outage-nats-'));
    nats = await NatsServerProcess.start(store);
  });

  afterAll(async () => {
    for (const b of buses) await b.close().catch(() => undefined);
    await nats.stop();
    rmSync(store, { recursive: true, force: true });
  });

  async function bus(service: string, namespace: string): Promise<Bus> {
    const b = await Bus.connect({ servers: nats.url, namespace, service, logger, metrics: new Metrics(service) });
    buses.push(b);
    return b;
  }

  /** Resolves at the bus's next loss (false) or return (true) of its connection. */
  const next = (b: Bus, connected: boolean) =>
    new Promise<void>((resolve) => {
      const stop = b.onConnectionChange((up) => {
        if (up !== connected) return;
        stop();
        resolve();
      });
    });

  it('a request sent while the connection is down fails at once, and one sent after it is back is answered', async () => {
    const ns = testNamespace();
    const responder = await bus('outage-responder', ns);
    const requester = await bus('outage-requester', ns);
    responder.respond(Subjects.policyGet, async () => ({ version: 7 }) as unknown as PolicyDocumentV1);
    await responder.nc.flush(); // the server has the subscription before the first request
    expect((await requester.request(Subjects.policyGet, {}, 5_000)).version).toBe(7);

    const lost = next(requester, false);
    const back = next(requester, true);
    await nats.stop();
    await lost;
    const t = performance.now();
    const failure = await requester.request(Subjects.policyGet, {}, 5_000).catch((e: unknown) => e);
    expect(performance.now() - t).toBeLessThan(1_000);
    expect(failure).toBeInstanceOf(RequestError);
    expect((failure as Error).message).toMatch(/connection down/);

    await nats.restart();
    await back;
    // The responder redials on its own schedule: asked until it answers.
    const answer = await eventually(
      () => requester.request(Subjects.policyGet, {}, 1_000).catch(() => undefined),
      10_000,
      100,
    );
    expect(answer.version).toBe(7);
  });

  it('a request waiting for its answer when the connection drops fails at once, as one that may have been handled', async () => {
    const ns = testNamespace();
    const responder = await bus('outage-silent-responder', ns);
    const requester = await bus('outage-waiting-requester', ns);
    // A responder that takes the request and never answers: the request is on its way when NATS goes.
    const taken = new Promise<void>((resolve) =>
      responder.nc.subscribe(responder.wire(Subjects.policyGet), { callback: () => resolve() }),
    );
    await responder.nc.flush();
    const back = next(requester, true);
    const waiting = requester.request(Subjects.policyGet, {}, 30_000).catch((e: unknown) => e);
    await taken;
    const t = performance.now();
    await nats.stop();
    const failure = await waiting;
    // Not after the 30 s timeout: the reply could only have come on the connection that is gone.
    expect(performance.now() - t).toBeLessThan(5_000);
    expect(failure).toBeInstanceOf(RequestError);
    expect((failure as Error).message).toMatch(/connection lost/);
    expect(mayHaveBeenHandled(failure)).toBe(true);
    await nats.restart();
    await back;
  });
});
