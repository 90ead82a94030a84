import type { CostRecordedV1, DeadLetterV1, LedgerPostedV1, RequestSubject } from '@juggernaut/contracts';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { apiClient, connectTestNats, eventually, natsRpc, readStream, TestStack } from '@juggernaut/testing';
import { Client } from 'pg';
import { costEntry } from '../src/posting/journal-entry';
import { PostingService } from '../src/posting/posting.service';
import { revenueLedger } from '../src/service';

describe('revenue-ledger against real Postgres and NATS', () => {
  let stack: TestStack;
  let ledger: Awaited<ReturnType<TestStack['start']>>;
  let nc: NatsConnection;
  let db: Client;
  let url: string;
  let seq = 0;

  const wire = (s: string) => `${stack.namespace}.${s}`;
  const rpc = <S extends RequestSubject>(subject: S, payload: unknown) =>
    natsRpc(nc, stack.namespace).call(subject, payload);
  const rpcError = (subject: string, payload: unknown) => natsRpc(nc, stack.namespace).error(subject, payload);
  const publish = (subject: string, payload: unknown) => jetstream(nc).publish(wire(subject), JSON.stringify(payload));
  const revenue = (over: Record<string, unknown> = {}) => ({
    eventId: `rev-${++seq}`,
    amountMinor: 1_000,
    currency: 'USD',
    source: 'stripe',
    occurredAt: '2026-11-01T10:00:00Z',
    ...over,
  });
  const cost = (over: Record<string, unknown> = {}) => ({
    eventId: `cost-${++seq}`,
    amountMinor: 100,
    currency: 'USD',
    category: 'llm:gpt-4o-mini',
    source: 'agent-runner',
    occurredAt: '2026-11-01T10:00:00Z',
    ...over,
  });
  const balance = async (account: string, asOf?: string) => {
    const b = await rpc('juggernaut.ledger.balance.get.v1', { account, ...(asOf ? { asOf } : {}) });
    return Object.fromEntries(b.balances.map((x) => [x.currency, x.balanceMinor]));
  };
  const posted = async (eventId: string) => (await rpc('juggernaut.ledger.transaction.list.v1', { eventId })).items;
  const untilPosted = (eventId: string) =>
    eventually(async () => ((await posted(eventId)).length > 0 ? (await posted(eventId))[0] : undefined), 15_000);
  const manual = (postings: Array<[string, number, string?]>, over: Record<string, unknown> = {}) => ({
    description: 'adjustment',
    postings: postings.map(([account, amountMinor, currency]) => ({
      account,
      amountMinor,
      currency: currency ?? 'USD',
    })),
    ...over,
  });

  beforeAll(async () => {
    stack = await TestStack.create('ledger');
    ledger = await stack.start(revenueLedger);
    url = ledger.url;
    nc = await connectTestNats();
    db = new Client({ connectionString: stack.db.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await nc?.close();
    await stack?.close();
  });

  it('posts a revenue event as a balanced transaction, moves balances and announces it on ledger.posted', async () => {
    const e = revenue({
      eventId: 'first-sale',
      amountMinor: 4_999,
      source: 'gumroad',
      experimentId: 'exp-1',
      variantKey: 'b',
      customerRef: 'cust-9',
    });
    await publish('juggernaut.revenue.recorded.v1', e);
    const t = await untilPosted('first-sale');
    expect(t.kind).toBe('revenue');
    expect(t.postings).toEqual([
      { account: 'assets:cash:USD', amountMinor: 4_999, currency: 'USD' },
      { account: 'revenue:gumroad', amountMinor: -4_999, currency: 'USD' },
    ]);
    expect(await balance('revenue:gumroad')).toEqual({ USD: -4_999 });
    const events = await eventually(async () => {
      const got = await readStream<LedgerPostedV1>(
        nc,
        `${stack.namespace}_JUGGERNAUT_EVENTS`,
        wire('juggernaut.ledger.posted.v1'),
      );
      return got.find((x) => x.eventId === 'first-sale');
    });
    expect(events).toMatchObject({
      transactionId: t.id,
      kind: 'revenue',
      amountMinor: 4_999,
      currency: 'USD',
      source: 'gumroad',
      experimentId: 'exp-1',
      variantKey: 'b',
      unitId: 'cust-9',
    });
    const accounts = await rpc('juggernaut.ledger.account.list.v1', { prefix: 'revenue' });
    expect(accounts.map((a) => a.name)).toEqual(['revenue', 'revenue:gumroad']);
    expect(accounts[1]).toMatchObject({
      type: 'revenue',
      parent: 'revenue',
      balances: [{ currency: 'USD', balanceMinor: -4_999 }],
    });
  });

  it('counts a redelivered or re-published event once and acknowledges the repeats', async () => {
    const e = revenue({ eventId: 'dup-evt', amountMinor: 700, source: 'dupsrc' });
    for (let i = 0; i < 4; i++) await publish('juggernaut.revenue.recorded.v1', e);
    await untilPosted('dup-evt');
    await eventually(async () => {
      const metrics = (await apiClient(url).get<string>('/metrics')).body;
      return /juggernaut_ledger_duplicates_total\{[^}]*\} ([3-9]|\d\d+)/.test(metrics);
    });
    expect(await posted('dup-evt')).toHaveLength(1);
    expect(await balance('revenue:dupsrc')).toEqual({ USD: -700 });
    const consumer = await eventually(async () => {
      const info = await (
        await import('@nats-io/jetstream')
      )
        .jetstreamManager(nc)
        .then((m) =>
          m.consumers.info(`${stack.namespace}_JUGGERNAUT_INBOUND`, `${stack.namespace}_revenue-ledger-revenue`),
        );
      return info.num_ack_pending === 0 && info.num_pending === 0 ? info : undefined;
    });
    expect(consumer.num_redelivered).toBe(0);
  });

  it('dead-letters invalid messages with the reason and goes on with the next', async () => {
    await publish('juggernaut.revenue.recorded.v1', {
      eventId: 'bad-1',
      amountMinor: 12.5,
      currency: 'USD',
      source: 's',
      occurredAt: '2026-11-01T00:00:00Z',
    });
    await publish('juggernaut.cost.recorded.v1', {
      eventId: 'bad-2',
      amountMinor: 10,
      currency: 'DOLLARS',
      category: 'x',
      source: 's',
      occurredAt: 'yesterday',
    });
    await jetstream(nc).publish(wire('juggernaut.revenue.recorded.v1'), 'not json at all');
    // Postgres text cannot hold NUL: refused up front, never a batch that fails for everyone in it.
    await publish('juggernaut.revenue.recorded.v1', revenue({ eventId: 'bad-nul', description: 'a\u0000b' }));
    await publish('juggernaut.revenue.recorded.v1', revenue({ eventId: 'after-bad', source: 'afterbad' }));
    await untilPosted('after-bad');
    const letters = await eventually(async () => {
      const got = await readStream<DeadLetterV1>(
        nc,
        `${stack.namespace}_JUGGERNAUT_DEADLETTER`,
        wire('juggernaut.deadletter.v1'),
      );
      return got.length >= 4 ? got : undefined;
    });
    const reasons = letters.map((l) => `${l.subject} ${l.reason}`).join('\n');
    expect(reasons).toMatch(/juggernaut.revenue.recorded.v1 invalid payload: description must not contain NUL/);
    expect(reasons).toMatch(/juggernaut.revenue.recorded.v1 invalid payload: .*amountMinor/);
    expect(reasons).toMatch(/juggernaut.cost.recorded.v1 invalid payload: .*currency/);
    expect(reasons).toMatch(/juggernaut.cost.recorded.v1 invalid payload: .*occurredAt/);
    expect(reasons).toContain('body is not valid JSON');
    expect(await posted('bad-1')).toHaveLength(0);
    const metrics = (await apiClient(url).get<string>('/metrics')).body;
    expect(metrics).toMatch(
      /juggernaut_messages_dead_lettered_total\{[^}]*subject="juggernaut.revenue.recorded.v1"[^}]*\} 3/,
    );
    expect(await posted('bad-nul')).toHaveLength(0);
  });

  it('refuses an unbalanced entry in code, and the database refuses one written with raw SQL', async () => {
    const unbalanced = await rpcError(
      'juggernaut.ledger.transaction.post.v1',
      manual([
        ['assets:cash:USD', 100],
        ['revenue:manual', -90],
      ]),
    );
    expect(unbalanced.status).toBe(400);
    expect(unbalanced.message).toContain('USD is off by 10');
    expect((await rpcError('juggernaut.ledger.transaction.post.v1', manual([['assets:cash:USD', 100]]))).status).toBe(
      400,
    );

    const [{ id: cash }] = (await db.query(`SELECT id FROM ledger.accounts WHERE name = 'assets:cash:USD'`)).rows;
    const [{ id: rev }] = (await db.query(`SELECT id FROM ledger.accounts WHERE name = 'revenue:gumroad'`)).rows;
    const rawTx = async (amounts: number[]) => {
      await db.query('BEGIN');
      try {
        const id = (
          await db.query(
            `INSERT INTO ledger.transactions (id, event_id, kind, occurred_at) VALUES (gen_random_uuid(), gen_random_uuid()::text, 'manual', now()) RETURNING id`,
          )
        ).rows[0].id;
        for (const [i, a] of amounts.entries()) {
          await db.query(
            `INSERT INTO ledger.postings (transaction_id, account_id, currency, amount_minor, occurred_at) VALUES ($1, $2, 'USD', $3, now())`,
            [id, i === 0 ? cash : rev, a],
          );
        }
        await db.query('COMMIT');
        return id as string;
      } catch (e) {
        await db.query('ROLLBACK');
        throw e;
      }
    };
    await expect(rawTx([100, -90])).rejects.toThrow(/unbalanced in USD/);
    await expect(rawTx([100])).rejects.toThrow(/at least two are required/);
    await expect(rawTx([])).rejects.toThrow(/at least two are required/);
    const ok = await rawTx([5, -5]);
    // A committed transaction is sealed: even a balanced pair cannot be added to it later.
    await expect(
      db.query(
        `INSERT INTO ledger.postings (transaction_id, account_id, currency, amount_minor, occurred_at) VALUES ($1, $2, 'USD', 1, now()), ($1, $3, 'USD', -1, now())`,
        [ok, cash, rev],
      ),
    ).rejects.toThrow(/already posted/);
    // Currency mixing: a EUR posting to a USD-only account is refused by the database as well.
    await expect(rawTxCurrency(db, cash, rev)).rejects.toThrow(/currency mismatch/);
    // References: a posting needs an existing transaction and account, and an account is never removed.
    await expect(
      db.query(
        `INSERT INTO ledger.postings (transaction_id, account_id, currency, amount_minor, occurred_at) VALUES (gen_random_uuid(), $1, 'USD', 1, now()), (gen_random_uuid(), $2, 'USD', -1, now())`,
        [cash, rev],
      ),
    ).rejects.toMatchObject({ code: '23503', message: expect.stringMatching(/does not exist/) });
    await db.query('BEGIN');
    try {
      const id = (
        await db.query(
          `INSERT INTO ledger.transactions (id, event_id, kind, occurred_at) VALUES (gen_random_uuid(), gen_random_uuid()::text, 'manual', now()) RETURNING id`,
        )
      ).rows[0].id;
      await expect(
        db.query(
          `INSERT INTO ledger.postings (transaction_id, account_id, currency, amount_minor, occurred_at) VALUES ($1, $2, 'USD', 1, now()), ($1, 999999, 'USD', -1, now())`,
          [id, cash],
        ),
      ).rejects.toMatchObject({ code: '23503', message: expect.stringMatching(/account that does not exist/) });
    } finally {
      await db.query('ROLLBACK');
    }
    await expect(db.query(`DELETE FROM ledger.accounts WHERE id = $1`, [rev])).rejects.toThrow(/never deleted/);
    await expect(db.query(`TRUNCATE ledger.accounts CASCADE`)).rejects.toThrow(/never deleted|immutable/);
  });

  it('checks every transaction of a database transaction at commit, in one check, and again after a later insert', async () => {
    const [{ id: cash }] = (await db.query(`SELECT id FROM ledger.accounts WHERE name = 'assets:cash:USD'`)).rows;
    const [{ id: rev }] = (await db.query(`SELECT id FROM ledger.accounts WHERE name = 'revenue:gumroad'`)).rows;
    const newTx = async (seq?: number): Promise<{ id: string; seq: number }> =>
      (
        await db.query(
          `INSERT INTO ledger.transactions (id, event_id, kind, occurred_at${seq ? ', seq' : ''})
           VALUES (gen_random_uuid(), gen_random_uuid()::text, 'manual', now()${seq ? ', $1' : ''}) RETURNING id, seq::int`,
          seq ? [seq] : [],
        )
      ).rows[0];
    const postings = (tx: string, amounts: number[]) =>
      db.query(
        `INSERT INTO ledger.postings (transaction_id, account_id, currency, amount_minor, occurred_at)
         SELECT $1, CASE WHEN k = 1 THEN $2::bigint ELSE $3::bigint END, 'USD', a, now() FROM unnest($4::bigint[]) WITH ORDINALITY AS x(a, k)`,
        [tx, cash, rev, amounts],
      );
    const inOne = async (work: () => Promise<void>) => {
      await db.query('BEGIN');
      try {
        await work();
        await db.query('COMMIT');
      } catch (e) {
        await db.query('ROLLBACK');
        throw e;
      }
    };
    // Many transactions, their postings in several statements, the last one unbalanced: refused by name.
    let last = '';
    const unbalanced = await inOne(async () => {
      for (let i = 0; i < 5; i++) {
        const t = await newTx();
        await postings(t.id, [7, -7]);
      }
      last = (await newTx()).id;
      await postings(last, [7]);
      await postings(last, [-6]);
    }).catch((e: Error) => e);
    expect(String(unbalanced)).toContain(`ledger transaction ${last} is unbalanced in USD`);
    // Checked mid-transaction (SET CONSTRAINTS ... IMMEDIATE), then a transaction without postings
    // inserted among the checked seqs: the check runs again and refuses it.
    await expect(
      inOne(async () => {
        const a = await newTx();
        await postings(a.id, [3, -3]);
        // A seq left free between the two checked transactions.
        const [{ gap }] = (
          await db.query(`SELECT nextval(pg_get_serial_sequence('ledger.transactions', 'seq'))::int AS gap`)
        ).rows;
        const b = await newTx();
        await postings(b.id, [4, -4]);
        expect(a.seq < gap && gap < b.seq).toBe(true);
        await db.query('SET CONSTRAINTS ALL IMMEDIATE');
        await db.query('SET CONSTRAINTS ALL DEFERRED');
        await newTx(gap);
      }),
    ).rejects.toThrow(/has 0 posting\(s\); at least two are required/);
    // And the same shape balanced commits.
    await inOne(async () => {
      for (let i = 0; i < 3; i++) {
        const t = await newTx();
        await postings(t.id, [2, -1]);
        await postings(t.id, [-1]);
      }
    });
  });

  it('never changes or deletes a posted transaction or posting', async () => {
    const t = await untilPosted('first-sale');
    await expect(
      db.query(`UPDATE ledger.transactions SET description = 'edited' WHERE id = $1`, [t.id]),
    ).rejects.toThrow(/immutable/);
    await expect(db.query(`DELETE FROM ledger.transactions WHERE id = $1`, [t.id])).rejects.toThrow(/immutable/);
    await expect(
      db.query(`UPDATE ledger.postings SET amount_minor = 1 WHERE transaction_id = $1`, [t.id]),
    ).rejects.toThrow(/immutable/);
    await expect(db.query(`DELETE FROM ledger.postings WHERE transaction_id = $1`, [t.id])).rejects.toThrow(
      /immutable/,
    );
    await expect(db.query(`TRUNCATE ledger.postings CASCADE`)).rejects.toThrow(/immutable/);
    expect((await rpc('juggernaut.ledger.transaction.get.v1', { id: t.id })).postings).toEqual(t.postings);
  });

  it('reverses a transaction once, restoring balances, and refuses a second reversal or reversing a reversal', async () => {
    await publish(
      'juggernaut.revenue.recorded.v1',
      revenue({ eventId: 'to-reverse', amountMinor: 2_500, source: 'refunds', goalId: 'goal-r' }),
    );
    const t = await untilPosted('to-reverse');
    expect(await balance('revenue:refunds')).toEqual({ USD: -2_500 });
    const r = await rpc('juggernaut.ledger.transaction.reverse.v1', {
      id: t.id,
      reason: 'charge refunded',
      createdBy: 'admin',
    });
    expect(r).toMatchObject({
      kind: 'reversal',
      reverses: t.id,
      description: 'charge refunded',
      goalId: 'goal-r',
      createdBy: 'admin',
    });
    expect(r.postings).toEqual(t.postings.map((p) => ({ ...p, amountMinor: -p.amountMinor })));
    expect(await balance('revenue:refunds')).toEqual({});
    expect((await rpc('juggernaut.ledger.transaction.get.v1', { id: t.id })).reversedBy).toBe(r.id);
    expect((await rpcError('juggernaut.ledger.transaction.reverse.v1', { id: t.id, reason: 'again' })).status).toBe(
      409,
    );
    expect((await rpcError('juggernaut.ledger.transaction.reverse.v1', { id: r.id, reason: 'undo' })).status).toBe(409);
    expect(
      (
        await rpcError('juggernaut.ledger.transaction.reverse.v1', {
          id: '00000000-0000-4000-8000-000000000000',
          reason: 'x',
        })
      ).status,
    ).toBe(404);
    const byGoal = await rpc('juggernaut.ledger.pnl.get.v1', { groupBy: 'goal' });
    expect(byGoal.rows.find((x) => x.key === 'goal-r')).toMatchObject({ revenueMinor: 0, netMinor: 0 });
  });

  it('refuses to mix currencies without an exchange posting in each, and accepts one with them', async () => {
    const mixed = await rpcError(
      'juggernaut.ledger.transaction.post.v1',
      manual([
        ['assets:cash:USD', 100, 'USD'],
        ['assets:cash:EUR', -92, 'EUR'],
      ]),
    );
    expect(mixed.status).toBe(400);
    expect(mixed.message).toMatch(/USD is off by 100, EUR is off by -92/);
    const wrongCash = await rpcError(
      'juggernaut.ledger.transaction.post.v1',
      manual([
        ['assets:cash:USD', 100, 'EUR'],
        ['revenue:fx', -100, 'EUR'],
      ]),
    );
    expect(wrongCash).toMatchObject({ status: 409 });
    expect(wrongCash.message).toContain('holds only USD');
    await rpc('juggernaut.ledger.account.create.v1', { name: 'equity:exchange' });
    const fx = await rpc(
      'juggernaut.ledger.transaction.post.v1',
      manual(
        [
          ['assets:cash:EUR', -92, 'EUR'],
          ['equity:exchange', 92, 'EUR'],
          ['equity:exchange', -100, 'USD'],
          ['assets:cash:USD', 100, 'USD'],
        ],
        { description: 'convert EUR to USD', idempotencyKey: 'fx-1' },
      ),
    );
    expect(fx.kind).toBe('manual');
    expect(await balance('equity:exchange')).toEqual({ EUR: 92, USD: -100 });
    // The same idempotency key with the same entry returns the entry already posted; with another entry it is a conflict.
    const again = await rpc(
      'juggernaut.ledger.transaction.post.v1',
      manual(
        [
          ['assets:cash:EUR', -92, 'EUR'],
          ['equity:exchange', 92, 'EUR'],
          ['equity:exchange', -100, 'USD'],
          ['assets:cash:USD', 100, 'USD'],
        ],
        { description: 'convert EUR to USD', idempotencyKey: 'fx-1' },
      ),
    );
    expect(again.id).toBe(fx.id);
    const other = await rpcError(
      'juggernaut.ledger.transaction.post.v1',
      manual(
        [
          ['assets:cash:USD', 1],
          ['equity:exchange', -1],
        ],
        { idempotencyKey: 'fx-1' },
      ),
    );
    expect(other.status).toBe(409);
    expect(other.message).toContain(`conflict: idempotencyKey fx-1 was posted as transaction ${fx.id} with postings`);
    expect(await balance('equity:exchange')).toEqual({ EUR: 92, USD: -100 });
    // Unknown accounts outside the auto-create policy are refused, naming them.
    const unknown = await rpcError(
      'juggernaut.ledger.transaction.post.v1',
      manual([
        ['liabilities:loan', -5],
        ['assets:cash:USD', 5],
      ]),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.message).toContain('liabilities:loan');
  });

  it('applies entries on a no-overdraft account in the order their batches came, even when batches are written at once', async () => {
    await rpc('juggernaut.ledger.account.create.v1', { name: 'assets:cash:SEK', currency: 'SEK', noOverdraft: true });
    await rpc('juggernaut.ledger.account.create.v1', { name: 'equity:owner-sek' });
    await rpc(
      'juggernaut.ledger.transaction.post.v1',
      manual([
        ['assets:cash:SEK', 1_000, 'SEK'],
        ['equity:owner-sek', -1_000, 'SEK'],
      ]),
    );
    const posting = ledger.app.get(PostingService);
    const sek = (eventId: string, amountMinor: number) =>
      costEntry(cost({ eventId, amountMinor, currency: 'SEK', category: 'tools' }) as CostRecordedV1);
    // The first batch is slower to reach its guarded entry (it writes many other entries first);
    // the second holds only guarded entries. The first batch's entry still comes first.
    const first = Array.from({ length: 300 }, (_, i) =>
      costEntry(cost({ eventId: `order-filler-${i}` }) as CostRecordedV1),
    ).concat(sek('sek-first', 600));
    const [a, b] = await Promise.all([
      posting.post(first),
      posting.post([sek('sek-second', 600), sek('sek-third', 400)]),
    ]);
    expect(a.at(-1)).toEqual({ status: 'posted' });
    expect(b[0]).toMatchObject({
      status: 'rejected',
      error: { message: expect.stringContaining('insufficient funds') },
    });
    expect(b[1]).toEqual({ status: 'posted' });
    expect(await balance('assets:cash:SEK')).toEqual({});
  });

  it('keeps a no-overdraft account at or above zero, for manual entries and for ingested events', async () => {
    await rpc('juggernaut.ledger.account.create.v1', { name: 'assets:cash:GBP', currency: 'GBP', noOverdraft: true });
    expect((await rpcError('juggernaut.ledger.account.create.v1', { name: 'assets:cash:GBP' })).status).toBe(409);
    await rpc('juggernaut.ledger.account.create.v1', { name: 'equity:owner' });
    await rpc(
      'juggernaut.ledger.transaction.post.v1',
      manual([
        ['assets:cash:GBP', 1_000, 'GBP'],
        ['equity:owner', -1_000, 'GBP'],
      ]),
    );
    const over = await rpcError(
      'juggernaut.ledger.transaction.post.v1',
      manual([
        ['assets:cash:GBP', -1_001, 'GBP'],
        ['equity:owner', 1_001, 'GBP'],
      ]),
    );
    expect(over.status).toBe(409);
    expect(over.message).toContain('insufficient funds');
    await publish(
      'juggernaut.cost.recorded.v1',
      cost({ eventId: 'gbp-ok', amountMinor: 600, currency: 'GBP', category: 'tools' }),
    );
    await publish(
      'juggernaut.cost.recorded.v1',
      cost({ eventId: 'gbp-over', amountMinor: 600, currency: 'GBP', category: 'tools' }),
    );
    await publish(
      'juggernaut.cost.recorded.v1',
      cost({ eventId: 'gbp-small', amountMinor: 400, currency: 'GBP', category: 'tools' }),
    );
    await untilPosted('gbp-small');
    expect(await balance('assets:cash:GBP')).toEqual({});
    expect(await posted('gbp-over')).toHaveLength(0);
    const letters = await eventually(async () => {
      const got = await readStream<DeadLetterV1>(
        nc,
        `${stack.namespace}_JUGGERNAUT_DEADLETTER`,
        wire('juggernaut.deadletter.v1'),
      );
      return got.find((l) => l.data.includes('gbp-over'));
    });
    expect(letters.reason).toMatch(/insufficient funds.*assets:cash:GBP/);
    // The refused event is terminated, not left pending to be redelivered and dead-lettered again.
    const jsm = await (await import('@nats-io/jetstream')).jetstreamManager(nc);
    await eventually(async () => {
      const info = await jsm.consumers.info(
        `${stack.namespace}_JUGGERNAUT_INBOUND`,
        `${stack.namespace}_revenue-ledger-cost`,
      );
      return info.num_ack_pending === 0 && info.num_pending === 0;
    }, 5_000);
  });

  it('keeps balances exact under concurrent ingestion and manual posting', async () => {
    const n = 1_500;
    const events = Array.from({ length: n }, (_, i) =>
      i % 3 === 0
        ? cost({ eventId: `conc-c-${i}`, amountMinor: i + 1, category: `infra:${i % 5}` })
        : revenue({ eventId: `conc-r-${i}`, amountMinor: i + 1, source: `conc${i % 4}` }),
    );
    const expectedRevenue = events.filter((e) => e.eventId.startsWith('conc-r')).reduce((s, e) => s + e.amountMinor, 0);
    const expectedCost = events.filter((e) => e.eventId.startsWith('conc-c')).reduce((s, e) => s + e.amountMinor, 0);
    await Promise.all([
      (async () => {
        for (let i = 0; i < n; i += 100) {
          await Promise.all(
            events
              .slice(i, i + 100)
              .map((e) =>
                publish(
                  e.eventId.startsWith('conc-r') ? 'juggernaut.revenue.recorded.v1' : 'juggernaut.cost.recorded.v1',
                  e,
                ),
              ),
          );
        }
      })(),
      Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          rpc(
            'juggernaut.ledger.transaction.post.v1',
            manual(
              [
                ['assets:cash:USD', 10],
                ['revenue:conc-manual', -10],
              ],
              { idempotencyKey: `conc-m-${i}` },
            ),
          ),
        ),
      ),
    ]);
    await eventually(
      async () => (await posted(`conc-c-${n - 3}`)).length > 0 && (await posted(`conc-r-${n - 1}`)).length > 0,
      30_000,
    );
    await eventually(async () => {
      const [{ c }] = (
        await db.query(
          `SELECT count(*)::int AS c FROM ledger.transactions WHERE event_id LIKE 'conc-%' OR event_id LIKE 'manual:conc-m-%'`,
        )
      ).rows;
      return c === n + 40;
    }, 30_000);
    const sumOf = async (prefix: string) =>
      Number(
        (
          await db.query(
            `SELECT coalesce(sum(p.amount_minor), 0)::text AS s FROM ledger.postings p JOIN ledger.transactions t ON t.id = p.transaction_id
       JOIN ledger.accounts a ON a.id = p.account_id WHERE (t.event_id LIKE 'conc-%' OR t.event_id LIKE 'manual:conc-m-%') AND a.name LIKE $1`,
            [prefix],
          )
        ).rows[0].s,
      );
    expect(await sumOf('revenue:%')).toBe(-(expectedRevenue + 400));
    expect(await sumOf('expense:%')).toBe(expectedCost);
    // The kept balance of every account equals the sum of its postings.
    const drift = await db.query(
      `SELECT a.name, b.currency, b.balance_minor, coalesce(s.total, 0) AS total FROM ledger.balances b JOIN ledger.accounts a ON a.id = b.account_id
       LEFT JOIN (SELECT account_id, currency, sum(amount_minor) AS total FROM ledger.postings GROUP BY 1, 2) s ON s.account_id = b.account_id AND s.currency = b.currency
       WHERE b.balance_minor <> coalesce(s.total, 0)`,
    );
    expect(drift.rows).toEqual([]);
    const [{ total }] = (
      await db.query(`SELECT coalesce(sum(amount_minor), 0)::int AS total FROM ledger.postings WHERE currency = 'USD'`)
    ).rows;
    expect(total).toBe(0);
  });

  it('answers balances as of a past time from the postings', async () => {
    for (const [id, at, amount] of [
      ['asof-1', '2025-01-10T00:00:00Z', 100],
      ['asof-2', '2025-02-10T00:00:00Z', 200],
      ['asof-3', '2025-03-10T00:00:00Z', 400],
    ] as const) {
      await publish(
        'juggernaut.revenue.recorded.v1',
        revenue({ eventId: id, amountMinor: amount, source: 'asof', occurredAt: at }),
      );
    }
    await untilPosted('asof-3');
    await untilPosted('asof-1');
    expect(await balance('revenue:asof', '2025-01-01T00:00:00Z')).toEqual({});
    expect(await balance('revenue:asof', '2025-01-10T00:00:00Z')).toEqual({ USD: -100 });
    expect(await balance('revenue:asof', '2025-02-28T00:00:00Z')).toEqual({ USD: -300 });
    expect(await balance('revenue:asof')).toEqual({ USD: -700 });
    expect((await rpcError('juggernaut.ledger.balance.get.v1', { account: 'revenue:nowhere' })).status).toBe(404);
    expect((await rpcError('juggernaut.ledger.balance.get.v1', { account: 'bogus:root' })).status).toBe(400);
  });

  it('reports P&L by period, source, experiment, goal and task type', async () => {
    const at = '2024-06-15T12:00:00Z';
    await publish(
      'juggernaut.revenue.recorded.v1',
      revenue({
        eventId: 'pnl-r1',
        amountMinor: 10_000,
        source: 'pnlshop',
        occurredAt: at,
        experimentId: 'exp-pnl',
        variantKey: 'a',
        goalId: 'goal-pnl',
      }),
    );
    await publish(
      'juggernaut.revenue.recorded.v1',
      revenue({
        eventId: 'pnl-r2',
        amountMinor: 5_000,
        source: 'pnlshop',
        occurredAt: '2024-07-02T00:00:00Z',
        experimentId: 'exp-pnl',
        variantKey: 'b',
      }),
    );
    await publish(
      'juggernaut.cost.recorded.v1',
      cost({
        eventId: 'pnl-c1',
        amountMinor: 1_200,
        category: 'llm:pnl-model',
        occurredAt: at,
        experimentId: 'exp-pnl',
        goalId: 'goal-pnl',
        taskType: 'pnl-research',
        taskId: 't-1',
      }),
    );
    await publish(
      'juggernaut.cost.recorded.v1',
      cost({ eventId: 'pnl-c2', amountMinor: 300, category: 'tools', occurredAt: at, taskType: 'pnl-research' }),
    );
    for (const id of ['pnl-r1', 'pnl-r2', 'pnl-c1', 'pnl-c2']) await untilPosted(id);
    const window = { from: '2024-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' };
    const byPeriod = await rpc('juggernaut.ledger.pnl.get.v1', { groupBy: 'period', period: 'month', ...window });
    expect(byPeriod.rows).toEqual([
      { key: '2024-06-01T00:00:00Z', currency: 'USD', revenueMinor: 10_000, costMinor: 1_500, netMinor: 8_500 },
      { key: '2024-07-01T00:00:00Z', currency: 'USD', revenueMinor: 5_000, costMinor: 0, netMinor: 5_000 },
    ]);
    const bySource = await rpc('juggernaut.ledger.pnl.get.v1', { groupBy: 'source', ...window });
    expect(bySource.rows).toEqual(
      expect.arrayContaining([
        { key: 'revenue:pnlshop', currency: 'USD', revenueMinor: 15_000, costMinor: 0, netMinor: 15_000 },
        { key: 'expense:llm:pnl-model', currency: 'USD', revenueMinor: 0, costMinor: 1_200, netMinor: -1_200 },
      ]),
    );
    const byExperiment = await rpc('juggernaut.ledger.pnl.get.v1', { groupBy: 'experiment', ...window });
    expect(byExperiment.rows.find((r) => r.key === 'exp-pnl')).toEqual({
      key: 'exp-pnl',
      currency: 'USD',
      revenueMinor: 15_000,
      costMinor: 1_200,
      netMinor: 13_800,
    });
    const byGoal = await rpc('juggernaut.ledger.pnl.get.v1', { groupBy: 'goal', ...window });
    expect(byGoal.rows.find((r) => r.key === 'goal-pnl')).toMatchObject({
      revenueMinor: 10_000,
      costMinor: 1_200,
    });
    const byTaskType = await rpc('juggernaut.ledger.pnl.get.v1', { groupBy: 'taskType', ...window });
    expect(byTaskType.rows.find((r) => r.key === 'pnl-research')).toMatchObject({
      revenueMinor: 0,
      costMinor: 1_500,
      netMinor: -1_500,
    });
    expect((await rpcError('juggernaut.ledger.pnl.get.v1', { groupBy: 'planet' })).message).toContain('groupBy');
  });

  it('measures progress to the revenue target in the base currency with the rates table', async () => {
    const before = await rpc('juggernaut.ledger.summary.get.v1', {});
    expect(before).toMatchObject({ baseCurrency: 'USD', targetMinor: 10_000_000_000 });
    await publish(
      'juggernaut.revenue.recorded.v1',
      revenue({ eventId: 'jpy-1', amountMinor: 15_000, currency: 'JPY', source: 'jp' }),
    );
    await untilPosted('jpy-1');
    const unconverted = await rpc('juggernaut.ledger.summary.get.v1', {});
    expect(unconverted.unconvertedCurrencies).toContain('JPY');
    expect(unconverted.revenueBaseMinor).toBe(before.revenueBaseMinor);
    // 1 JPY = 0.0065 USD: ¥15,000 (minor unit = 1 yen) is $97.50 = 9,750 cents.
    expect(await rpc('juggernaut.ledger.rate.set.v1', { currency: 'JPY', rate: '0.0065' })).toMatchObject({
      currency: 'JPY',
      baseCurrency: 'USD',
      rate: '0.0065',
    });
    expect((await rpcError('juggernaut.ledger.rate.set.v1', { currency: 'USD', rate: '2' })).status).toBe(400);
    expect((await rpcError('juggernaut.ledger.rate.set.v1', { currency: 'JPY', rate: '0' })).status).toBe(400);
    const after = await rpc('juggernaut.ledger.summary.get.v1', {});
    expect(after.unconvertedCurrencies).not.toContain('JPY');
    expect(after.revenueBaseMinor).toBe(before.revenueBaseMinor + 9_750);
    expect(after.progressRatio).toBeCloseTo(after.revenueBaseMinor / 10_000_000_000, 12);
    expect(after.byCurrency.find((c) => c.currency === 'JPY')).toMatchObject({ revenueMinor: 15_000 });
    const metrics = (await apiClient(url).get<string>('/metrics')).body;
    expect(metrics).toMatch(/juggernaut_ledger_target_progress_ratio\{[^}]*\} [0-9.e-]+/);
    expect(metrics).toMatch(/juggernaut_ledger_net_income_minor\{[^}]*currency="JPY"[^}]*\} 15000/);
    expect(metrics).toMatch(/juggernaut_ledger_revenue_minor_total\{[^}]*currency="USD",source="gumroad"[^}]*\} 4999/);
    expect(metrics).toMatch(/juggernaut_ledger_transactions_total\{[^}]*kind="reversal"[^}]*\} 1/);
  });

  it('changes nothing when the whole stream is delivered again after a restart', async () => {
    const count = async () => Number((await db.query(`SELECT count(*) AS n FROM ledger.transactions`)).rows[0].n);
    const sums = async () =>
      (await db.query(`SELECT account_id, currency, balance_minor FROM ledger.balances ORDER BY 1, 2`)).rows;
    const [before, balancesBefore] = [await count(), await sums()];
    await stack.services[0]!.close();
    stack.services.length = 0;
    const jsm = await (await import('@nats-io/jetstream')).jetstreamManager(nc);
    for (const durable of ['revenue-ledger-revenue', 'revenue-ledger-cost']) {
      await jsm.consumers.delete(`${stack.namespace}_JUGGERNAUT_INBOUND`, `${stack.namespace}_${durable}`);
    }
    url = (await stack.start(revenueLedger)).url;
    await eventually(async () => {
      const infos = await Promise.all(
        ['revenue-ledger-revenue', 'revenue-ledger-cost'].map((d) =>
          jsm.consumers.info(`${stack.namespace}_JUGGERNAUT_INBOUND`, `${stack.namespace}_${d}`),
        ),
      );
      return infos.every((i) => i.num_pending === 0 && i.num_ack_pending === 0 && i.delivered.consumer_seq > 100);
    }, 30_000);
    expect(await count()).toBe(before);
    expect(await sums()).toEqual(balancesBefore);
    const metrics = (await apiClient(url).get<string>('/metrics')).body;
    expect(metrics).toMatch(/juggernaut_ledger_duplicates_total\{[^}]*\} \d{3,}/);
    expect(metrics).not.toMatch(/juggernaut_ledger_transactions_total\{[^}]*kind="revenue"/);
  });
});

async function rawTxCurrency(db: Client, cash: string, rev: string): Promise<void> {
  await db.query('BEGIN');
  try {
    const id = (
      await db.query(
        `INSERT INTO ledger.transactions (id, event_id, kind, occurred_at) VALUES (gen_random_uuid(), gen_random_uuid()::text, 'manual', now()) RETURNING id`,
      )
    ).rows[0].id;
    await db.query(
      `INSERT INTO ledger.postings (transaction_id, account_id, currency, amount_minor, occurred_at) VALUES ($1, $2, 'EUR', 5, now()), ($1, $3, 'EUR', -5, now())`,
      [id, cash, rev],
    );
    await db.query('COMMIT');
  } catch (e) {
    await db.query('ROLLBACK');
    throw e;
  }
}
