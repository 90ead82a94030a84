import { assertBalanced, costEntry, manualEntry, postedEvent, revenueEntry, reversalEntry } from './journal-entry';

describe('journal entries', () => {
  const at = '2026-11-01T00:00:00Z';

  it('books revenue as cash debit and revenue credit, and cost the other way', () => {
    const r = revenueEntry({
      eventId: 'e1',
      amountMinor: 500,
      currency: 'EUR',
      source: 'shop',
      occurredAt: at,
      customerRef: 'c1',
    });
    expect(r.postings).toEqual([
      { account: 'assets:cash:EUR', currency: 'EUR', amountMinor: 500 },
      { account: 'revenue:shop', currency: 'EUR', amountMinor: -500 },
    ]);
    expect(r.unitId).toBe('c1');
    const c = costEntry({
      eventId: 'e2',
      amountMinor: 30,
      currency: 'USD',
      category: 'llm:m',
      source: 'runner',
      occurredAt: at,
      taskType: 'research',
    });
    expect(c.postings).toEqual([
      { account: 'expense:llm:m', currency: 'USD', amountMinor: 30 },
      { account: 'assets:cash:USD', currency: 'USD', amountMinor: -30 },
    ]);
    expect(c).toMatchObject({ kind: 'cost', source: 'llm:m', taskType: 'research', createdBy: 'runner' });
  });

  it('balances per currency, never across currencies', () => {
    expect(() =>
      assertBalanced([
        { currency: 'USD', amountMinor: 5 },
        { currency: 'USD', amountMinor: -5 },
      ]),
    ).not.toThrow();
    expect(() =>
      assertBalanced([
        { currency: 'USD', amountMinor: 5 },
        { currency: 'EUR', amountMinor: -5 },
      ]),
    ).toThrow(/USD is off by 5, EUR is off by -5/);
    expect(() =>
      assertBalanced([
        { currency: 'USD', amountMinor: 0 },
        { currency: 'USD', amountMinor: 0 },
      ]),
    ).toThrow(/non-zero/);
    expect(() => assertBalanced([{ currency: 'USD', amountMinor: 1 }])).toThrow(/at least two/);
  });

  it('keys a manual entry by its idempotency key and refuses an unbalanced one', () => {
    const postings = [
      { account: 'assets:cash:USD', amountMinor: 10, currency: 'USD' },
      { account: 'equity:owner', amountMinor: -10, currency: 'USD' },
    ];
    expect(manualEntry({ description: 'd', postings, idempotencyKey: 'k' }).eventId).toBe('manual:k');
    expect(() =>
      manualEntry({ description: 'd', postings: [postings[0]!, { ...postings[1]!, amountMinor: -9 }] }),
    ).toThrow(/off by 1/);
  });

  it('reverses with flipped signs and the original attribution', () => {
    const original = {
      id: '11111111-1111-4111-8111-111111111111',
      eventId: 'e',
      kind: 'revenue' as const,
      occurredAt: at,
      postedAt: at,
      description: null,
      source: 's',
      experimentId: 'x',
      variantKey: 'v',
      goalId: 'g',
      taskId: null,
      taskType: 'tt',
      createdBy: null,
      reverses: null,
      reversedBy: null,
      postings: [
        { account: 'assets:cash:USD', amountMinor: 7, currency: 'USD' },
        { account: 'revenue:s', amountMinor: -7, currency: 'USD' },
      ],
    };
    const r = reversalEntry(original, 'refund', 'ops');
    expect(r).toMatchObject({
      kind: 'reversal',
      eventId: `reversal:${original.id}`,
      reverses: original.id,
      experimentId: 'x',
      goalId: 'g',
      taskType: 'tt',
    });
    expect(r.postings.map((p) => p.amountMinor)).toEqual([-7, 7]);
  });

  it('announces only the fields that are set', () => {
    const e = postedEvent(
      revenueEntry({ eventId: 'e1', amountMinor: 5, currency: 'USD', source: 's', occurredAt: at }),
    );
    expect(Object.keys(e).sort()).toEqual([
      'amountMinor',
      'currency',
      'eventId',
      'kind',
      'occurredAt',
      'postings',
      'source',
      'transactionId',
    ]);
  });
});
