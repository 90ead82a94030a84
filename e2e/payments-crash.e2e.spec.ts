import { apiClient, eventually, ServiceProcess, TEST_NATS_URL, TestStack } from '@juggernaut/testing';
import { migrateService } from '@juggernaut/service-kit';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Client } from 'pg';
import Stripe from 'stripe';
import { governanceApi } from '../apps/governance-api/src/service';
import { revenueLedger } from '../apps/revenue-ledger/src/service';
import { stripeEvent } from './stripe-fixtures';

const ADMIN = 'payments-crash-admin-key-0123456789ab';
const WHSEC = 'whsec_test_crash_0123456789abcdef';
const stripe = new Stripe('sk_test_unused');

/**
 * A TCP proxy in front of the test NATS that, once armed, stops passing the server's bytes back to
 * the client that published a payment event: the event reaches JetStream (the server stores it and
 * sends its acknowledgement) but governance-api never hears the acknowledgement, so it cannot have
 * answered the webhook — the moment a crash must not lose anything. Deterministic, no timing guess.
 */
class HoldingProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  armed = false;
  held = false;

  constructor(private readonly trigger: RegExp) {}

  async start(): Promise<string> {
    const target = new URL(TEST_NATS_URL);
    this.server = createServer((client) => {
      const upstream = connect(Number(target.port || 4222), target.hostname);
      this.sockets.add(client).add(upstream);
      let hold = false;
      let seen = '';
      client.on('data', (chunk) => {
        seen = (seen + chunk.toString('latin1')).slice(-4096);
        if (this.armed && this.trigger.test(seen)) {
          hold = true;
          this.held = true;
          this.armed = false;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (!hold) client.write(chunk);
      });
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `nats://127.0.0.1:${(this.server!.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

describe('a crash between capturing a webhook and answering it', () => {
  let stack: TestStack;
  let proxy: HoldingProxy;
  let gov: ServiceProcess | undefined;
  let pg: Client;
  const count = async (sql: string) => ((await pg.query(sql)).rows[0] as { n: number }).n;

  beforeAll(async () => {
    stack = await TestStack.create('paycrash');
    proxy = new HoldingProxy(new RegExp(`(?:^|\\n)H?PUB ${stack.namespace}\\.juggernaut\\.payment\\.event\\.v1 `));
    await stack.start(revenueLedger);
    pg = new Client({ connectionString: stack.db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await gov?.kill('SIGKILL');
    await pg?.end();
    await proxy?.stop();
    await stack?.close();
  });

  it('loses nothing: the event is posted once, and Stripe retrying it is answered as a duplicate', async () => {
    const natsUrl = await proxy.start();
    const env = {
      ...stack.env({ JUGGERNAUT_ADMIN_KEY: ADMIN, STRIPE_WEBHOOK_SECRET: WHSEC }),
      NATS_URL: natsUrl,
      LOG_LEVEL: 'info',
    };
    await migrateService(governanceApi, env);
    gov = await ServiceProcess.start('governance-api', env);
    const url = `http://127.0.0.1:${gov.port}`;
    const event = stripeEvent.chargeSucceeded({
      id: 'evt_crash',
      charge: 'ch_crash',
      paymentIntent: 'pi_crash',
      amount: 12_345,
      metadata: { experimentId: 'exp-crash' },
    });
    const payload = JSON.stringify(event);
    const deliver = (base: string) =>
      fetch(`${base}/api/v1/webhooks/stripe`, {
        method: 'POST',
        body: payload,
        headers: {
          'content-type': 'application/json',
          'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: WHSEC }),
        },
      });

    proxy.armed = true;
    const first = deliver(url).then(
      (r) => r.status,
      (e: Error) => `no answer: ${e.message}`,
    );
    // The event is in JetStream and the ledger posts it, while governance-api still waits for its acknowledgement.
    await eventually(() => proxy.held);
    const ledgerSays = () =>
      count(`SELECT count(*)::int AS n FROM ledger.transactions WHERE event_id = 'stripe:payment:pi_crash'`);
    await eventually(async () => (await ledgerSays()) === 1, 15_000);
    await gov.kill('SIGKILL');
    expect(await first).toMatch(/^no answer/);

    // Stripe saw no 2xx, so it sends the event again (a new signature) to the restarted service.
    gov = await ServiceProcess.start('governance-api', env);
    const retry = await deliver(`http://127.0.0.1:${gov.port}`);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ received: true, duplicate: true });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await ledgerSays()).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM ledger.payment_events WHERE event_id = 'evt_crash'`)).toBe(1);
    const pnl = (await apiClient(`http://127.0.0.1:${gov.port}`, ADMIN).get('/api/v1/ledger/pnl?groupBy=experiment'))
      .body.rows;
    expect(pnl).toEqual([{ key: 'exp-crash', currency: 'USD', revenueMinor: 12_345, costMinor: 0, netMinor: 12_345 }]);
  });
});
