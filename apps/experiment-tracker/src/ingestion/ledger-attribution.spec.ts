import { ledgerAmounts } from './ledger-attribution';

describe('reading experiment revenue and cost from ledger postings', () => {
  it('counts revenue credited to revenue accounts', () => {
    expect(
      ledgerAmounts({
        kind: 'revenue',
        postings: [
          { account: 'assets:cash:USD', amountMinor: 1250, currency: 'USD' },
          { account: 'revenue:stripe', amountMinor: -1250, currency: 'USD' },
        ],
      }),
    ).toEqual([{ kind: 'revenue', currency: 'USD', amountMinor: 1250 }]);
  });

  it('counts cost debited to expense accounts', () => {
    expect(
      ledgerAmounts({
        kind: 'cost',
        postings: [
          { account: 'expense:ads', amountMinor: 700, currency: 'EUR' },
          { account: 'assets:cash:EUR', amountMinor: -700, currency: 'EUR' },
        ],
      }),
    ).toEqual([{ kind: 'cost', currency: 'EUR', amountMinor: 700 }]);
  });

  it('makes a reversal of revenue negative revenue', () => {
    expect(
      ledgerAmounts({
        kind: 'reversal',
        postings: [
          { account: 'revenue:stripe', amountMinor: 1250, currency: 'USD' },
          { account: 'assets:cash:USD', amountMinor: -1250, currency: 'USD' },
        ],
      }),
    ).toEqual([{ kind: 'revenue', currency: 'USD', amountMinor: -1250 }]);
  });

  it('falls back to the debits for a revenue transaction with unfamiliar account names, and ignores pure transfers', () => {
    expect(
      ledgerAmounts({
        kind: 'revenue',
        postings: [
          { account: 'bank', amountMinor: 99, currency: 'USD' },
          { account: 'sales', amountMinor: -99, currency: 'USD' },
        ],
      }),
    ).toEqual([{ kind: 'revenue', currency: 'USD', amountMinor: 99 }]);
    expect(
      ledgerAmounts({
        kind: 'manual',
        postings: [
          { account: 'assets:cash:USD', amountMinor: 5, currency: 'USD' },
          { account: 'assets:bank:USD', amountMinor: -5, currency: 'USD' },
        ],
      }),
    ).toEqual([]);
  });
});
