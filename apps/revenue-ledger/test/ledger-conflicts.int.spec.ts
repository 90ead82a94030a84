import type { CostRecordedV1, DeadLetterV1, RequestSubject, RevenueRecordedV1 } from '@juggernaut/contracts';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { apiClient, connectTestNats, eventually, natsRpc, readStream, TestStack } from '@juggernaut/testing';
import { costEntry, revenueEntry } from '../src/posting/journal-entry';
import { PostingService } from '../src/posting/posting.service';
import { revenueLedger } from '../src/service';

/**
 * An event id is posted once. The same event again is a silent no-op; another event under a posted
 * id is a conflict: dead-lettered with every differing field, counted, never posted, and it holds
 * up nothing else.
 */
describe('revenue-ledger: an event id reused with different content is a conflict', () => {
  let stack: TestStack;
  let ledger: Awaited<ReturnType<TestStack['start']>>;
  let nc: NatsConnection;

  const wire = (s: string) => `${stack.namespace}.${s}`;
  const rpc = <S extends RequestSubject>(subject: S, payload: unknown) =>
    natsRpc(nc, stack.namespace).call(subject, payload);
  const rpcError = (subject: string, payload: unknown) => natsRpc(nc, stack.namespace).error(subject, payload);
  const publish = (subject: string, payload: unknown) => jetstream(nc).publish(wire(subject), JSON.stringify(payload));
  const revenue = (eventId: string, over: Record<string, unknown> = {}) => ({
    eventId,
    amountMinor: 500,
    currency: 'USD',
    source: 'stripe',
    occurredAt: '2026-11-01T10:00:00Z',
    ...over,
  });
  const cost = (eventId: string, over: Record<string, unknown> = {}) => ({
    eventId,
    amountMinor: 120,
    currency: 'USD',
    category: 'llm:gpt-4o-mini',
    source: 'agent-runner',
    occurredAt: '2026-11-01T10:00:00Z',
    ...over,
  });
  const posted = async (eventId: string) => (await rpc('juggernaut.ledger.transaction.list.v1', { eventId })).items;
  const untilPosted = (eventId: string) => eventually(async () => (await posted(eventId))[0], 15_000);
  const balance = async (account: string) => {
    const b = await rpc('juggernaut.ledger.balance.get.v1', { account });
    return Object.fromEntries(b.balances.map((x) => [x.currency, x.balanceMinor]));
  };
  const letters = () =>
    readStream<DeadLetterV1>(nc, `${stack.namespace}_JUGGERNAUT_DEADLETTER`, wire('juggernaut.deadletter.v1'));
  /** The dead letters of one event id, once there are `n` of them. */
  const lettersOf = (eventId: string, n = 1) =>
    eventually(async () => {
      const got = (await letters()).filter((l) => JSON.parse(l.data).eventId === eventId);
      return got.length >= n ? got : undefined;
    }, 15_000);
  const metrics = async () => (await apiClient(ledger.url).get<string>('/metrics')).body;
  const consumerSettled = (durable: string) =>
    eventually(async () => {
      const info = await (
        await jetstreamManager(nc)
      ).consumers.info(`${stack.namespace}_JUGGERNAUT_INBOUND`, `${stack.namespace}_${durable}`);
      return info.num_ack_pending === 0 && info.num_pending === 0 ? info : undefined;
    }, 15_000);

  beforeAll(async () => {
    stack = await TestStack.create('ledgerconflict');
    ledger = await stack.start(revenueLedger);
    nc = await connectTestNats();
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  it('dead-letters a revenue event that reuses a posted id with another amount, naming the field, both values and the transaction', async () => {
    await publish('juggernaut.revenue.recorded.v1', revenue('c-amount', { amountMinor: 500 }));
    const t = await untilPosted('c-amount');
    await publish('juggernaut.revenue.recorded.v1', revenue('c-amount', { amountMinor: 700 }));
    const [letter] = await lettersOf('c-amount');
    expect(letter.subject).toBe('juggernaut.revenue.recorded.v1');
    expect(letter.reason).toBe(
      `rejected: conflict: eventId c-amount was posted as transaction ${t.id} with amountMinor 500; this event has amountMinor 700`,
    );
    expect(await posted('c-amount')).toEqual([t]);
    expect(await balance('revenue:stripe')).toEqual({ USD: -500 });
    // Refused for good: not retried, and the consumer has nothing left pending.
    const info = await consumerSettled('revenue-ledger-revenue');
    expect(info.num_redelivered).toBe(0);
    expect(await lettersOf('c-amount')).toHaveLength(1);
  });

  it('names every differing field: currency, account (category, source) and attribution, for cost and revenue', async () => {
    await publish('juggernaut.cost.recorded.v1', cost('c-currency', { experimentId: 'exp-1', taskId: 'task-1' }));
    const tc = await untilPosted('c-currency');
    await publish(
      'juggernaut.cost.recorded.v1',
      cost('c-currency', { currency: 'EUR', experimentId: 'exp-1', taskId: 'task-1' }),
    );
    expect((await lettersOf('c-currency'))[0].reason).toBe(
      `rejected: conflict: eventId c-currency was posted as transaction ${tc.id} with currency USD; this event has currency EUR`,
    );

    await publish('juggernaut.cost.recorded.v1', cost('c-account', { taskId: 'task-2', taskType: 'research' }));
    const ta = await untilPosted('c-account');
    await publish(
      'juggernaut.cost.recorded.v1',
      cost('c-account', {
        amountMinor: 121,
        category: 'tools',
        source: 'dev-bot',
        taskId: 'task-3',
        taskType: 'research',
        goalId: 'goal 7',
      }),
    );
    expect((await lettersOf('c-account'))[0].reason).toBe(
      `rejected: conflict: eventId c-account was posted as transaction ${ta.id} with amountMinor 120, category llm:gpt-4o-mini, source agent-runner, goalId none, taskId task-2; ` +
        'this event has amountMinor 121, category tools, source dev-bot, goalId "goal 7", taskId task-3',
    );

    await publish(
      'juggernaut.revenue.recorded.v1',
      revenue('c-source', { experimentId: 'exp-a', variantKey: 'control', customerRef: 'cust-1' }),
    );
    const tr = await untilPosted('c-source');
    await publish(
      'juggernaut.revenue.recorded.v1',
      revenue('c-source', { source: 'gumroad', experimentId: 'exp-a', variantKey: 'treatment', customerRef: 'cust-1' }),
    );
    expect((await lettersOf('c-source'))[0].reason).toBe(
      `rejected: conflict: eventId c-source was posted as transaction ${tr.id} with source stripe, variantKey control; this event has source gumroad, variantKey treatment`,
    );
    // A revenue id reused by a cost event.
    await publish('juggernaut.cost.recorded.v1', cost('c-source', { amountMinor: 500 }));
    expect((await lettersOf('c-source', 2)).map((l) => l.reason)).toContain(
      `rejected: conflict: eventId c-source was posted as transaction ${tr.id} with kind revenue, experimentId exp-a, variantKey control, unitId cust-1, customerRef cust-1; ` +
        'this event has kind cost, experimentId none, variantKey none, unitId none, customerRef none',
    );
    expect(await balance('revenue:gumroad').catch(() => ({}))).toEqual({});
    expect(await balance('expense:tools').catch(() => ({}))).toEqual({});
  });

  it('keeps an identical redelivery silent, even with another occurredAt or description, and counts it as a duplicate', async () => {
    const e = revenue('c-same', { amountMinor: 900, source: 'same', experimentId: 'exp-s' });
    await publish('juggernaut.revenue.recorded.v1', e);
    await untilPosted('c-same');
    await publish('juggernaut.revenue.recorded.v1', e);
    await publish('juggernaut.revenue.recorded.v1', {
      ...e,
      occurredAt: '2026-11-02T00:00:00Z',
      description: 'sent again',
    });
    await eventually(async () => /juggernaut_ledger_duplicates_total\{[^}]*\} ([2-9]|\d\d+)/.test(await metrics()));
    await consumerSettled('revenue-ledger-revenue');
    expect((await letters()).filter((l) => JSON.parse(l.data).eventId === 'c-same')).toEqual([]);
    expect(await posted('c-same')).toHaveLength(1);
    expect(await balance('revenue:same')).toEqual({ USD: -900 });
  });

  it('finds a conflict inside one batch: the first entry posts, the other is refused, and its batch-mates post', async () => {
    const posting = ledger.app.get(PostingService);
    const batch = [
      revenueEntry(revenue('c-batch', { amountMinor: 500, source: 'batch' }) as RevenueRecordedV1),
      costEntry(cost('c-batch-mate-1', { category: 'batch' }) as CostRecordedV1),
      revenueEntry(revenue('c-batch', { amountMinor: 700, source: 'batch' }) as RevenueRecordedV1),
      revenueEntry(revenue('c-batch', { amountMinor: 500, source: 'batch' }) as RevenueRecordedV1),
      revenueEntry(revenue('c-batch-mate-2', { source: 'batch' }) as RevenueRecordedV1),
    ];
    const outcomes = await posting.post(batch);
    expect(outcomes.map((o) => o.status)).toEqual(['posted', 'posted', 'conflict', 'duplicate', 'posted']);
    expect(outcomes[2]).toMatchObject({
      transactionId: batch[0]!.id,
      error: {
        status: 409,
        message: `conflict: eventId c-batch was posted as transaction ${batch[0]!.id} with amountMinor 500; this event has amountMinor 700`,
      },
    });
    expect(await balance('revenue:batch')).toEqual({ USD: -1_000 });
  });

  it('gives the repeats of a refused entry in the same batch their own turn: nothing is posted under that id yet', async () => {
    await rpc('juggernaut.ledger.account.create.v1', { name: 'assets:cash:SEK', currency: 'SEK', noOverdraft: true });
    const posting = ledger.app.get(PostingService);
    const batch = [
      costEntry(cost('c-refused', { currency: 'SEK', category: 'refused' }) as CostRecordedV1),
      costEntry(cost('c-refused', { currency: 'SEK', category: 'refused' }) as CostRecordedV1),
      costEntry(cost('c-refused', { currency: 'USD', category: 'refused' }) as CostRecordedV1),
    ];
    const outcomes = await posting.post(batch);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'posted']);
    expect(outcomes[1]).toMatchObject({ error: { message: expect.stringContaining('insufficient funds') } });
    expect((await posted('c-refused'))[0].id).toBe(batch[2]!.id);
  });

  it('dead-letters the conflicting one of a burst through the consumer while every other event of it posts', async () => {
    const burst = [
      ...Array.from({ length: 20 }, (_, i) => revenue(`c-burst-${i}`, { amountMinor: 10, source: 'burst' })),
      revenue('c-burst-dup', { amountMinor: 300, source: 'burst' }),
      ...Array.from({ length: 20 }, (_, i) => revenue(`c-burst-${20 + i}`, { amountMinor: 10, source: 'burst' })),
      revenue('c-burst-dup', { amountMinor: 301, source: 'burst' }),
    ];
    await Promise.all(burst.map((e) => publish('juggernaut.revenue.recorded.v1', e)));
    await consumerSettled('revenue-ledger-revenue');
    for (let i = 0; i < 40; i++) expect(await posted(`c-burst-${i}`)).toHaveLength(1);
    const [t] = await posted('c-burst-dup');
    const [letter] = await lettersOf('c-burst-dup');
    // Whichever of the two came first is posted; the other names it.
    const [postedAmount, refusedAmount] = t.postings[0].amountMinor === 300 ? [300, 301] : [301, 300];
    expect(letter.reason).toBe(
      `rejected: conflict: eventId c-burst-dup was posted as transaction ${t.id} with amountMinor ${postedAmount}; this event has amountMinor ${refusedAmount}`,
    );
    expect(await balance('revenue:burst')).toEqual({ USD: -(400 + postedAmount) });
  });

  it('counts conflicts by kind in juggernaut_ledger_conflicts_total', async () => {
    await consumerSettled('revenue-ledger-revenue');
    await consumerSettled('revenue-ledger-cost');
    const m = await metrics();
    // revenue: c-amount, c-source, c-batch (posted directly), c-burst-dup; cost: c-currency, c-account, c-source
    expect(m).toMatch(/juggernaut_ledger_conflicts_total\{[^}]*kind="revenue"[^}]*\} 4\n/);
    expect(m).toMatch(/juggernaut_ledger_conflicts_total\{[^}]*kind="cost"[^}]*\} 3\n/);
  });

  it('answers 409 naming the fields to an adjusting entry that reuses an idempotency key with other content, and the posted entry to the same one again', async () => {
    await rpc('juggernaut.ledger.account.create.v1', { name: 'equity:owner' });
    const entry = (amount: number, over: Record<string, unknown> = {}) => ({
      description: 'opening balance',
      idempotencyKey: 'open-1',
      goalId: 'goal-1',
      postings: [
        { account: 'assets:cash:USD', amountMinor: amount, currency: 'USD' },
        { account: 'equity:owner', amountMinor: -amount, currency: 'USD' },
      ],
      ...over,
    });
    const first = await rpc('juggernaut.ledger.transaction.post.v1', entry(1_000));
    // The same entry again (its description and time may differ) returns the one posted.
    expect(
      (
        await rpc(
          'juggernaut.ledger.transaction.post.v1',
          entry(1_000, { description: 'retry', occurredAt: '2026-01-01T00:00:00Z' }),
        )
      ).id,
    ).toBe(first.id);
    const other = await rpcError('juggernaut.ledger.transaction.post.v1', entry(1_200));
    expect(other.status).toBe(409);
    expect(JSON.parse(other.message)).toBe(
      `conflict: idempotencyKey open-1 was posted as transaction ${first.id} with ` +
        'postings [assets:cash:USD 1000 USD, equity:owner -1000 USD]; this entry has postings [assets:cash:USD 1200 USD, equity:owner -1200 USD]',
    );
    const attribution = await rpcError('juggernaut.ledger.transaction.post.v1', entry(1_000, { goalId: 'goal-2' }));
    expect(attribution.status).toBe(409);
    expect(JSON.parse(attribution.message)).toBe(
      `conflict: idempotencyKey open-1 was posted as transaction ${first.id} with goalId goal-1; this entry has goalId goal-2`,
    );
    expect(await balance('equity:owner')).toEqual({ USD: -1_000 });
    expect(await metrics()).toMatch(/juggernaut_ledger_conflicts_total\{[^}]*kind="manual"[^}]*\} 2\n/);
  });
});
