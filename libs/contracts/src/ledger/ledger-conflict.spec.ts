import { ledgerConflictReason, ledgerConflictValue, parseLedgerConflict } from './ledger-conflict';

describe('ledger conflict reasons', () => {
  const transactionId = '0b7c3a52-5d1e-4c39-9a53-0d6f1e2b8c41';

  it('name every differing field with the posted and the received value', () => {
    const differences = [
      { field: 'amountMinor', posted: '500', received: '700' },
      { field: 'currency', posted: 'USD', received: 'EUR' },
    ];
    expect(ledgerConflictReason({ eventId: 'rev-1', transactionId, differences })).toBe(
      `conflict: eventId rev-1 was posted as transaction ${transactionId} with amountMinor 500, currency USD; this event has amountMinor 700, currency EUR`,
    );
    expect(
      ledgerConflictReason({ eventId: 'manual:k', idempotencyKey: 'k', transactionId, differences: [differences[0]!] }),
    ).toBe(
      `conflict: idempotencyKey k was posted as transaction ${transactionId} with amountMinor 500; this entry has amountMinor 700`,
    );
  });

  it('write plain values as they are and quote any that could be misread', () => {
    expect(
      [500, 'USD', 'llm:gpt-4o-mini', null, undefined, 'goal 7', 'a, b; c', 'none', ''].map(ledgerConflictValue),
    ).toEqual(['500', 'USD', 'llm:gpt-4o-mini', 'none', 'none', '"goal 7"', '"a, b; c"', '"none"', '""']);
  });

  it('are read back from a dead letter, with or without the bus prefix, and nothing else is taken for one', () => {
    const reason = ledgerConflictReason({
      eventId: 'order 7',
      transactionId,
      differences: [{ field: 'source', posted: 'a', received: 'b' }],
    });
    expect(parseLedgerConflict(`rejected: ${reason}`)).toEqual({ eventId: 'order 7', transactionId, reason });
    expect(parseLedgerConflict(reason)).toEqual({ eventId: 'order 7', transactionId, reason });
    expect(
      parseLedgerConflict('rejected: insufficient funds: posting would overdraw no-overdraft account assets:cash:GBP'),
    ).toBeNull();
    expect(parseLedgerConflict('invalid payload: amountMinor must be an integer')).toBeNull();
    expect(
      parseLedgerConflict(
        'rejected: conflict: eventId x was posted as transaction not-a-uuid with a 1; this event has a 2',
      ),
    ).toBeNull();
  });
});
