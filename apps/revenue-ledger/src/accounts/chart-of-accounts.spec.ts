import { describeAccount, expenseAccount, lineageOf, mayAutoCreate, revenueAccount } from './chart-of-accounts';

describe('chart of accounts', () => {
  it('derives type, normal side and parent from the name', () => {
    expect(describeAccount('assets:cash:USD')).toEqual({
      name: 'assets:cash:USD',
      type: 'asset',
      normalSign: 1,
      parent: 'assets:cash',
    });
    expect(describeAccount('revenue')).toEqual({ name: 'revenue', type: 'revenue', normalSign: -1, parent: null });
    expect(describeAccount('expense:llm:gpt-4o').normalSign).toBe(1);
    expect(describeAccount('liabilities:loan').type).toBe('liability');
  });

  it('refuses names outside the five roots or with empty segments', () => {
    for (const bad of ['income:x', 'revenue::x', 'revenue:', 'assets:cash USD', ''])
      expect(() => describeAccount(bad)).toThrow(/not a valid account/);
  });

  it('lists an account with its ancestors, root first', () => {
    expect(lineageOf('expense:llm:x')).toEqual(['expense', 'expense:llm', 'expense:llm:x']);
  });

  it('auto-creates only at or beneath the configured prefixes', () => {
    const roots = ['assets:cash', 'revenue'];
    expect(mayAutoCreate('assets:cash:EUR', roots)).toBe(true);
    expect(mayAutoCreate('revenue', roots)).toBe(true);
    expect(mayAutoCreate('assets:cashier', roots)).toBe(false);
    expect(mayAutoCreate('assets:bank:EUR', roots)).toBe(false);
  });

  it('turns sources and categories from other systems into valid account names', () => {
    expect(revenueAccount('stripe')).toBe('revenue:stripe');
    expect(expenseAccount('llm:gpt-4o-mini')).toBe('expense:llm:gpt-4o-mini');
    expect(revenueAccount('App Store (iOS)')).toBe('revenue:App_Store__iOS_');
    expect(expenseAccount('::')).toBe('expense:unknown');
    for (const n of [revenueAccount('a b:c*d'), expenseAccount('x'.repeat(300))])
      expect(() => describeAccount(n)).not.toThrow();
  });
});
