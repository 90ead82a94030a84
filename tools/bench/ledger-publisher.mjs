// The event source of the ledger benchmark, run as its own process: publishes revenue and cost
// events to JetStream as fast as the stream acknowledges them, with 10% re-published duplicates and
// 1% invalid messages, and reports what an exact ledger must end up with.
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const NS = process.env.NATS_NAMESPACE;
const EVENTS = Number(process.env.EVENTS ?? 100_000);
const WINDOW = Number(process.env.PUBLISH_WINDOW ?? 2_000);

// mulberry32: the same seed gives the same events to every system measured.
let state = Number(process.env.SEED ?? 42) >>> 0;
const rand = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

// BENCH_LEDGER_REVENUE_SHARE: the share of new events that are revenue (the rest are costs), 0.7 by default.
const REVENUE_SHARE = Number(process.env.BENCH_LEDGER_REVENUE_SHARE ?? 0.7);
const revenueSubject = `${NS}.juggernaut.revenue.recorded.v1`;
const costSubject = `${NS}.juggernaut.cost.recorded.v1`;
const expected = { published: 0, unique: 0, duplicates: 0, invalid: 0, revenue: {}, cost: {} };
const uniques = [];
const messages = [];
for (let i = 0; i < EVENTS; i++) {
  const r = rand();
  if (r < 0.01) {
    expected.invalid++;
    const kind = i % 3;
    messages.push(
      kind === 0
        ? [
            revenueSubject,
            JSON.stringify({
              eventId: `bad-${i}`,
              amountMinor: -5,
              currency: 'USD',
              source: 'shop',
              occurredAt: '2026-11-01T00:00:00Z',
            }),
          ]
        : kind === 1
          ? [
              costSubject,
              JSON.stringify({
                eventId: `bad-${i}`,
                amountMinor: 10,
                currency: 'dollars',
                category: 'llm:m',
                source: 'runner',
                occurredAt: '2026-11-01T00:00:00Z',
              }),
            ]
          : [revenueSubject, '{"eventId": "truncated'],
    );
  } else if (r < 0.11 && uniques.length > 0) {
    expected.duplicates++;
    messages.push(pick(uniques));
  } else {
    expected.unique++;
    const amountMinor = 1 + Math.floor(rand() * 100_000);
    const currency = rand() < 0.9 ? 'USD' : 'EUR';
    const occurredAt = new Date(Date.UTC(2026, 0, 1) + Math.floor(rand() * 300 * 86_400_000)).toISOString();
    let m;
    if (rand() < REVENUE_SHARE) {
      expected.revenue[currency] = (expected.revenue[currency] ?? 0) + amountMinor;
      m = [
        revenueSubject,
        JSON.stringify({
          eventId: `rev-${i}`,
          amountMinor,
          currency,
          source: pick(['stripe', 'gumroad', 'shop', 'ads', 'api']),
          occurredAt,
          ...(rand() < 0.3
            ? {
                experimentId: pick(['exp-a', 'exp-b']),
                variantKey: pick(['control', 'treatment']),
                customerRef: `cust-${i}`,
              }
            : {}),
        }),
      ];
    } else {
      expected.cost[currency] = (expected.cost[currency] ?? 0) + amountMinor;
      m = [
        costSubject,
        JSON.stringify({
          eventId: `cost-${i}`,
          amountMinor,
          currency,
          category: pick(['llm:gpt-4o-mini', 'llm:gpt-4o', 'tools', 'infra']),
          source: 'agent-runner',
          occurredAt,
          taskId: `task-${i}`,
          taskType: pick(['research', 'outreach', 'build']),
        }),
      ];
    }
    uniques.push(m);
    messages.push(m);
  }
}

const nc = await connect({ servers: NATS_URL });
const js = jetstream(nc);
const encoder = new TextEncoder();
process.send?.({ ready: true });
await new Promise((resolve) => process.once('message', resolve));
const t0 = performance.now();
// A window of WINDOW unacknowledged publishes, kept with a counter (racing every pending publish for
// each new one is work that grows with the window, on the cores the system under test uses).
let inflight = 0;
let wake;
const acked = () => {
  inflight--;
  const w = wake;
  wake = undefined;
  w?.();
};
let failure;
for (const [subject, body] of messages) {
  inflight++;
  js.publish(subject, encoder.encode(body)).then(acked, (e) => {
    failure = e;
    acked();
  });
  while (inflight >= WINDOW) await new Promise((resolve) => (wake = resolve));
  if (failure) throw failure;
}
while (inflight > 0) await new Promise((resolve) => (wake = resolve));
if (failure) throw failure;
expected.published = messages.length;
expected.publishSeconds = (performance.now() - t0) / 1000;
await nc.close();
process.send?.({ done: true, expected });
