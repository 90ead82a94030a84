import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { apiClient, connectTestNats, eventually, TestStack } from '@juggernaut/testing';
import { governanceApi } from '../apps/governance-api/src/service';
import { revenueLedger } from '../apps/revenue-ledger/src/service';

const ADMIN = 'ledger-admin-key-0123456789abcdef';

describe('the ledger through the REST API and NATS', () => {
  let stack: TestStack;
  let nc: NatsConnection;
  let url: string;
  const admin = () => apiClient(url, ADMIN);
  const keyFor = async (role: string) =>
    (await admin().post('/api/v1/api-keys', { name: `ledger-${role}`, role })).body.key as string;
  const publish = (subject: string, payload: unknown) =>
    jetstream(nc).publish(`${stack.namespace}.${subject}`, JSON.stringify(payload));
  const entry = (amount = 1_000, over: Record<string, unknown> = {}) => ({
    description: 'opening balance',
    postings: [
      { account: 'assets:cash:USD', amountMinor: amount, currency: 'USD' },
      { account: 'revenue:manual', amountMinor: -amount, currency: 'USD' },
    ],
    ...over,
  });

  beforeAll(async () => {
    stack = await TestStack.create('ledgere2e');
    url = (await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN })).url;
    await stack.start(revenueLedger, { LEDGER_REVENUE_TARGET_MINOR: '1000000' });
    nc = await connectTestNats();
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  it('shows revenue from another system in balances, transactions, P&L and progress once, however often it is published', async () => {
    const sale = {
      eventId: 'shop-order-1001',
      amountMinor: 250_000,
      currency: 'USD',
      source: 'shop',
      occurredAt: '2026-11-20T09:00:00Z',
      experimentId: 'exp-price',
      variantKey: 'high',
      customerRef: 'cust-1',
    };
    for (let i = 0; i < 3; i++) await publish('juggernaut.revenue.recorded.v1', sale);
    const page = await eventually(async () => {
      const r = await admin().get('/api/v1/ledger/transactions?eventId=shop-order-1001');
      return r.body.items?.length ? r.body : undefined;
    });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      kind: 'revenue',
      source: 'shop',
      experimentId: 'exp-price',
      variantKey: 'high',
    });
    await new Promise((r) => setTimeout(r, 300));
    expect((await admin().get('/api/v1/ledger/transactions?eventId=shop-order-1001')).body.items).toHaveLength(1);

    const bal = await admin().get('/api/v1/ledger/balances?account=revenue:shop');
    expect(bal.status).toBe(200);
    expect(bal.body).toMatchObject({
      account: 'revenue:shop',
      includesSubaccounts: true,
      balances: [{ currency: 'USD', balanceMinor: -250_000 }],
    });
    const pnl = await admin().get('/api/v1/ledger/pnl?groupBy=experiment');
    expect(pnl.body.rows).toEqual([
      { key: 'exp-price', currency: 'USD', revenueMinor: 250_000, costMinor: 0, netMinor: 250_000 },
    ]);
    const summary = await admin().get('/api/v1/ledger/summary');
    expect(summary.body).toMatchObject({
      baseCurrency: 'USD',
      targetMinor: 1_000_000,
      revenueBaseMinor: 250_000,
      progressRatio: 0.25,
      transactions: 1,
    });
    const accounts = await admin().get('/api/v1/ledger/accounts?prefix=assets');
    expect(accounts.body.map((a: { name: string }) => a.name)).toEqual(['assets', 'assets:cash', 'assets:cash:USD']);
  });

  it('lets only admins post adjusting entries, reverse transactions, create accounts and set rates', async () => {
    const viewer = apiClient(url, await keyFor('viewer'));
    const operator = apiClient(url, await keyFor('operator'));
    const agent = apiClient(url, await keyFor('agent'));
    for (const who of [viewer, operator, agent]) {
      expect((await who.post('/api/v1/ledger/transactions', entry())).status).toBe(403);
      expect((await who.post('/api/v1/ledger/accounts', { name: 'equity:x' })).status).toBe(403);
      expect((await who.put('/api/v1/ledger/rates/EUR', { rate: '1.1' })).status).toBe(403);
      expect((await who.get('/api/v1/ledger/summary')).status).toBe(200);
    }
    expect((await apiClient(url).get('/api/v1/ledger/summary')).status).toBe(401);

    const posted = await admin().post('/api/v1/ledger/transactions', entry(1_000, { idempotencyKey: 'rest-1' }));
    expect(posted.status).toBe(201);
    expect(posted.body).toMatchObject({
      kind: 'manual',
      createdBy: expect.any(String),
      description: 'opening balance',
    });
    // The same key: the same entry answers the one posted; another entry is a 409 naming what differs.
    expect(
      (
        await admin().post(
          '/api/v1/ledger/transactions',
          entry(1_000, { idempotencyKey: 'rest-1', description: 'retry' }),
        )
      ).body.id,
    ).toBe(posted.body.id);
    const conflict = await admin().post('/api/v1/ledger/transactions', entry(1_500, { idempotencyKey: 'rest-1' }));
    expect(conflict.status).toBe(409);
    expect(JSON.stringify(conflict.body)).toContain(
      `conflict: idempotencyKey rest-1 was posted as transaction ${posted.body.id} with postings`,
    );
    const reversed = await admin().post(`/api/v1/ledger/transactions/${posted.body.id}/reverse`, {
      reason: 'entered twice',
    });
    expect(reversed.status).toBe(201);
    expect(reversed.body).toMatchObject({ kind: 'reversal', reverses: posted.body.id });
    expect((await operator.post(`/api/v1/ledger/transactions/${posted.body.id}/reverse`, { reason: 'x' })).status).toBe(
      403,
    );
    expect(
      (await admin().post(`/api/v1/ledger/transactions/${posted.body.id}/reverse`, { reason: 'again' })).status,
    ).toBe(409);
    const got = await viewer.get(`/api/v1/ledger/transactions/${posted.body.id}`);
    expect(got.body.reversedBy).toBe(reversed.body.id);
    expect((await admin().put('/api/v1/ledger/rates/EUR', { rate: '1.0842' })).body).toMatchObject({
      currency: 'EUR',
      rate: '1.0842',
      baseCurrency: 'USD',
    });
    expect((await viewer.get('/api/v1/ledger/rates')).body).toEqual([expect.objectContaining({ currency: 'EUR' })]);
  });

  it('answers 400 naming the field, 404 for what does not exist and 409 for what the ledger refuses — never 500', async () => {
    const unbalanced = await admin().post('/api/v1/ledger/transactions', {
      description: 'bad',
      postings: [
        { account: 'assets:cash:USD', amountMinor: 10, currency: 'USD' },
        { account: 'revenue:x', amountMinor: -9, currency: 'USD' },
      ],
    });
    expect(unbalanced.status).toBe(400);
    expect(JSON.stringify(unbalanced.body.message)).toContain('postings');
    const cases: Array<[string, string, unknown, string]> = [
      [
        'POST',
        '/api/v1/ledger/transactions',
        { ...entry(), postings: [{ account: 'assets:cash:USD', amountMinor: 1.5, currency: 'USD' }] },
        'amountMinor',
      ],
      ['POST', '/api/v1/ledger/transactions', { ...entry(), createdBy: 'someone-else' }, 'createdBy'],
      [
        'POST',
        '/api/v1/ledger/transactions',
        {
          ...entry(),
          postings: [
            { account: 'cash', amountMinor: 1, currency: 'USD' },
            { account: 'revenue:x', amountMinor: -1, currency: 'USD' },
          ],
        },
        'account',
      ],
      [
        'POST',
        '/api/v1/ledger/transactions',
        {
          ...entry(),
          postings: [
            { account: 'assets:cash:USD', amountMinor: 1, currency: 'usd' },
            { account: 'revenue:x', amountMinor: -1, currency: 'USD' },
          ],
        },
        'currency',
      ],
      ['GET', '/api/v1/ledger/pnl?groupBy=planet', undefined, 'groupBy'],
      ['GET', '/api/v1/ledger/balances?account=revenue&asOf=yesterday', undefined, 'asOf'],
      ['GET', '/api/v1/ledger/balances', undefined, 'account'],
      ['GET', '/api/v1/ledger/transactions?limit=0', undefined, 'limit'],
      ['GET', '/api/v1/ledger/transactions?cursor=garbage', undefined, 'cursor'],
      ['PUT', '/api/v1/ledger/rates/XX1', { rate: '1' }, 'currency'],
      ['PUT', '/api/v1/ledger/rates/EUR', { rate: '-1' }, 'rate'],
      ['POST', '/api/v1/ledger/transactions/not-a-uuid/reverse', { reason: 'x' }, 'uuid'],
      ['POST', '/api/v1/ledger/accounts', { name: 'revenue:ok', noOverdraft: 'yes' }, 'noOverdraft'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await admin().call(method, path, body);
      expect({ path, status: r.status }).toEqual({ path, status: 400 });
      expect(JSON.stringify(r.body.message)).toContain(field);
    }
    expect((await admin().get('/api/v1/ledger/transactions/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await admin().get('/api/v1/ledger/balances?account=revenue:nothing-here')).status).toBe(404);
    expect(
      (await admin().post('/api/v1/ledger/transactions/00000000-0000-4000-8000-000000000000/reverse', { reason: 'x' }))
        .status,
    ).toBe(404);
    await admin().post('/api/v1/ledger/accounts', { name: 'assets:reserve', currency: 'USD', noOverdraft: true });
    expect((await admin().post('/api/v1/ledger/accounts', { name: 'assets:reserve' })).status).toBe(409);
    const overdraw = await admin().post('/api/v1/ledger/transactions', {
      description: 'overdraw',
      postings: [
        { account: 'assets:reserve', amountMinor: -1, currency: 'USD' },
        { account: 'assets:cash:USD', amountMinor: 1, currency: 'USD' },
      ],
    });
    expect(overdraw.status).toBe(409);
    expect(overdraw.body.message).toContain('insufficient funds');
  });

  it('documents the ledger routes in OpenAPI', async () => {
    const doc = (await apiClient(url).get('/docs-json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/ledger/accounts',
        '/api/v1/ledger/balances',
        '/api/v1/ledger/transactions',
        '/api/v1/ledger/transactions/{id}',
        '/api/v1/ledger/transactions/{id}/reverse',
        '/api/v1/ledger/pnl',
        '/api/v1/ledger/summary',
        '/api/v1/ledger/rates',
        '/api/v1/ledger/rates/{currency}',
      ]),
    );
    expect(doc.components.schemas.PostLedgerTransactionDto.required).toEqual(
      expect.arrayContaining(['postings', 'description']),
    );
    expect(doc.components.schemas.PostLedgerTransactionDto.properties.createdBy).toBeUndefined();
  });
});
