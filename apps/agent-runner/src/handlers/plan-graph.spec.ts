import { checkPlan, type PlannedTask } from './plan-graph';

const task = (key: string, over: Partial<PlannedTask> = {}): PlannedTask => ({
  key,
  type: 'agent.goal',
  title: key,
  goal: `do ${key}`,
  requiredLevel: 3,
  budgetMinor: 100,
  ...over,
});

describe('a plan of sub-tasks', () => {
  it('accepts tasks in dependency order whose budgets fit what the planner has left', () => {
    const plan = [
      task('research'),
      task('draft', { dependsOn: ['research'] }),
      task('review', { dependsOn: ['draft'] }),
    ];
    expect(checkPlan(plan, 300)).toBeNull();
    expect(checkPlan(plan, null)).toBeNull(); // no budget: nothing to add up against
    expect(checkPlan([], 0)).toBeNull();
  });

  it('refuses a key used twice', () => {
    expect(checkPlan([task('a'), task('a')], null)).toBe('key "a" is used twice');
  });

  it('refuses a task that depends on itself or on one not listed before it, so the graph has no cycle', () => {
    expect(checkPlan([task('a', { dependsOn: ['a'] })], null)).toBe('task "a" depends on itself');
    expect(checkPlan([task('a', { dependsOn: ['b'] }), task('b')], null)).toBe(
      'task "a" depends on "b", which is not listed before it (list tasks in dependency order)',
    );
  });

  it('refuses budgets that add up to more than the planner has left, to the minor unit', () => {
    expect(checkPlan([task('a'), task('b', { budgetMinor: 101 })], 201)).toBeNull();
    expect(checkPlan([task('a'), task('b', { budgetMinor: 102 })], 201)).toBe(
      'the sub-task budgets add up to 202, more than the 201 this plan has left',
    );
  });
});
