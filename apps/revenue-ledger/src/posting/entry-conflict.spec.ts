import { conflictError, entryDifferences } from './entry-conflict';
import { costEntry, manualEntry, revenueEntry } from './journal-entry';

describe('entry conflicts', () => {
  const at = '2026-11-01T00:00:00Z';
  const rev = (over: Record<string, unknown> = {}) =>
    revenueEntry({ eventId: 'r1', amountMinor: 500, currency: 'USD', source: 'stripe', occurredAt: at, ...over });
  const cost = (over: Record<string, unknown> = {}) =>
    costEntry({
      eventId: 'c1',
      amountMinor: 30,
      currency: 'USD',
      category: 'llm:m',
      source: 'agent-runner',
      occurredAt: at,
      taskId: 't1',
      ...over,
    });
  const fields = (a: ReturnType<typeof rev>, b: ReturnType<typeof rev>) =>
    entryDifferences(a, b).map((d) => `${d.field} ${d.posted}->${d.received}`);

  it('finds none for the same event again, whatever its description or time', () => {
    expect(entryDifferences(rev(), rev({ occurredAt: '2027-01-01T00:00:00Z', description: 'again' }))).toEqual([]);
    expect(entryDifferences(cost(), cost({ occurredAt: '2027-01-01T00:00:00Z' }))).toEqual([]);
    // customerRef stands in for unitId: the same stored attribution is the same entry
    expect(entryDifferences(rev({ customerRef: 'c' }), rev({ customerRef: 'c', unitId: 'c' }))).toEqual([]);
  });

  it('names each differing field of a revenue or cost event, posted value first', () => {
    expect(fields(rev(), rev({ amountMinor: 700, currency: 'EUR', source: 'shop', experimentId: 'x' }))).toEqual([
      'amountMinor 500->700',
      'currency USD->EUR',
      'source stripe->shop',
      'experimentId none->x',
    ]);
    expect(fields(cost(), cost({ category: 'tools', source: 'dev-bot', taskId: 't2', goalId: 'g 1' }))).toEqual([
      'category llm:m->tools',
      'source agent-runner->dev-bot',
      'goalId none->"g 1"',
      'taskId t1->t2',
    ]);
    expect(fields(rev(), cost({ amountMinor: 500, taskId: undefined }))).toEqual(['kind revenue->cost']);
  });

  it('compares adjusting entries by their postings as a set, and their attribution', () => {
    const postings = [
      { account: 'assets:cash:USD', amountMinor: 10, currency: 'USD' },
      { account: 'equity:owner', amountMinor: -10, currency: 'USD' },
    ];
    const a = manualEntry({ description: 'd', postings, idempotencyKey: 'k', goalId: 'g' });
    expect(
      entryDifferences(
        a,
        manualEntry({
          description: 'other words',
          postings: [...postings].reverse(),
          idempotencyKey: 'k',
          goalId: 'g',
        }),
      ),
    ).toEqual([]);
    const b = manualEntry({
      description: 'd',
      postings: postings.map((p) => ({ ...p, amountMinor: p.amountMinor * 2 })),
      idempotencyKey: 'k',
      goalId: 'h',
    });
    const differences = entryDifferences(a, b);
    expect(differences).toEqual([
      {
        field: 'postings',
        posted: '[assets:cash:USD 10 USD, equity:owner -10 USD]',
        received: '[assets:cash:USD 20 USD, equity:owner -20 USD]',
      },
      { field: 'goalId', posted: 'g', received: 'h' },
    ]);
    expect(conflictError({ ...a, id: 'tx' }, b, differences)).toMatchObject({
      status: 409,
      message:
        'conflict: idempotencyKey k was posted as transaction tx with postings [assets:cash:USD 10 USD, equity:owner -10 USD], goalId g; ' +
        'this entry has postings [assets:cash:USD 20 USD, equity:owner -20 USD], goalId h',
    });
  });
});
