import { checkPlan, type PlannedTask } from './plan-graph';

const t = (key: string, dependsOn: string[] = [], budgetMinor = 10): PlannedTask => ({
  key,
  type: 'agent.goal',
  title: key,
  goal: key,
  requiredLevel: 3,
  budgetMinor,
  dependsOn,
});

describe('plan graph', () => {
  it('accepts a DAG listed in dependency order within budget', () => {
    expect(checkPlan([t('a'), t('b', ['a']), t('c', ['a', 'b'])], 30)).toBeNull();
    expect(checkPlan([t('a')], null)).toBeNull();
  });
  it('refuses duplicate keys, forward or unknown references and self-dependencies (so no cycle can be expressed)', () => {
    expect(checkPlan([t('a'), t('a')], null)).toMatch(/used twice/);
    expect(checkPlan([t('a', ['b']), t('b', ['a'])], null)).toMatch(/not listed before it/);
    expect(checkPlan([t('a', ['a'])], null)).toMatch(/itself/);
    expect(checkPlan([t('a', ['zzz'])], null)).toMatch(/"zzz"/);
  });
  it('refuses a plan whose budgets exceed what the planner has left', () => {
    expect(checkPlan([t('a', [], 20), t('b', [], 11)], 30)).toMatch(/add up to 31, more than the 30/);
  });
  it('accepts budgets that use exactly what is left, and an empty plan', () => {
    expect(checkPlan([t('a', [], 20), t('b', [], 10)], 30)).toBeNull();
    expect(checkPlan([], 0)).toBeNull();
  });
});
